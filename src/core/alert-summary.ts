/**
 * One channel-neutral summary of an incident, a recovery, a storm digest or a test message: plain
 * text, already redacted, not yet escaped for any markup. Every channel other than Slack (which
 * keeps its Block Kit builders in alert-blocks.ts) converts this one shape to its native format,
 * so all channels say the same thing and only the rendering differs.
 */
import {
  ACTION_LABEL,
  actionWord,
  CUT_MARKER,
  cutText,
  describeProblem,
  GUARDRAIL_LABEL,
  OUTCOME_LABEL,
  SEVERITY_MARKER,
  timeToRecovery,
  type RecoveryEntry,
} from './alert-blocks.js';
import { describeDiagnosisSource, isAiDiagnosis } from './diagnosis-source.js';
import type { AuditRecord, Severity } from './types.js';

export { CUT_MARKER, cutText };

/** What an alert is about. `test` is `doctor notify test`. */
export type AlertKind = 'incident' | 'recovery' | 'digest' | 'test' | 'notice';

/** `ok` for recoveries and tests: nothing is wrong. */
export type AlertTone = Severity | 'ok';

export interface AlertField {
  readonly name: string;
  readonly value: string;
}

export interface AlertSummary {
  readonly kind: AlertKind;
  readonly tone: AlertTone;
  /** One line: `web-1: exited with code 1`, without a severity marker (channels add their own). */
  readonly title: string;
  /** The loudest fact (needs a person, the restart failed), when there is one. */
  readonly headline?: string;
  /** Labelled facts, in reading order. */
  readonly fields: readonly AlertField[];
  /** Matched log lines (incident) or one line per entry (digest), shown verbatim. */
  readonly lines: readonly string[];
  /** Which opinion it is and where it came from: host, incident id, time. */
  readonly footer: string;
  readonly incidentIds: readonly string[];
  readonly containers: readonly string[];
  /** ISO time of the event (incident time, recovery time, digest's last entry). */
  readonly time: string;
}

export interface SummaryOptions {
  readonly hostLabel: string;
  readonly redact: (s: string) => string;
}

/** A marker per tone for plain-text channels (email subject, ntfy/Gotify titles, Telegram). */
export const TONE_MARKER: Record<AlertTone, string> = { ...SEVERITY_MARKER, ok: '✅' };

export function summarizeIncident(record: AuditRecord, opts: SummaryOptions): AlertSummary {
  const clean = opts.redact;
  const { diagnosis: dx, decision, outcome, evidence, container } = record;
  const fields: AlertField[] = [
    { name: 'Severity', value: `${dx.severity}${record.occurrence > 1 ? ` (seen ${record.occurrence} times)` : ''}` },
    { name: 'Container', value: `${container.name} (image ${container.image}, engine ${container.host || 'local'})` },
    { name: 'Root cause', value: clean(dx.root_cause) },
    { name: 'Fix', value: clean(dx.suggested_fix) },
  ];
  if (dx.config_suggestions.length > 0) fields.push({ name: 'Config suggestions', value: dx.config_suggestions.map((s) => `• ${clean(s)}`).join('\n') });
  if (dx.estimated_impact.trim() !== '') fields.push({ name: 'Estimated impact', value: clean(dx.estimated_impact) });
  const did = decision.action === 'restart' ? (decision.executed ? 'Restarted the container' : 'Decided to restart (not issued)') : ACTION_LABEL[decision.action];
  const guard = decision.guardrail ? ` (guardrail: ${GUARDRAIL_LABEL[decision.guardrail]})` : '';
  fields.push({ name: 'What the doctor did', value: `${did}${guard}: ${clean(decision.reason)}` });
  fields.push({ name: 'Result', value: `${OUTCOME_LABEL[outcome.status]}${outcome.detail ? `: ${clean(outcome.detail)}` : ''}` });

  const lines = evidence.matchedLines.length > 0 ? evidence.matchedLines : evidence.stateError ? [evidence.stateError] : [];
  const second = record.rulesDiagnosis && isAiDiagnosis(dx) ? `; rules said: ${clean(record.rulesDiagnosis.root_cause)}` : '';
  const note = record.aiNote ? `; ${clean(record.aiNote)}` : '';
  const headline = loudLine(record, clean);
  return {
    kind: 'incident',
    tone: dx.severity,
    title: `${container.name}: ${describeProblem(record)} (${actionWord(record)})`,
    ...(headline ? { headline } : {}),
    fields,
    lines: lines.map(clean),
    footer: `Diagnosis by ${describeDiagnosisSource(dx)}${second}${note} · host ${opts.hostLabel} · incident ${record.incidentId} · ${record.time}`,
    incidentIds: [record.incidentId],
    containers: [container.name],
    time: record.time,
  };
}

