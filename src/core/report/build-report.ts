/**
 * `buildReport`: the audit log's records and notes plus the stories, turned into the figures that
 * answer what happened, whether the doctor helped, and whether it can be trusted with AUTO_FIX.
 * Pure: the caller reads the files (works on a copied STATE_DIR) and passes the clock's now.
 */
import type { ContainerStory } from '../story.js';
import type { Action, AuditRecord, IncidentNoteEvent } from '../types.js';
import type {
  BackendCost,
  DurationStats,
  EscalationResolved,
  ObserveReview,
  Recoverer,
  RecoveryReview,
  Report,
  ReportFigures,
  RestartReview,
} from './report-types.js';
import { collectRepeats } from './signature-times.js';
import { failedAgain, HOLD_MS, personRestartAfter, readRecovery } from './story-reading.js';
import { restartResult } from '../outcome.js';
import { byText } from '../text-order.js';

export interface ReportInput {
  /** Incident records, outcomes joined (any order). */
  readonly records: readonly AuditRecord[];
  /** repeat and recovery lines. */
  readonly notes: readonly IncidentNoteEvent[];
  readonly stories: readonly ContainerStory[];
  readonly fromMs: number;
  readonly toMs: number;
  /** Only this container (name or id). */
  readonly container?: string;
  readonly skippedLines?: number;
}

/** Guardrails under which nothing was down that anyone wanted up: a person's stop, a finished job, a removed container. */
const NOT_AN_OUTAGE = new Set(['manual-stop', 'completed', 'removed', 'job', 'stale-exit', 'unknown-stop', 'still-running']);
const DEATH_TRIGGERS = new Set(['die', 'oom', 'exited', 'restarting', 'unhealthy']);
const iso = (ms: number) => new Date(ms).toISOString();

function storyOf(stories: readonly ContainerStory[], r: AuditRecord): ContainerStory | undefined {
  return stories.find((s) => s.id === r.container.id && s.host === r.container.host);
}

/** When the failure began: the exit for a death (inspect's FinishedAt), the trigger time otherwise. */
function failedAt(r: AuditRecord): number {
  const trigger = Date.parse(r.trigger.at);
  const finished = r.evidence.finishedAt ? Date.parse(r.evidence.finishedAt) : NaN;
  if (r.evidence.status !== 'running' && Number.isFinite(finished) && finished > 0 && finished <= trigger) return finished;
  return Number.isFinite(trigger) ? trigger : Date.parse(r.time);
}

function stats(values: readonly number[]): DurationStats {
  if (values.length === 0) return { count: 0, medianMs: null, worstMs: null };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
  return { count: sorted.length, medianMs: median, worstMs: sorted[sorted.length - 1]! };
}

function reviewRestart(r: AuditRecord, story: ContainerStory | undefined, records: readonly AuditRecord[], toMs: number): RestartReview {
  const base = { container: r.container.name, incidentId: r.incidentId, at: r.time };
  if (r.outcome.status === 'pending') return { ...base, verdict: 'watching', detail: 'no outcome on record' };
  const result = restartResult(r.outcome.status);
  if (result === 'person') return { ...base, verdict: 'taken-over', detail: r.outcome.detail };
  if (result !== 'held') return { ...base, verdict: 'failed', detail: r.outcome.detail };
  const settled = Date.parse(r.outcome.at);
  const again = failedAgain(story, settled, HOLD_MS);
  const sameAgain = records.find((o) => o !== r && o.container.id === r.container.id && o.signature === r.signature && Date.parse(o.time) > settled && Date.parse(o.time) <= settled + HOLD_MS);
  if (sameAgain) return { ...base, verdict: 'relapsed', detail: `the same failure again at ${sameAgain.time}` };
  if (again) return { ...base, verdict: 'relapsed', detail: again.kind === 'die' ? `died again (exit ${again.exitCode ?? 'unknown'}) at ${iso(again.at)}` : `unhealthy again at ${iso(again.at)}` };
  if (toMs < settled + HOLD_MS) return { ...base, verdict: 'watching', detail: 'running; fewer than 10 minutes since the restart' };
  return { ...base, verdict: 'held', detail: 'running after the settle check and 10 minutes later' };
}

