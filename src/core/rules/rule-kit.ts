/**
 * What every rule family shares: the input and context a rule reads, the shape of an entry, and
 * the sentence helpers that make diagnoses speak about this container rather than in general.
 */
import { findLastLine, quoteLine, type LineMatch } from '../evidence-text.js';
import { DAY_MS, HOUR_MS, countWithin, incidentsWithRule, parseTime } from '../history.js';
import type { ContainerFacts, ContainerHistory, Diagnosis, Evidence, FailureClass, Severity, Trigger } from '../types.js';

/** What the catalog judges. */
export interface RulesInput {
  readonly facts: ContainerFacts;
  readonly evidence: Evidence;
  readonly trigger: Trigger;
  readonly history: ContainerHistory;
  readonly now: number;
}

/** The diagnosis fields an entry writes; `source` and `rule` are added by the catalog. */
export type DiagnosisFields = Omit<Diagnosis, 'source' | 'rule' | 'model'>;

/** Derived once per diagnosis and shared by every entry. */
export interface RuleContext {
  readonly input: RulesInput;
  readonly name: string;
  readonly running: boolean;
  /** The container is down (or between Docker's restarts) after an exit: exit-code rules apply. */
  readonly exited: boolean;
  readonly exitCode: number | null;
  readonly lines: readonly string[];
  /** Deaths in the last 24 h, counting this one. */
  readonly deaths24h: number;
}

/** What `match` found: the line it is about, if any. Truthy means the entry applies. */
export interface RuleMatch {
  readonly line?: string;
  /** The pattern's first capture group (a variable name, say), when it has one. */
  readonly captured?: string;
}

/** One known failure class. */
export interface CatalogEntry {
  readonly id: string;
  /**
   * A restart cannot fix this class: the cause lives outside the process (disk, permissions, the
   * image, the container's configuration), so restarting only repeats the failure.
   */
  readonly restartCannotFix: boolean;
  /** The entry explains the failure specifically; false for fallbacks, which are worth a second opinion. */
  readonly settled: boolean;
  /** Where the cause lives; a function when the same entry covers causes in different places. */
  readonly failureClass: FailureClass | ((ctx: RuleContext, found: RuleMatch) => FailureClass);
  /** Overrides `restartCannotFix` for one match, when the facts decide it (a shared network namespace). */
  cannotFix?(ctx: RuleContext, found: RuleMatch): boolean;
  /** A generic fallback: the rules did not recognise the failure. */
  readonly fallback?: boolean;
  match(ctx: RuleContext): RuleMatch | undefined;
  build(ctx: RuleContext, found: RuleMatch): DiagnosisFields;
}

/** Upper-case words that are log levels, not the names of settings. */
export const LOG_LEVELS = new Set(['ERROR', 'WARN', 'WARNING', 'INFO', 'DEBUG', 'FATAL', 'TRACE', 'CRITICAL', 'NOTICE']);

export function lineHit(ctx: RuleContext, pattern: RegExp, unless?: RegExp): RuleMatch | undefined {
  const hit = findLastLine(ctx.lines, pattern, unless);
  return hit ? fromLine(hit) : undefined;
}

export function fromLine(hit: LineMatch): RuleMatch {
  return hit.match[1] !== undefined ? { line: hit.line, captured: hit.match[1] } : { line: hit.line };
}

export function quoteHit(found: RuleMatch, prefix = ' The log says '): string {
  return found.line ? `${prefix}${quoteLine(found.line)}.` : '';
}

/** The line that best stands for the failure: the newest error line the detector kept, else the newest output. */
export function topErrorLine(ctx: RuleContext): string | undefined {
  const { matchedLines, logTail, stateError } = ctx.input.evidence;
  if (stateError.trim()) return stateError;
  return matchedLines[matchedLines.length - 1] ?? [...logTail].reverse().find((l) => l.trim().length > 0);
}

export function exitPhrase(ctx: RuleContext): string {
  if (ctx.input.evidence.status === 'restarting') return `keeps exiting (last exit code ${ctx.exitCode ?? 'unknown'}; Docker restart count ${ctx.input.evidence.restartCount})`;
  if (ctx.input.evidence.status === 'created') return `could not start${ctx.exitCode !== null && ctx.exitCode !== 0 ? ` (exit code ${ctx.exitCode})` : ''}`;
  if (ctx.running) return 'is still running';
  return `exited with code ${ctx.exitCode ?? 'unknown'}`;
}

/** How a sentence about the failure starts: `web exited with code 1 because`, or `web is running but`. */
export function lead(ctx: RuleContext, joiner: ' because' | ':' | ' after'): string {
  return ctx.running ? `${ctx.name} is running but` : `${ctx.name} ${exitPhrase(ctx)}${joiner}`;
}

/**
 * Earlier incidents of the same class in the window (each remembered signature counts its
 * repeats). For an exit, a memory last seen after the exit already holds the judgement of this
 * very exit (a second look, `doctor diagnose`), which is not "before".
 */