export function summarizeRecovery(record: AuditRecord, recoveredAt: string, opts: SummaryOptions): AlertSummary {
  const took = timeToRecovery(record.time, recoveredAt);
  const name = record.container.name;
  return {
    kind: 'recovery',
    tone: 'ok',
    title: `${name}: back up${took ? ` after ${took}` : ''}`,
    fields: [
      { name: 'Was', value: opts.redact(record.diagnosis.root_cause) },
      { name: 'Doctor did', value: ACTION_LABEL[record.decision.action] },
    ],
    lines: [],
    footer: `host ${opts.hostLabel} · incident ${record.incidentId} · ${recoveredAt}`,
    incidentIds: [record.incidentId],
    containers: [name],
    time: recoveredAt,
  };
}

export function summarizeDigest(records: readonly AuditRecord[], recoveries: readonly RecoveryEntry[], opts: SummaryOptions): AlertSummary {
  const names = [...new Set([...records, ...recoveries.map((r) => r.record)].map((r) => r.container.name))];
  const high = records.filter((r) => r.diagnosis.severity === 'high').length;
  const lines = [
    ...records.map((r) => `${SEVERITY_MARKER[r.diagnosis.severity]} ${r.container.name} ${r.diagnosis.severity}: ${cutText(opts.redact(r.diagnosis.root_cause), 300)} (${actionWord(r)})`),
    ...recoveries.map((e) => {
      const took = timeToRecovery(e.record.time, e.recoveredAt);
      return `${TONE_MARKER.ok} ${e.record.container.name} back up${took ? ` after ${took}` : ''}`;
    }),
  ];
  const first = records[0]?.time ?? recoveries[0]?.recoveredAt ?? '';
  const last = records.at(-1)?.time ?? recoveries.at(-1)?.recoveredAt ?? first;
  return {
    kind: 'digest',
    tone: high > 0 ? 'high' : records.length > 0 ? 'medium' : 'ok',
    title:
      `Alert storm: ${plural(records.length, 'incident')} on ${plural(new Set(records.map((r) => r.container.name)).size, 'container')}` +
      (recoveries.length > 0 ? `, ${plural(recoveries.length, 'recovery', 'recoveries')}` : ''),
    headline: `Too many alerts to post one by one${high > 0 ? ` (${high} high)` : ''}; one line each.`,
    fields: [],
    lines,
    footer: `host ${opts.hostLabel}${first ? ` · ${first} – ${last}` : ''}`,
    incidentIds: [...records.map((r) => r.incidentId), ...recoveries.map((e) => e.record.incidentId)],
    containers: names,
    time: last,
  };
}

/** A message about no single incident (the scheduled report digest): its lines as given, redacted. */
export function summarizeNotice(title: string, markdown: string, nowIso: string, opts: SummaryOptions): AlertSummary {
  return {
    kind: 'notice',
    tone: 'ok',
    title: opts.redact(title),
    fields: [],
    lines: markdown.split('\n').map((l) => opts.redact(l)),
    footer: `host ${opts.hostLabel} · ${nowIso}`,
    incidentIds: [],
    containers: [],
    time: nowIso,
  };
}