function reviewRecovery(r: AuditRecord, story: ContainerStory | undefined, toMs: number): RecoveryReview | undefined {
  if (!DEATH_TRIGGERS.has(r.trigger.kind) || NOT_AN_OUTAGE.has(r.decision.guardrail ?? '')) return undefined;
  const diedAt = failedAt(r);
  const base = { container: r.container.name, incidentId: r.incidentId, diedAt: iso(diedAt) };
  const found = readRecovery(story, diedAt, { running: r.evidence.status === 'running', restartPolicy: r.evidence.restartPolicy });
  if (found && found.at <= toMs) return { ...base, recoveredAt: iso(found.at), by: found.by, downMs: found.at - diedAt };
  // Without the story (a copied audit log alone), the outcome says when the doctor's restart or Docker brought it back.
  if (!story) {
    const outcomeAt = Date.parse(r.outcome.at);
    if (r.outcome.status === 'restarted') return { ...base, recoveredAt: r.outcome.at, by: 'doctor', downMs: Math.max(0, outcomeAt - diedAt) };
    if (r.outcome.status === 'recovered-by-docker') return { ...base, recoveredAt: r.outcome.at, by: 'docker', downMs: Math.max(0, outcomeAt - diedAt) };
    return undefined;
  }
  return { ...base, recoveredAt: null, by: null, downMs: Math.max(0, toMs - diedAt) };
}

function figuresOf(records: readonly AuditRecord[], notes: readonly IncidentNoteEvent[], restarts: readonly RestartReview[], recoveries: readonly RecoveryReview[], downMs: number): ReportFigures {
  const byClass: Record<string, number> = {};
  const decisions: Record<Action, number> = { restart: 0, escalate: 0, none: 0 };
  const escalations: Record<string, number> = {};
  for (const r of records) {
    const cls = r.rulesDiagnosis?.failureClass ?? r.diagnosis.failureClass ?? 'unknown';
    byClass[cls] = (byClass[cls] ?? 0) + 1;
    decisions[r.decision.action] += 1;
    if (r.decision.action === 'escalate') {
      const key = r.decision.guardrail ?? `rule:${r.rulesDiagnosis?.rule ?? r.diagnosis.rule ?? 'unknown'}`;
      escalations[key] = (escalations[key] ?? 0) + 1;
    }
  }
  const count = (v: RestartReview['verdict']) => restarts.filter((x) => x.verdict === v).length;
  const recovered = recoveries.filter((x) => x.recoveredAt !== null);
  const by = (who: Recoverer) => stats(recovered.filter((x) => x.by === who).map((x) => x.downMs));
  return {
    incidents: records.length,
    repeats: notes.reduce((sum, n) => sum + (n.kind === 'repeat' ? repeatsOf(n) : 0), 0),
    byClass,
    decisions,
    restarts: { made: restarts.length, held: count('held'), relapsed: count('relapsed'), failed: count('failed'), watching: count('watching'), takenOver: count('taken-over') },
    escalations,
    downMs,
    timeToRecovery: { ...stats(recovered.map((x) => x.downMs)), by: { doctor: by('doctor'), docker: by('docker'), person: by('person'), itself: by('itself') } },
    stillDown: recoveries.filter((x) => x.recoveredAt === null).length,
  };
}

/** How many repeats a repeat line stands for (lines before thinning stood for one each). */
function repeatsOf(n: IncidentNoteEvent): number {
  return typeof n.covered === 'number' && Number.isInteger(n.covered) && n.covered > 0 ? n.covered : 1;
}

/** Time down: each incident's death to running again (or to the window's end), clipped to the window. */
function downTimeOf(recoveries: readonly RecoveryReview[], fromMs: number): number {
  return recoveries.reduce((n, r) => {
    const died = Date.parse(r.diedAt);
    const end = died + r.downMs;
    return n + Math.max(0, end - Math.max(died, fromMs));
  }, 0);
}

function costOf(records: readonly AuditRecord[]): Report['diagnosis'] {
  const backends = new Map<string, { calls: number; inputTokens: number; outputTokens: number; cost: number; priced: boolean }>();
  for (const r of records) {
    const u = r.aiUsage;
    if (!u) continue;
    const name = u.backend ?? r.diagnosis.backend ?? 'claude';
    const b = backends.get(name) ?? { calls: 0, inputTokens: 0, outputTokens: 0, cost: 0, priced: false };
    b.calls += 1;
    b.inputTokens += u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens;
    b.outputTokens += u.outputTokens;
    if (u.estimatedCostUsd !== null) {
      b.cost += u.estimatedCostUsd;
      b.priced = true;
    }
    backends.set(name, b);
  }
  const byBackend: BackendCost[] = [...backends.entries()]
    .map(([backend, b]) => ({ backend, calls: b.calls, inputTokens: b.inputTokens, outputTokens: b.outputTokens, estimatedCostUsd: b.priced ? b.cost : null }))
    .sort((a, b) => b.calls - a.calls || byText(a.backend, b.backend));
  const priced = byBackend.filter((b) => b.estimatedCostUsd !== null);
  return {
    calls: byBackend.reduce((n, b) => n + b.calls, 0),
    inputTokens: byBackend.reduce((n, b) => n + b.inputTokens, 0),
    outputTokens: byBackend.reduce((n, b) => n + b.outputTokens, 0),
    estimatedCostUsd: byBackend.length === 0 ? 0 : priced.length === 0 ? null : priced.reduce((n, b) => n + b.estimatedCostUsd!, 0),
    byBackend,
    // The AI may only add caution (core/decide.ts): it changed a decision exactly when the rules
    // would have restarted and the AI's "not safe" stopped it.
    aiChangedDecision: records.filter((r) => r.decision.decidedBy === 'claude' && r.decision.guardrail === 'not-safe').length,
    rulesOnly: records.filter((r) => !r.rulesDiagnosis).length,
  };
}