export function seenBefore(ctx: RuleContext, id: string, windowMs = DAY_MS): number {
  const finished = ctx.exited ? parseTime(ctx.input.evidence.finishedAt) : null;
  return incidentsWithRule(ctx.input.history, id, ctx.input.now, windowMs).reduce((sum, m) => {
    const judgedThisExit = finished !== null && (parseTime(m.lastSeen) ?? 0) >= finished;
    return sum + (judgedThisExit ? m.count - 1 : m.count);
  }, 0);
}

export function recurrenceNote(ctx: RuleContext, id: string): string {
  const before = seenBefore(ctx, id);
  if (before > 0) return ` The same failure was seen ${before} time${before === 1 ? '' : 's'} before in the last 24 h.`;
  if (ctx.exited && ctx.deaths24h >= 2) return ` It has died ${ctx.deaths24h} times in the last 24 h.`;
  return '';
}

export function isRecurring(ctx: RuleContext, id: string): boolean {
  return seenBefore(ctx, id) > 0 || (ctx.exited && ctx.deaths24h >= 2);
}

export function impactOf(ctx: RuleContext): string {
  const { evidence } = ctx.input;
  if (ctx.running && evidence.health === 'unhealthy') return `${ctx.name} is up but failing its health check: requests to it are likely failing.`;
  if (ctx.running) return `${ctx.name} is still up; some requests or jobs handled by it may be failing.`;
  if (evidence.status === 'restarting') return `${ctx.name} is flapping: it is unavailable most of the time and everything that depends on it fails intermittently.`;
  const policy = evidence.restartPolicy;
  const comeback = policy === 'always' || policy === 'unless-stopped' || (policy === 'on-failure' && ctx.exitCode !== 0)
    ? ` Docker's restart policy (${policy}) may bring it back.`
    : '';
  return `${ctx.name} is down: whatever it serves is unavailable until it runs again.${comeback}`;
}

export function fields(ctx: RuleContext, id: string, f: Omit<DiagnosisFields, 'estimated_impact' | 'likely_recurring'> & Partial<Pick<DiagnosisFields, 'estimated_impact' | 'likely_recurring'>>): DiagnosisFields {
  return {
    ...f,
    likely_recurring: f.likely_recurring ?? isRecurring(ctx, id),
    estimated_impact: f.estimated_impact ?? impactOf(ctx),
  };
}

/** Fields for classes a restart cannot fix: always high severity and never restart-safe. */
export function unfixable(ctx: RuleContext, f: { root_cause: string; suggested_fix: string; config_suggestions: string[] }): DiagnosisFields {
  return fields(ctx, '', { ...f, severity: 'high', auto_restart_safe: false, likely_recurring: true });
}

/** 0 for low, 1 for medium, 2 for high. */
export function severityRank(severity: Severity): number {
  return severity === 'high' ? 2 : severity === 'medium' ? 1 : 0;
}

/** The more serious of two severities. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return severityRank(a) >= severityRank(b) ? a : b;
}

/**
 * "Dies within seconds of starting" (issue 8, start-up failures by class): a process that fails
 * this soon after its start has not served anything yet, so what killed it is in how it starts,
 * and the same start fails the same way. A minute covers slow JVM and database boots.
 */
export const START_UP_WINDOW_MS = 60_000;

/** How long the container ran before this exit, when both ends are known. */
export function uptimeMs(ctx: RuleContext): number | null {
  const started = parseTime(ctx.input.facts.startedAt);
  const finished = parseTime(ctx.input.evidence.finishedAt);
  if (started === null || finished === null) return null;
  // A process that exits at once can be stamped finished a few ms before it was stamped started.
  if (finished < started) return !ctx.input.facts.running && started - finished <= CLOCK_SKEW_MS ? 0 : null;
  return finished - started;
}

/** How far the engine's FinishedAt of an instant exit can precede its StartedAt (seen: 1-60 ms). */
const CLOCK_SKEW_MS = 1_000;

/**
 * The container exited within the start-up window, or never started (the engine failed its
 * start, so `startedAt` is unset and `State.Error` says why).
 */
export function diedAtStartUp(ctx: RuleContext): boolean {
  if (!ctx.exited) return false;
  const up = uptimeMs(ctx);
  if (up !== null) return up <= START_UP_WINDOW_MS;
  return ctx.input.facts.startedAt === null || ctx.input.evidence.status === 'created';
}

/**
 * "Restart once, then escalate if it recurs": the doctor restarted it within the hour and the
 * same class of failure is back, so a second restart would only repeat the first.
 */
export function restartDidNotHelp(ctx: RuleContext, id: string): boolean {
  return countWithin(ctx.input.history.restarts, ctx.input.now, HOUR_MS) > 0 && seenBefore(ctx, id, HOUR_MS) > 0;
}

/** Error lines at or above this count in one look are a sustained rate, not a hiccup. */
export const SUSTAINED_ERROR_LINES = 3;

