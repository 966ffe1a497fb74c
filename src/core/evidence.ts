import { redactLines } from './redact.js';
import type { ContainerFacts, Evidence, Finding, LogLine } from './types.js';

/** Bounds that keep one audit record small whatever a container writes. */
export const evidenceLimits = {
  matchedLines: 20,
  logTail: 50,
  lineChars: 2000,
  healthOutputChars: 2000,
} as const;

/** A long text keeps its start and its end (an error often ends a long line), and says how much was cut between. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.ceil(max / 2);
  return `${text.slice(0, head)}…[cut ${text.length - max} chars]${text.slice(text.length - (max - head))}`;
}

/**
 * An error line cut so that what matched stays: its start, then the part around the match when
 * the match lies beyond what a plain cut keeps (a long line with the error in its middle).
 */
function cutAround(text: string, max: number, pattern: string): string {
  if (text.length <= max) return text;
  const at = text.toLowerCase().indexOf(pattern.toLowerCase());
  const head = Math.ceil(max / 2);
  const kept = at < 0 || at + pattern.length <= head || at >= text.length - (max - head);
  if (kept) return cut(text, max);
  const lead = Math.floor(max / 4);
  const from = Math.max(lead, at - lead);
  const to = Math.min(text.length, from + (max - lead));
  const after = text.length - to;
  return `${text.slice(0, lead)}…[cut ${from - lead} chars]${text.slice(from, to)}${after > 0 ? `…[cut ${after} chars]` : ''}`;
}

/** The newest `max` distinct error lines, oldest first. */
function newestDistinct(findings: readonly Finding[], max: number): string[] {
  const seen = new Set<string>();
  const picked: string[] = [];
  for (let i = findings.length - 1; i >= 0 && picked.length < max; i -= 1) {
    const line = cutAround(findings[i]!.line, evidenceLimits.lineChars, findings[i]!.pattern);
    if (seen.has(line)) continue;
    seen.add(line);
    picked.push(line);
  }
  return picked.reverse();
}

/** Snapshot of the facts an incident is judged on, bounded in size. */
export function buildEvidence(input: {
  facts: ContainerFacts;
  logs: readonly LogLine[];
  findings: readonly Finding[];
  stoppedByUser: boolean;
  logTailLines?: number;
  /** Applied to every piece of container output kept, so no record carries its secrets. */
  redact?: (text: string) => string;
}): Evidence {
  const { facts, logs } = input;
  const redact = input.redact ?? ((s: string) => s);
  const tailCount = Math.min(input.logTailLines ?? evidenceLimits.logTail, evidenceLimits.logTail);
  // The logs are redacted as one text, so a private key logged line by line is found whole; a
  // finding takes its line's redaction from there (whether or not the caller redacted it alone).
  const texts = logs.map((l) => l.text);
  const whole = redactLines(redact, texts);
  const inContext = new Map<string, string>();
  texts.forEach((t, i) => {
    inContext.set(t, whole[i]!);
    if (input.redact) inContext.set(redact(t), whole[i]!);
  });
  const findings = input.findings.map((f) => ({ ...f, line: inContext.get(f.line) ?? redact(f.line) }));
  return {
    status: facts.status,
    exitCode: facts.exitCode,
    oomKilled: facts.oomKilled,
    health: facts.health.status,
    healthOutput: facts.health.lastOutput === null ? null : cut(redact(facts.health.lastOutput.trim()), evidenceLimits.healthOutputChars),
    restartCount: facts.restartCount,
    restartPolicy: facts.restartPolicy.name,
    stoppedByUser: input.stoppedByUser,
    matchedLines: newestDistinct(findings, evidenceLimits.matchedLines),
    patterns: [...new Set(findings.map((f) => f.pattern))].slice(0, 20),
    logTail: whole.slice(-tailCount).map((l) => cut(l, evidenceLimits.lineChars)),
    stateError: cut(redact(facts.stateError), evidenceLimits.lineChars),
    finishedAt: facts.finishedAt,
  };
}

/** The part of an incident's identity that comes from state rather than log text. */
export function stateSignatureKey(evidence: Evidence, triggerKind: string): string {
  // A death is the same failure whether it was seen as a die event, found exited by reconcile, or
  // seen as Docker's `restarting` status (a crash loop under on-failure shows all three): key it
  // by how it died, whatever reported it.
  const death = triggerKind === 'die' || triggerKind === 'exited' || triggerKind === 'restarting' || evidence.status === 'restarting';
  if ((death || evidence.status !== 'running') && evidence.exitCode !== null) return `exit:${evidence.exitCode}${evidence.oomKilled ? ':oom' : ''}`;
  if (evidence.status === 'running' && evidence.health === 'unhealthy') return 'unhealthy';
  if (triggerKind === 'log-pattern') return 'log';
  return triggerKind;
}
