import type { ChalkInstance } from 'chalk';
import type { IncidentResult } from '../../pipeline/incident-handler.js';
import { describeStep } from '../../core/story.js';
import { DAY_MS, incidentsWithRule, parseTime } from '../../core/history.js';
import { paintSeverity } from './colors.js';
import { diagnosisModelLabel, isAiDiagnosis } from '../../core/diagnosis-source.js';
import { restartHeld } from './restart-outcome.js';

/** How many of the story's last steps the report shows. */
const STORY_STEPS_SHOWN = 12;

/** A container has a problem when it is down with a failure, unhealthy, or logging errors. */
export function hasProblem(r: IncidentResult): boolean {
  const { facts } = r;
  if (r.decision.action !== 'none') return true;
  if (r.findings.length > 0) return true;
  if (facts.health.status === 'unhealthy' || facts.status === 'restarting' || facts.status === 'dead') return true;
  return !facts.running && facts.exitCode !== null && facts.exitCode !== 0;
}

/** The `--json` shape: stable keys for scripts. */
export function toDiagnoseJson(r: IncidentResult) {
  const { facts } = r;
  return {
    container: {
      name: facts.ref.name,
      id: facts.ref.id,
      image: facts.ref.image,
      host: facts.ref.host,
      status: facts.status,
      exitCode: facts.exitCode,
      oomKilled: facts.oomKilled,
      health: facts.health.status,
      restartCount: facts.restartCount,
      restartPolicy: facts.restartPolicy.name,
      startedAt: facts.startedAt,
      finishedAt: facts.finishedAt,
    },
    problem: hasProblem(r),
    findings: distinctFindings(r).slice(-50),
    signature: r.signature,
    diagnosis: r.diagnosis ?? r.rules.diagnosis,
    rulesDiagnosis: r.rules.diagnosis,
    ...(r.aiNote ? { aiNote: r.aiNote } : {}),
    decision: r.decision,
    outcome: r.outcome,
    story: (r.story?.steps ?? []).slice(-STORY_STEPS_SHOWN).map((s) => ({ ...s, at: new Date(s.at).toISOString(), says: describeStep(s) })),
    history: {
      deathsLast24h: r.history.deaths.length,
      oomsLast24h: r.history.ooms.length,
      restartsByDoctorLast24h: r.history.restarts.length,
      incidents: r.history.incidents.slice(-10),
    },
  };
}