/** The message `doctor notify test` sends: says who sent it and that nothing is wrong. */
export function summarizeTest(nowIso: string, opts: SummaryOptions): AlertSummary {
  return {
    kind: 'test',
    tone: 'ok',
    title: `Test message from container-doctor on ${opts.hostLabel}`,
    fields: [{ name: 'Why', value: 'Someone ran `doctor notify test`: this channel is configured and reachable. Nothing is wrong.' }],
    lines: [],
    footer: `host ${opts.hostLabel} · ${nowIso}`,
    incidentIds: [],
    containers: [],
    time: nowIso,
  };
}

/**
 * The whole summary as plain text, fitted to `max` characters: the title, the headline, the
 * fields, then as many log lines as fit, then the footer. A cut is marked with CUT_MARKER.
 */
export function renderPlainText(s: AlertSummary, max: number, opts: { withTitle?: boolean } = {}): string {
  const head = [opts.withTitle ? `${TONE_MARKER[s.tone]} ${s.title}` : '', s.headline ?? '', ...s.fields.map((f) => `${f.name}: ${f.value}`)].filter((x) => x !== '');
  return fitSections(head, s.lines, s.footer, max);
}

/**
 * Joins `head` paragraphs, then `lines`, then `footer`, within `max` characters. Lines that do not
 * fit are counted (`…and 3 more lines`) rather than dropped silently; the footer always survives.
 * With `atomic`, head paragraphs are never cut inside (markup such as Telegram's HTML would break):
 * one that does not fit is left out, and the cut is marked.
 */
export function fitSections(head: readonly string[], lines: readonly string[], footer: string, max: number, opts: { atomic?: boolean } = {}): string {
  const tail = footer ? `\n\n${opts.atomic ? footer : cutText(footer, Math.max(0, Math.floor(max / 4)))}` : '';
  const budget = Math.max(0, max - tail.length);
  let text = opts.atomic ? fitWhole(head, budget) : cutText(head.join('\n'), budget);
  for (let i = 0; i < lines.length; i++) {
    const line = `${i === 0 ? '\n\n' : '\n'}${lines[i]}`;
    const more = i < lines.length - 1 ? `\n…and ${lines.length - i - 1} more ${CUT_MARKER}`.length : 0;
    if (text.length + line.length + more > budget) {
      const rest = `\n…and ${lines.length - i} more ${CUT_MARKER}`;
      if (text.length + rest.length <= budget) text += rest;
      break;
    }
    text += line;
  }
  return text + tail;
}

/** Whole paragraphs while they fit, then the cut marker. */
function fitWhole(parts: readonly string[], budget: number): string {
  let text = '';
  for (const part of parts) {
    const next = text ? `${text}\n${part}` : part;
    if (next.length + `\n${CUT_MARKER}`.length > budget) return text ? `${text}\n${CUT_MARKER}` : CUT_MARKER.slice(0, budget);
    text = next;
  }
  return text;
}

function loudLine(record: AuditRecord, clean: (s: string) => string): string | null {
  const { decision, diagnosis, outcome } = record;
  const parts: string[] = [];
  if (decision.action === 'escalate') {
    const why = decision.guardrail ? GUARDRAIL_LABEL[decision.guardrail] : clean(decision.reason);
    parts.push(`Needs a person: ${why}. The doctor did not restart it.`);
  }
  if (outcome.status === 'restart-failed' || outcome.status === 'not-running-after-restart') parts.push(`The restart did not work: ${clean(outcome.detail)}`);
  if (diagnosis.likely_recurring) parts.push(`Likely to happen again${record.occurrence > 1 ? ` (occurrence ${record.occurrence})` : ''}: a restart will not make it go away.`);
  return parts.length > 0 ? parts.join('\n') : null;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
