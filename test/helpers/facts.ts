/**
 * Small factories for core fixtures: a container's facts, the evidence built from them, a trigger,
 * a history and a policy. Each takes overrides; evidence defaults follow the facts so a test only
 * states what matters to it.
 */
import { DEFAULT_CRASH_LOOP, DEFAULT_OOM_LEAK } from '../../src/core/container-policy.js';
import { emptyHistory } from '../../src/core/history.js';
import type { ContainerFacts, ContainerHistory, Evidence, Policy, RulesVerdict, Trigger } from '../../src/core/types.js';

/** A fixed "now" for tests: 2025-06-01T12:00:00Z. */
export const NOW = Date.parse('2025-06-01T12:00:00.000Z');

/** ISO time `ms` milliseconds before NOW. */
export function ago(ms: number): string {
  return new Date(NOW - ms).toISOString();
}

export const SEC = 1000;
export const MIN = 60 * SEC;
export const HOUR = 60 * MIN;

type FactsOverrides = Omit<Partial<ContainerFacts>, 'ref' | 'health' | 'restartPolicy'> & {
  ref?: Partial<ContainerFacts['ref']>;
  health?: Partial<ContainerFacts['health']>;
  restartPolicy?: Partial<ContainerFacts['restartPolicy']>;
};

/** An exited container (exit 1, restart policy no, died 5 s before NOW), with overrides. */
export function makeFacts(overrides: FactsOverrides = {}): ContainerFacts {
  const { ref, health, restartPolicy, ...rest } = overrides;
  return {
    ref: { id: 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2', name: 'web', image: 'acme/web:1.4', host: 'local', ...ref },
    status: 'exited',
    running: false,
    exitCode: 1,
    oomKilled: false,
    stateError: '',
    startedAt: ago(10 * MIN),
    finishedAt: ago(5 * SEC),
    restartCount: 0,
    restartPolicy: { name: 'no', maximumRetryCount: 0, ...restartPolicy },
    health: { status: 'none', failingStreak: 0, lastOutput: null, probes: [], ...health },
    labels: {},
    tty: false,
    openStdin: false,
    env: [],
    memoryLimit: 0,
    autoRemove: false,
    networkMode: 'bridge',
    stopSignal: 'SIGTERM',
    stopTimeoutSeconds: null,
    ...rest,
  };
}

/** A running container, started an hour before NOW, with overrides. */
export function makeRunningFacts(overrides: FactsOverrides = {}): ContainerFacts {
  return makeFacts({ status: 'running', running: true, exitCode: 0, startedAt: ago(HOUR), finishedAt: null, ...overrides });
}

/** Evidence as the detector would build it from `facts`, with overrides (log lines, stop flag). */
export function makeEvidence(facts: ContainerFacts, overrides: Partial<Evidence> = {}): Evidence {
  const matchedLines = overrides.matchedLines ?? [];
  return {
    status: facts.status,
    exitCode: facts.exitCode,
    oomKilled: facts.oomKilled,
    health: facts.health.status,
    healthOutput: facts.health.lastOutput,
    restartCount: facts.restartCount,
    restartPolicy: facts.restartPolicy.name,
    stoppedByUser: false,
    matchedLines,
    patterns: [],
    logTail: overrides.logTail ?? matchedLines,
    stateError: facts.stateError,
    finishedAt: facts.finishedAt,
    ...overrides,
  };
}

/** A trigger observed at NOW. */
export function makeTrigger(kind: Trigger['kind'] = 'die', at: string = ago(0)): Trigger {
  return { kind, at };
}

/** A history with overrides (times as ISO strings). */
export function makeHistory(overrides: Partial<ContainerHistory> = {}): ContainerHistory {
  return { ...emptyHistory(), ...overrides };
}

/** The default policy: AUTO_FIX on, 3 restarts an hour, MIN_DEAD_TIME 60 s, nothing special about the container. */
export function makePolicy(overrides: Partial<Policy> = {}): Policy {
  return {
    autoFix: true,
    maxRestartsPerHour: 3,
    minDeadTimeMs: 60 * SEC,
    freshExitMs: 10 * 60 * SEC,
    crashLoop: DEFAULT_CRASH_LOOP,
    oomLeak: DEFAULT_OOM_LEAK,
    restartNever: false,
    stateful: false,
    isSelf: false,
    ...overrides,
  };
}

/** A rules verdict with the given traits, for decision tests that do not exercise the catalog. */
export function makeVerdict(overrides: {
  rule?: string;
  severity?: 'low' | 'medium' | 'high';
  safe?: boolean;
  restartCannotFix?: boolean;
  settled?: boolean;
  failureClass?: RulesVerdict['failureClass'];
  recognised?: boolean;
} = {}): RulesVerdict {
  const rule = overrides.rule ?? 'exit-error';
  return {
    diagnosis: {
      root_cause: `test diagnosis (${rule})`,
      severity: overrides.severity ?? 'high',
      suggested_fix: 'test',
      auto_restart_safe: overrides.safe ?? true,
      config_suggestions: [],
      likely_recurring: false,
      estimated_impact: 'test',
      source: 'rules',
      rule,
    },
    rule,
    restartCannotFix: overrides.restartCannotFix ?? false,
    settled: overrides.settled ?? true,
    failureClass: overrides.failureClass ?? 'unknown',
    recognised: overrides.recognised ?? overrides.settled ?? true,
  };
}