/** Each error line once: a line can match several patterns, and the tail can hold it more than once. */
function distinctFindings(r: IncidentResult): Array<{ line: string; stream: string; pattern: string }> {
  const seen = new Set<string>();
  const out: Array<{ line: string; stream: string; pattern: string }> = [];
  for (const f of r.findings) {
    const key = `${f.ts ?? ''}\u0000${f.stream}\u0000${f.line}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ line: f.line, stream: f.stream, pattern: f.pattern });
  }
  return out;
}

/**
 * How often this failure was seen before, counted as the rules count it (every remembered
 * signature of the same rule in 24 h, without the judgement of this very exit), so the report
 * never gives two numbers for one failure.
 */
export function seenBefore(r: IncidentResult, nowMs: number): { count: number; firstSeen: string; lastAction: string } | undefined {
  const finished = r.facts.running ? null : parseTime(r.evidence.finishedAt);
  const same = incidentsWithRule(r.history, r.rules.rule, nowMs, DAY_MS);
  let count = 0;
  for (const m of same) count += finished !== null && (parseTime(m.lastSeen) ?? 0) >= finished ? m.count - 1 : m.count;
  if (count <= 0) return undefined;
  const firstSeen = same.map((m) => m.firstSeen).sort()[0]!;
  const last = [...same].sort((a, b) => (a.lastSeen < b.lastSeen ? 1 : -1))[0]!;
  return { count, firstSeen, lastAction: last.lastAction };
}

function wrapLines(lines: readonly string[], max: number): string[] {
  return lines.slice(-max).map((l) => (l.length > 200 ? `${l.slice(0, 200)}…` : l));
}

export function formatDiagnoseReport(c: ChalkInstance, r: IncidentResult): string {
  const { facts } = r;
  const d = r.diagnosis ?? r.rules.diagnosis;
  const out: string[] = [];
  const state = facts.running
    ? `${facts.status}${facts.health.status !== 'none' ? `, ${facts.health.status}` : ''}`
    : `${facts.status}, exit code ${facts.exitCode ?? '—'}${facts.oomKilled ? ', OOM-killed' : ''}`;
  out.push(`${c.bold(facts.ref.name)} ${c.dim(`(${facts.ref.image}, ${facts.ref.id.slice(0, 12)}${facts.ref.host ? ` on ${facts.ref.host}` : ''})`)}`);
  out.push(`  state:     ${state}`);
  out.push(`  restarts:  Docker counted ${facts.restartCount}; the doctor restarted it ${r.history.restarts.length}x in 24 h; policy ${facts.restartPolicy.name}`);
  if (facts.health.lastOutput) out.push(`  health:    ${facts.health.lastOutput.trim().split('\n')[0]}`);
  if (r.findings.length > 0) {
    out.push('', c.bold('Error lines'));
    for (const l of wrapLines(r.evidence.matchedLines, 8)) out.push(`  ${c.red('│')} ${l}`);
  }
  out.push('', `${c.bold('Diagnosis')} ${isAiDiagnosis(d) ? c.magenta(`[AI: ${diagnosisModelLabel(d)}]`) : c.dim('[rules]')}  ${paintSeverity(c, d.severity)}`);
  out.push(`  cause:     ${d.root_cause}`);
  out.push(`  fix:       ${d.suggested_fix}`);
  out.push(`  impact:    ${d.estimated_impact}`);
  if (d.likely_recurring) out.push(`  ${c.yellow('likely to recur')}`);
  for (const s of d.config_suggestions) out.push(`  - ${s}`);
  if (r.ai && isAiDiagnosis(d) && r.rules.diagnosis.root_cause !== d.root_cause) {
    out.push(c.dim(`  rules said: ${r.rules.diagnosis.root_cause}`));
  }
  if (r.aiNote) out.push(c.dim(`  note: ${r.aiNote}`));
  const dec = r.decision;
  const restartVerb = !dec.executed ? c.cyan('RESTART (run with --fix to act)') : restartHeld(r) ? c.green('RESTARTED') : c.red.bold('RESTART FAILED');
  const verb = dec.action === 'restart' ? restartVerb : dec.action === 'escalate' ? c.red.bold('ESCALATE') : c.dim('NO ACTION');
  out.push('', `${c.bold('Decision')}  ${verb}${dec.guardrail ? c.dim(` [${dec.guardrail}]`) : ''}`);
  out.push(`  ${dec.reason}`);
  if (dec.executed || r.outcome.status !== 'not-acted') out.push(`  outcome: ${r.outcome.detail}`);
  const before = seenBefore(r, Date.parse(r.outcome.at) || Date.now());
  if (before) out.push(c.dim(`  seen before: ${before.count}x in 24 h (since ${before.firstSeen}), last action ${before.lastAction}`));
  const past = r.history.incidents.find((i) => i.signature === r.signature);
  if (past) {
    // The times themselves show a pattern ("every night at 02:00") that a count hides.
    if (past.recent && past.recent.length > 1) out.push(c.dim(`  recent: ${past.recent.map((t) => t.replace('T', ' ').slice(0, 16)).join(', ')} (UTC)`));
  }
  const steps = (r.story?.steps ?? []).slice(-STORY_STEPS_SHOWN);
  if (steps.length > 0) {
    // Who did what, newest last: the story the decision was read from.
    out.push('', c.bold('Story'));
    for (const step of steps) out.push(`  ${c.dim(new Date(step.at).toISOString().replace('T', ' ').slice(0, 19))}  ${describeStep(step)}`);
  }
  return `${out.join('\n')}\n`;
}
