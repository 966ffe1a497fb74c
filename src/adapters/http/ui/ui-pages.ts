/** The /ui pages as HTML strings, from audit records, stories and the report. Everything shown is escaped. */
import { formatCompactDuration } from '../../../core/format.js';
import { buildReportSections, type Tone } from '../../../core/report/report-sections.js';
import type { Report, ReportFigures } from '../../../core/report/report-types.js';
import { describeStep, type ContainerStory, type StoryStep } from '../../../core/story.js';
import type { AuditRecord, IncidentNoteEvent } from '../../../core/types.js';
import { esc, LIVE_SCRIPT, page } from './ui-html.js';

export interface TimelineFilters {
  readonly container?: string;
  readonly severity?: string;
  readonly decision?: string;
  readonly since?: string;
}

const time = (iso: string) => esc(iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z'));
const incidentHref = (r: AuditRecord) => `/ui/incident/${encodeURIComponent(r.incidentId)}#o${r.occurrence}`;
const containerHref = (name: string) => `/ui/container/${encodeURIComponent(name)}`;

function outcomeTone(status: string): string {
  if (status === 'restarted' || status === 'recovered-by-docker') return 'good';
  if (status === 'restart-failed' || status === 'not-running-after-restart') return 'bad';
  return 'muted';
}

function decisionText(r: AuditRecord): string {
  return `${esc(r.decision.action)}${r.decision.guardrail ? ` <span class="muted">(${esc(r.decision.guardrail)})</span>` : ''}`;
}

/** One timeline row; also sent to live pages, so it must stand alone. */
export function incidentRow(r: AuditRecord): string {
  const sev = r.diagnosis.severity;
  return `<tr data-container="${esc(r.container.name)}" data-severity="${esc(sev)}" data-decision="${esc(r.decision.action)}">`
    + `<td>${time(r.time)}</td><td><a href="${containerHref(r.container.name)}">${esc(r.container.name)}</a></td>`
    + `<td class="sev-${esc(sev)}">${esc(sev)}</td><td>${decisionText(r)}</td>`
    + `<td class="${outcomeTone(r.outcome.status)} hide-phone">${esc(r.outcome.status)}</td>`
    + `<td><a href="${incidentHref(r)}">${esc(r.trigger.kind)}${r.evidence.exitCode !== null ? ` exit ${esc(r.evidence.exitCode)}` : ''}</a></td></tr>`;
}

/** What a live page needs to place an incident: its filter fields and its row. */
export function liveIncident(r: AuditRecord): Record<string, unknown> {
  return { container: r.container.name, severity: r.diagnosis.severity, action: r.decision.action, incidentId: r.incidentId, row: incidentRow(r) };
}

function select(name: string, label: string, values: readonly string[], current: string | undefined): string {
  const options = ['', ...values].map((v) => `<option value="${esc(v)}"${v === (current ?? '') ? ' selected' : ''}>${v === '' ? 'any' : esc(v)}</option>`).join('');
  return `<label>${label}<select name="${name}">${options}</select></label>`;
}

export function timelinePage(records: readonly AuditRecord[], containers: readonly string[], f: TimelineFilters, signOut: boolean): string {
  const form = `<form class="filters" method="get" action="/ui">
${select('container', 'Container', containers, f.container)}
${select('severity', 'Severity', ['high', 'medium', 'low'], f.severity)}
${select('decision', 'Decision', ['restart', 'escalate', 'none'], f.decision)}
${select('since', 'Since', ['1h', '24h', '7d', '30d'], f.since)}
<button type="submit">Filter</button> <a href="/ui">clear</a></form>`;
  const rows = records.map(incidentRow).join('\n');
  const empty = records.length === 0 ? '<p id="empty" class="muted">No incidents match.</p>' : '';
  const body = `<h1>Incidents <span id="live" class="muted">static</span></h1>${form}
<div class="wrap"><table><thead><tr><th>Time</th><th>Container</th><th>Severity</th><th>Decision</th><th class="hide-phone">Outcome</th><th>What</th></tr></thead>
<tbody id="rows">${rows}</tbody></table></div>${empty}<p class="muted"><span id="count">${records.length}</span> shown, newest first.</p>`;
  return page(body, { title: 'Timeline', active: 'timeline', script: LIVE_SCRIPT, signOut });
}

function dl(entries: ReadonlyArray<[string, string | null | undefined]>): string {
  return `<dl>${entries.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

export function incidentPage(records: readonly AuditRecord[], notes: readonly IncidentNoteEvent[], review: Report | undefined, signOut: boolean): string {
  const first = records[0]!;
  const cards = records.map((r) => {
    const dx = r.diagnosis;
    const restart = review?.restarts.find((x) => x.incidentId === r.incidentId && x.at === r.time);
    const evidence = dl([
      ['Trigger', `${esc(r.trigger.kind)} at ${time(r.trigger.at)}`],
      ['Status', esc(r.evidence.status)],
      ['Exit code', r.evidence.exitCode === null ? null : esc(r.evidence.exitCode)],
      ['OOM killed', r.evidence.oomKilled ? 'yes' : null],
      ['Health', r.evidence.health === 'none' ? null : esc(r.evidence.health)],
      ['Restart policy', esc(r.evidence.restartPolicy)],
      ['Matched', r.evidence.patterns.length ? esc(r.evidence.patterns.join(', ')) : null],
    ]);
    const source = dx.source === 'rules' ? `rules (${esc(dx.rule ?? 'catalog')}${dx.failureClass ? `, class ${esc(dx.failureClass)}` : ''})` : `AI: ${esc(dx.backend ?? 'claude')}${dx.model ? `, model ${esc(dx.model)}` : ''}`;
    return `<section class="card" id="o${r.occurrence}"><h2>Occurrence ${esc(r.occurrence)} · ${time(r.time)}</h2>
<h3>Evidence</h3>${evidence}
${r.evidence.healthOutput ? `<p class="muted">Health check output</p><pre>${esc(r.evidence.healthOutput)}</pre>` : ''}
${r.evidence.logTail.length ? `<p class="muted">Log tail (redacted)</p><pre>${esc(r.evidence.logTail.join('\n'))}</pre>` : ''}
<h3>Diagnosis</h3>${dl([
      ['Source', source],
      ['Severity', `<span class="sev-${esc(dx.severity)}">${esc(dx.severity)}</span>`],
      ['Root cause', esc(dx.root_cause)],
      ['Suggested fix', esc(dx.suggested_fix)],
      ['Restart safe', dx.auto_restart_safe ? 'yes' : 'no'],
      ['Rules said', r.rulesDiagnosis ? esc(r.rulesDiagnosis.root_cause) : null],
      ['AI note', r.aiNote ? esc(r.aiNote) : null],
      ['AI usage', r.aiUsage ? esc(`${r.aiUsage.inputTokens} in / ${r.aiUsage.outputTokens} out tokens${r.aiUsage.estimatedCostUsd !== null ? `, $${r.aiUsage.estimatedCostUsd.toFixed(4)}` : ''}`) : null],
    ])}
<h3>Decision</h3>${dl([
      ['Action', decisionText(r)],
      ['Reason', esc(r.decision.reason)],
      ['Decided by', esc(r.decision.decidedBy)],
      ['Executed', r.decision.executed ? 'yes' : 'no'],
    ])}
<h3>Outcome</h3>${dl([
      ['Status', `<span class="${outcomeTone(r.outcome.status)}">${esc(r.outcome.status)}</span>`],
      ['Detail', esc(r.outcome.detail)],
      ['At', time(r.outcome.at)],
      ['Did it hold', restart ? `<span class="${restart.verdict === 'held' ? 'good' : restart.verdict === 'watching' ? 'warn' : 'bad'}">${esc(restart.verdict)}</span>: ${esc(restart.detail)}` : null],
    ])}</section>`;
  });
  const follow = notes.length === 0 ? '<p class="muted">Nothing more on record.</p>'
    : `<ul>${notes.map((n) => `<li>${time(n.time)} ${esc(n.kind)}: ${esc(n.detail)}${n.afterMs !== undefined ? ` (${esc(formatCompactDuration(n.afterMs))} after)` : ''}</li>`).join('')}</ul>`;
  const body = `<p><a href="/ui">← timeline</a></p><h1>${esc(first.incidentId)}</h1>
<p><a href="${containerHref(first.container.name)}">${esc(first.container.name)}</a> <span class="muted">${esc(first.container.image)} on ${esc(first.container.host || 'local')}</span></p>
${cards.join('\n')}<h2>Follow-up</h2>${follow}`;
  return page(body, { title: first.incidentId, signOut });
}

const MARK: Readonly<Partial<Record<StoryStep['kind'], { color: string; label: string }>>> = {
  start: { color: 'var(--good)', label: 'start' },
  restart: { color: 'var(--good)', label: 'restart' },
  die: { color: 'var(--bad)', label: 'died' },
  oom: { color: 'var(--bad)', label: 'OOM' },
  kill: { color: 'var(--accent)', label: 'kill' },
  stop: { color: 'var(--accent)', label: 'stop' },
  health: { color: 'var(--warn)', label: 'health' },
  'doctor-restart': { color: 'var(--accent)', label: 'doctor restart' },
  pause: { color: 'var(--muted)', label: 'pause' },
  unpause: { color: 'var(--muted)', label: 'unpause' },
};

/** Seconds matter on an axis shorter than an hour. */
function axisLabel(ms: number, span: number): string {
  return new Date(ms).toISOString().slice(0, span < 3_600_000 ? 19 : 16).replace('T', ' ') + 'Z';
}

/** The story on a time axis: steps as dots above the line, incidents as red ticks below it. */
function storyAxis(steps: readonly StoryStep[], records: readonly AuditRecord[], now: number): string {
  const times = [...steps.map((s) => s.at), ...records.map((r) => Date.parse(r.time))];
  if (times.length === 0) return '<p class="muted">No story on file.</p>';
  const from = Math.min(...times);
  const to = Math.max(now, ...times);
  const span = Math.max(1, to - from);
  const x = (t: number) => 10 + ((t - from) / span) * 780;
  const dots = steps
    .filter((s) => MARK[s.kind])
    .map((s) => `<circle cx="${x(s.at).toFixed(1)}" cy="30" r="5" fill="${MARK[s.kind]!.color}"><title>${esc(new Date(s.at).toISOString())} ${esc(describeStep(s))}</title></circle>`)
    .join('');
  const ticks = records.map((r) => `<a href="${incidentHref(r)}"><rect x="${(x(Date.parse(r.time)) - 2).toFixed(1)}" y="44" width="4" height="16" fill="var(--bad)"><title>${esc(r.time)} incident ${esc(r.incidentId)}: ${esc(r.decision.action)}</title></rect></a>`).join('');
  return `<svg class="axis" viewBox="0 0 800 90" role="img" aria-label="story from ${esc(new Date(from).toISOString())} to ${esc(new Date(to).toISOString())}">
<line x1="10" y1="40" x2="790" y2="40" stroke="var(--line)" stroke-width="2"/>${dots}${ticks}
<text x="10" y="82">${esc(axisLabel(from, span))}</text><text x="790" y="82" text-anchor="end">${esc(axisLabel(to, span))}</text></svg>
<p class="muted">Dots: <span class="good">start</span>, <span class="bad">death</span>, <span style="color:var(--accent)">stop, kill or the doctor's restart</span>, <span class="warn">health</span>. Red ticks: incidents.</p>`;
}

function figures(f: ReportFigures | undefined): string {
  if (!f) return '<p class="muted">No incidents in the report window.</p>';
  const r = f.restarts;
  const decided = r.held + r.relapsed + r.failed;
  const watching = r.watching > 0 ? `${r.watching} watching` : '';
  const rate = decided === 0 ? watching || '-' : `${Math.round((r.held / decided) * 100)}% (${r.held}/${decided})${watching ? `, ${watching}` : ''}`;
  const ttr = f.timeToRecovery;
  const item = (label: string, value: string) => `<div><span class="muted">${esc(label)}</span><b>${esc(value)}</b></div>`;
  return `<div class="figs">${item('Incidents', String(f.incidents))}${item('Restarts held', rate)}${item('Time to recovery (median)', ttr.medianMs === null ? '-' : formatCompactDuration(ttr.medianMs))}${item('Worst', ttr.worstMs === null ? '-' : formatCompactDuration(ttr.worstMs))}${item('Time down', formatCompactDuration(f.downMs))}${item('Still down', String(f.stillDown))}</div>`;
}

export function containerPage(name: string, stories: readonly ContainerStory[], records: readonly AuditRecord[], report: Report, now: number, signOut: boolean): string {
  const steps = stories.flatMap((s) => s.steps).sort((a, b) => a.at - b.at);
  const latest = steps.slice(-30).reverse().map((s) => `<li>${time(new Date(s.at).toISOString())} ${esc(describeStep(s))}</li>`).join('');
  const body = `<p><a href="/ui">← timeline</a></p><h1>${esc(name)}</h1>
<h2>Figures <span class="muted">(${time(report.from)} to ${time(report.to)})</span></h2>${figures(report.containers.find((c) => c.name === name)?.figures)}
<h2>Story</h2>${storyAxis(steps, records, now)}
<details><summary>Latest steps</summary><ul>${latest || '<li class="muted">none</li>'}</ul></details>
<h2>Incidents</h2><div class="wrap"><table><thead><tr><th>Time</th><th>Container</th><th>Severity</th><th>Decision</th><th class="hide-phone">Outcome</th><th>What</th></tr></thead>
<tbody>${records.map(incidentRow).join('\n')}</tbody></table></div>`;
  return page(body, { title: name, signOut });
}

const TONE_CLASS: Readonly<Record<Tone, string>> = { plain: '', good: 'good', bad: 'bad', warn: 'warn', dim: 'muted' };

/** The same sections, in the same words, as `doctor report`. */
export function reportPage(report: Report, since: string, signOut: boolean): string {
  const sections = buildReportSections(report)
    .map((s) => {
      const table = s.rows.length === 0 ? `<p class="muted">${esc(s.empty)}</p>`
        : `<div class="wrap"><table><thead><tr>${s.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${s.rows
          .map((row) => `<tr>${row.map((c) => `<td class="${TONE_CLASS[c.tone ?? 'plain']}">${esc(c.text)}</td>`).join('')}</tr>`)
          .join('')}</tbody></table></div>`;
      return `<section><h2>${esc(s.title)}</h2>${s.note ? `<p class="muted">${esc(s.note)}</p>` : ''}${table}</section>`;
    })
    .join('\n');
  const form = `<form class="filters" method="get" action="/ui/report">${select('since', 'Since', ['24h', '7d', '30d'], since)}<button type="submit">Show</button></form>`;
  return page(`<h1>Report</h1>${form}${sections}`, { title: 'Report', active: 'report', signOut });
}

export function loginPage(message: string | undefined): string {
  const body = `<h1>Sign in</h1>${message ? `<p class="bad">${esc(message)}</p>` : ''}
<form method="post" action="/ui/login" class="card"><label>HEALTH_TOKEN<input type="password" name="token" autocomplete="current-password" required autofocus></label>
<p><button type="submit">Sign in</button></p></form>
<p class="muted">The token is the doctor's HEALTH_TOKEN. The browser keeps a session cookie, never the token.</p>`;
  return page(body, { title: 'Sign in' });
}

export function notFoundPage(what: string, signOut: boolean): string {
  return page(`<h1>Not found</h1><p>${esc(what)}</p><p><a href="/ui">Timeline</a></p>`, { title: 'Not found', signOut });
}
