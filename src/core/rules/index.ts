/**
 * The built-in catalog of known container failures, as rule families (one file per family, with
 * its own patterns and tests) and one ordered registry. Works with no API key: evidence in, the
 * original Container Doctor's diagnosis fields out. Entries are tried in this order and the first
 * that matches wins, so the more fundamental explanation comes first (an OOM kill before the
 * SIGKILL it causes, a full disk before the connection errors it cascades into). A new failure
 * class is one entry in its family's file and one line here.
 */
import { evidenceLines, quoteLine } from '../evidence-text.js';
import { formatDuration } from '../format.js';
import { DAY_MS, countWithin, includeTime, isStaleExit, parseTime } from '../history.js';
import type { RulesVerdict } from '../types.js';
import { codeError, missingDependency } from './code.js';
import { badCredentials, certificateRenewal, invalidConfig, missingConfig, tlsExpired } from './config.js';
import { dataFormat, dataLocked, schemaMismatch } from './data.js';
import { addressInUse, connectionRefused, dependencyTimeout, dnsFailure, poolExhausted } from './dependencies.js';
import { diskFull, permissionDenied, readOnlyFilesystem } from './filesystem.js';
import { errorsLogged, exitError, noProblem, restartLoop } from './generic.js';
import { transientRecovered, unhealthy } from './health.js';
import { completed, manualStop, sigint } from './lifecycle.js';
import { oomKill, outOfMemory } from './memory.js';
import type { CatalogEntry, DiagnosisFields, RuleContext, RulesInput } from './rule-kit.js';
import { abort, segfault, sigkill, sigterm } from './signals.js';
import { usageError } from './usage.js';
import { portNotPermitted } from './privileged-port.js';
import { illegalInstruction, runtimeMismatch } from './platform.js';
import { hostNotAllowed } from './access.js';
import { sharedMemory } from './shared-memory.js';
import { certificateLoad, tlsUntrusted } from './tls.js';
import { commandNotFound, fatalStartUp, initCrash, notExecutable, startFailed } from './start-up.js';

export type { CatalogEntry, DiagnosisFields, RuleContext, RuleMatch, RulesInput } from './rule-kit.js';
export { maxSeverity, severityRank } from './rule-kit.js';
export { describeExitCode } from './signals.js';

/** Every entry, in priority order; the last is a catch-all. */
export const RULES_CATALOG: readonly CatalogEntry[] = [
  oomKill,
  manualStop,
  completed,
  commandNotFound,
  notExecutable,
  runtimeMismatch,
  startFailed,
  sharedMemory,
  outOfMemory,
  segfault,
  abort,
  illegalInstruction,
  sigkill,
  sigterm,
  sigint,
  diskFull,
  readOnlyFilesystem,
  portNotPermitted,
  permissionDenied,
  dataLocked,
  dataFormat,
  tlsExpired,
  tlsUntrusted,
  certificateRenewal,
  certificateLoad,
  missingConfig,
  addressInUse,
  missingDependency,
  codeError,
  usageError,
  invalidConfig,
  hostNotAllowed,
  badCredentials,
  schemaMismatch,
  transientRecovered,
  poolExhausted,
  dnsFailure,
  connectionRefused,
  dependencyTimeout,
  fatalStartUp,
  initCrash,
  unhealthy,
  restartLoop,
  exitError,
  errorsLogged,
  noProblem,
];

function contextFor(input: RulesInput): RuleContext {
  const { evidence, facts, history, now } = input;
  const running = evidence.status === 'running' || evidence.status === 'paused';
  // A container that was only created (never started, no start error) has no exit to judge.
  const neverStarted = evidence.status === 'created' && !evidence.stateError.trim();
  const exited = !running && evidence.exitCode !== null && !neverStarted;
  const deaths = exited ? includeTime(history.deaths, evidence.finishedAt) : history.deaths;
  return {
    input,
    name: facts.ref.name.replace(/^\//, '') || facts.ref.id.slice(0, 12),
    running,
    exited,
    exitCode: evidence.exitCode,
    // A running container's tail is mostly noise from normal work: judge it by the error lines
    // the detector found, and by nothing else when it found none (a healthy service's start-up
    // advice is not a diagnosis); a failing health check still reads the tail for context. The
    // last lines before an exit are the best evidence there is.
    lines: running && (evidence.matchedLines.length > 0 || evidence.health !== 'unhealthy') ? evidenceLines({ ...evidence, logTail: [] }) : evidenceLines(evidence),
    deaths24h: countWithin(deaths, now, DAY_MS),
  };
}

/** Notes that hold whichever entry matched: a failing health check, an exit found long after. */
function annotate(ctx: RuleContext, id: string, f: DiagnosisFields): DiagnosisFields {
  let rootCause = f.root_cause;
  const { evidence, trigger, now } = ctx.input;
  if (id !== 'unhealthy' && ctx.running && evidence.health === 'unhealthy') {
    const output = evidence.healthOutput;
    rootCause += ` Its health check is failing${output ? `: ${quoteLine(output)}` : ''}.`;
  }
  if (isStaleExit(trigger.kind, evidence.finishedAt, now)) {
    const finished = parseTime(evidence.finishedAt)!;
    rootCause += ` It exited ${formatDuration(now - finished)} ago, before the doctor was watching.`;
  }
  return rootCause === f.root_cause ? f : { ...f, root_cause: rootCause };
}

/** Diagnoses an incident with the built-in catalog: the first matching entry, in priority order. */
export function diagnoseByRules(input: RulesInput): RulesVerdict {
  const ctx = contextFor(input);
  for (const entry of RULES_CATALOG) {
    const found = entry.match(ctx);
    if (!found) continue;
    const built = annotate(ctx, entry.id, entry.build(ctx, found));
    const failureClass = typeof entry.failureClass === 'function' ? entry.failureClass(ctx, found) : entry.failureClass;
    const recognised = entry.fallback !== true;
    return {
      diagnosis: { ...built, source: 'rules', rule: entry.id, failureClass, recognised },
      rule: entry.id,
      restartCannotFix: entry.cannotFix ? entry.cannotFix(ctx, found) : entry.restartCannotFix,
      settled: entry.settled,
      failureClass,
      recognised,
    };
  }
  // The catalog ends with a catch-all, so this is unreachable; kept for the type checker.
  throw new Error('rules catalog has no fallback entry');
}