function reviewObserved(r: AuditRecord, recovery: RecoveryReview | undefined): ObserveReview {
  const base = { container: r.container.name, incidentId: r.incidentId, at: r.time, wouldHave: r.decision.reason.startsWith('would restart') ? 'restart' : r.decision.action };
  if (!recovery) return { ...base, then: 'unknown', downMs: null };
  if (recovery.recoveredAt === null) return { ...base, then: 'still-down', downMs: recovery.downMs };
  const then = recovery.by === 'person' ? 'person-restarted' : recovery.by === 'docker' ? 'docker-restarted' : recovery.by === 'itself' ? 'recovered-by-itself' : 'unknown';
  return { ...base, then, downMs: recovery.downMs };
}

export function buildReport(input: ReportInput): Report {
  const { fromMs, toMs, stories } = input;
  const match = (c: { name: string; id: string }) => !input.container || c.name === input.container || c.id === input.container || c.id.startsWith(input.container);
  const inWindow = (iso: string) => {
    const t = Date.parse(iso);
    return t >= fromMs && t <= toMs;
  };
  const records = input.records.filter((r) => match(r.container) && inWindow(r.time)).sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  const notes = input.notes.filter((n) => match(n.container) && inWindow(n.time));

  const restarts = records
    .filter((r) => r.decision.action === 'restart' && (r.decision.executed || r.outcome.status === 'pending'))
    .map((r) => reviewRestart(r, storyOf(stories, r), records, toMs));
  const recoveryOf = new Map<AuditRecord, RecoveryReview>();
  for (const r of records) {
    const rec = reviewRecovery(r, storyOf(stories, r), toMs);
    if (rec) recoveryOf.set(r, rec);
  }
  const recoveries = [...recoveryOf.values()];

  const names = [...new Set(records.map((r) => r.container.name))].sort();
  const containers = names.map((name) => {
    const rs = records.filter((r) => r.container.name === name);
    const rv = recoveries.filter((x) => x.container === name);
    return { name, figures: figuresOf(rs, notes.filter((n) => n.container.name === name), restarts.filter((x) => x.container === name), rv, downTimeOf(rv, fromMs)) };
  });

  const escalationsResolvedByPerson: EscalationResolved[] = [];
  for (const r of records) {
    if (r.decision.action !== 'escalate') continue;
    const story = storyOf(stories, r);
    const at = personRestartAfter(story, Date.parse(r.time), r.evidence.restartPolicy);
    if (at === undefined || at + HOLD_MS > toMs || failedAgain(story, at, HOLD_MS)) continue;
    escalationsResolvedByPerson.push({ container: r.container.name, incidentId: r.incidentId, at: r.time, guardrail: r.decision.guardrail, resolvedAt: iso(at) });
  }

  const signatureOf = new Map(records.map((r) => [r.incidentId, r]));
  const seen = [
    ...records.map((r) => ({ container: r.container.name, signature: r.signature, rule: r.rulesDiagnosis?.rule ?? r.diagnosis.rule ?? null, at: Date.parse(r.time) })),
    ...notes.flatMap((n) => {
      const r = n.kind === 'repeat' && n.incidentId ? signatureOf.get(n.incidentId) : undefined;
      if (!r) return [];
      const since = n.since !== undefined ? Date.parse(n.since) : NaN;
      return [{ container: r.container.name, signature: r.signature, rule: r.rulesDiagnosis?.rule ?? r.diagnosis.rule ?? null, at: Date.parse(n.time), n: repeatsOf(n), ...(Number.isFinite(since) ? { since } : {}) }];
    }),
  ];

  const observed = records.filter((r) => r.decision.guardrail === 'observe-only');
  return {
    schema: 1,
    from: iso(fromMs),
    to: iso(toMs),
    container: input.container ?? null,
    total: figuresOf(records, notes, restarts, recoveries, containers.reduce((n, c) => n + c.figures.downMs, 0)),
    containers,
    restarts,
    recoveries,
    didItHelp: {
      restartsNotHelped: restarts.filter((x) => x.verdict === 'relapsed' || x.verdict === 'failed'),
      escalationsResolvedByPerson,
      repeatedSignatures: collectRepeats(seen),
    },
    observeOnly: {
      incidents: observed.length,
      wouldRestart: observed.filter((r) => r.decision.reason.startsWith('would restart')).length,
      reviews: observed.map((r) => reviewObserved(r, recoveryOf.get(r))),
    },
    diagnosis: costOf(records),
    skippedLines: input.skippedLines ?? 0,
  };
}
