/**
 * A container's story: its lifecycle as it happened (create, start, kill with its signal, die with
 * its exit code, oom, health transitions, pause, rename, destroy, restart) and the doctor's own
 * restarts, keyed by container id because names change. Pure data and pure functions; the story
 * store persists it and the watcher feeds it from the events stream and the replay.
 *
 * The judge reads who did what off it: a person's stop (however long the drain), a person's signal
 * the process ignored, a crash, a death the doctor caused, a paused container's stale health, a
 * doctor restart left half-done.
 */
import { DEFAULT_DRAIN_BOUND_MS } from './container-policy.js';
import { DAY_MS } from './history.js';

export type StepKind =
  | 'create'
  | 'start'
  | 'kill'
  | 'stop'
  | 'die'
  | 'oom'
  | 'health'
  | 'pause'
  | 'unpause'
  | 'rename'
  | 'destroy'
  | 'restart'
  /** The doctor is about to restart it (written before the call: a doctor killed mid-restart still knows). */
  | 'doctor-restart'
  /** The doctor's restart call returned (or failed). */
  | 'doctor-restart-done'
  /** The restart's outcome is in the audit log: nothing is left for a later doctor to finish. */
  | 'doctor-outcome'
  /** A person approved a restart, snoozed the container or set/lifted an override through the doctor (`who` says who). */
  | 'person-approve'
  | 'person-snooze'
  | 'person-override'
  /** It failed inside a host-level storm (issue 12): judged only once the storm settled. */
  | 'storm';

/** Who caused a step, when the story can tell. */
export type Actor = 'doctor' | 'person';

/** One step. `at` is in ms since the epoch: the engine's event time, or the doctor's clock for its own steps. */
export interface StoryStep {
  readonly at: number;
  readonly kind: StepKind;
  /** kill: the signal, `SIGTERM`-style. */
  readonly signal?: string;
  /** die: the exit code. */
  readonly exitCode?: number;
  /** health: the new status. */
  readonly health?: 'healthy' | 'unhealthy' | 'starting';
  /** rename: the new and the old name. */
  readonly name?: string;
  readonly oldName?: string;
  /** kill, stop, die, start, restart: the doctor (inside its own restart) or a person or tool (outside it). */
  readonly by?: Actor;
  /** doctor-restart: the incident it acts for, and the latest time the restart's own events can carry. */
  readonly incidentId?: string;
  readonly occurrence?: number;
  readonly until?: number;
  /** doctor-restart: how many dies the restart itself causes (1 for a running container, 0 for an exited one). */
  readonly dies?: number;
  /** doctor-restart-done: whether the call succeeded. */
  readonly ok?: boolean;
  /** person-*: who (Slack user id or the name the terminal gave) and what (`snoozed until ...`). */
  readonly who?: string;
  readonly detail?: string;
}

export interface ContainerStory {
  readonly id: string;
  readonly host: string;
  /** The latest name. */
  readonly name: string;
  /** Oldest first. */
  readonly steps: readonly StoryStep[];
}

/** Bounds so that a container dying every second cannot grow the story file without limit. */
export const storyLimits = {
  steps: 120,
  ageMs: 7 * DAY_MS,
} as const;

/** Events of one moment seen twice (replay and live stream overlap) differ by nothing. */
function sameStep(a: StoryStep, b: StoryStep): boolean {
  return a.kind === b.kind && a.at === b.at && a.signal === b.signal && a.exitCode === b.exitCode && a.health === b.health && a.name === b.name;
}

export function emptyStory(id: string, host: string, name: string): ContainerStory {
  return { id, host, name, steps: [] };
}

/**
 * The story with `step` added in time order (a replayed event can arrive after a newer live one),
 * attributed (a kill inside the doctor's own restart is the doctor's), deduplicated and bounded.
 */
export function appendStep(story: ContainerStory, step: StoryStep, now: number): ContainerStory {
  if (story.steps.some((s) => sameStep(s, step))) return story;
  const attributed = attribute(story, step);
  const steps = [...story.steps];
  let i = steps.length;
  while (i > 0 && steps[i - 1]!.at > attributed.at) i -= 1;
  steps.splice(i, 0, attributed);
  const kept = steps.filter((s) => s.at >= now - storyLimits.ageMs).slice(-storyLimits.steps);
  const name = attributed.kind === 'rename' && attributed.name ? attributed.name : story.name;
  return { ...story, name, steps: kept };
}

const ATTRIBUTED: ReadonlySet<StepKind> = new Set(['kill', 'stop', 'die', 'start', 'restart']);
/** The doctor's restart emits its events a little after its call returns, and engine and doctor clocks differ slightly. */
const OWN_EVENT_SLACK_MS = 3_000;

function attribute(story: ContainerStory, step: StoryStep): StoryStep {
  if (!ATTRIBUTED.has(step.kind) || step.by !== undefined) return step;
  const own = ownRestartAround(story, step.at);
  if (own && step.kind === 'die') {
    // Only as many dies as the restart can cause are its own (one when the container was running,
    // none when it had exited): a crash right after the restart is still a crash.
    const ownDies = story.steps.filter((s) => s.kind === 'die' && s.by === 'doctor' && s.at >= own.at - 1_000).length;
    return ownDies < (own.dies ?? 1) ? { ...step, by: 'doctor' } : step;
  }
  if (own) return { ...step, by: 'doctor' };
  return step.kind === 'kill' || step.kind === 'stop' || step.kind === 'restart' ? { ...step, by: 'person' } : step;
}

/** The doctor's restart whose window holds `at`: from its start until its call returned (plus slack). */
function ownRestartAround(story: ContainerStory, at: number): StoryStep | undefined {
  for (let i = story.steps.length - 1; i >= 0; i -= 1) {
    const s = story.steps[i]!;
    if (s.kind !== 'doctor-restart') continue;
    if (at < s.at - 1_000) continue;
    const after = story.steps.slice(i + 1);
    // The restart ends with its start (and `docker restart` with its `restart` event): nothing
    // after that is the doctor's doing.
    const finished = after.find((d) => (d.kind === 'restart' || d.kind === 'start') && d.by === 'doctor');
    if (finished) return at <= finished.at ? s : undefined;
    const done = after.find((d) => d.kind === 'doctor-restart-done');
    const until = done ? done.at + OWN_EVENT_SLACK_MS : (s.until ?? s.at);
    return at <= until ? s : undefined;
  }
  return undefined;
}

/** Signals whose purpose is to end the process (`docker stop`, `docker kill`, compose down). */
const TERMINATING = new Set(['SIGTERM', 'SIGKILL', 'SIGINT', 'SIGQUIT']);
const SIGNAL_NUMBERS: Readonly<Record<string, string>> = {
  '1': 'SIGHUP', '2': 'SIGINT', '3': 'SIGQUIT', '9': 'SIGKILL', '10': 'SIGUSR1', '12': 'SIGUSR2', '15': 'SIGTERM', '28': 'SIGWINCH',
};

const NUMBER_OF_SIGNAL: Readonly<Record<string, number>> = Object.fromEntries(Object.entries(SIGNAL_NUMBERS).map(([n, name]) => [name, Number(n)]));

/** The kill event's `signal` attribute (a number on Engine 20.10, a name on some engines) as `SIGTERM`-style. */
export function signalName(raw: string | undefined): string {
  const value = (raw ?? '').trim().toUpperCase();
  if (value === '') return 'SIGKILL';
  if (/^\d+$/.test(value)) return SIGNAL_NUMBERS[value] ?? `SIG${value}`;
  return value.startsWith('SIG') ? value : `SIG${value}`;
}

/**
 * Whether a kill with this signal is a stop: TERM, KILL, INT, QUIT, or the container's own
 * StopSignal (nginx stops on QUIT, httpd on WINCH). HUP, USR1, USR2 and WINCH otherwise ask a
 * running process to reload or rotate, and the container keeps running.
 */
export function isTerminatingSignal(signal: string, stopSignal: string): boolean {
  return TERMINATING.has(signal) || signal === stopSignal;
}

/** Whether the story is complete around a moment: the watcher saw, or the replay recovered, every event since `knownSince`. */
export interface Coverage {
  /** ms; null when nothing is known (a doctor that never watched this engine and could not replay). */
  readonly knownSince: number | null;
}

/** How a death came about, as far as the story tells. */
export type DeathCause = 'person' | 'doctor' | 'crash' | 'unknown';

export interface DeathReading {
  readonly cause: DeathCause;
  /** When it died: the die step's time, or the inspected FinishedAt when the step is missing. */
  readonly at: number;
  /** The die step was found in the story. */
  readonly seen: boolean;
  /** A person's stop that caused it: when, and with which signal. */
  readonly stop?: { readonly at: number; readonly signal: string };
  /**
   * A person's terminating kill that the process seemed to ignore: it died later than the drain
   * bound, with an exit code that signal does not produce, and no `docker stop` belongs to the
   * death. The cause is then what the die is (a crash, or unknown), not the person's stop.
   */
  readonly ignoredStop?: { readonly at: number; readonly signal: string };
  /** An `oom` step belongs to this death (the one home of OOM correlation). */
  readonly oom: boolean;
  /**
   * The earliest time a log line of the run that ended can carry, when its start is known: lines
   * stamped before it are an earlier run's (judged with that run's exit), never this death's.
   */
  readonly runFrom?: number;
}

/**
 * A person's terminating signal this long before a death (or before now, for a running container)
 * no longer counts: the process evidently ignored it, and what happens since is judged as usual.
 */
export const STOP_STALE_MS = 60 * 60 * 1000;

/** What readDeath and readRun need to know of the container besides its story. */
export interface StopOpts {
  readonly stopSignal: string;
  /**
   * How long a person's terminating signal may take to end it (drainBoundMs: the stop timeout
   * plus slack); Docker's default 10 s plus slack when not given.
   */
  readonly drainBoundMs?: number;
}

/** How close a die step must be to an inspected FinishedAt to be that exit, when the run's start is not known. */
const DIE_MATCH_MS = 5_000;
/** How much later than FinishedAt a loaded engine may stamp the die event. */
const DIE_LATE_MS = 30_000;
/** An `oom` event belongs to a death when it comes this long before it... */
const OOM_BEFORE_DIE_MS = 10_000;
/** ...or this long after (containerd can report the OOM after the exit). */
const OOM_AFTER_DIE_MS = 2_000;

/**
 * Reads one death off the story: the die step at `diedAt` (an inspected FinishedAt or a die event's
 * time), and what came before it in the same run. A person's kill with a terminating signal
 * in that run caused it when the die came within the drain bound, or with the exit code that signal
 * produces, or with a `docker stop` (readPersonStop); the doctor's own restart caused its
 * own die; a die in the story with none of these is a crash; a death the story never saw is unknown.
 */
export function readDeath(story: ContainerStory | undefined, diedAt: number, opts: StopOpts & { readonly startedAt?: number | null; readonly exitCode?: number | null }): DeathReading {
  const steps = story?.steps ?? [];
  let dieIndex = -1;
  if (opts.startedAt !== null && opts.startedAt !== undefined) {
    // A run ends with one die: the first after its start is this death. Under load the die event
    // can be stamped seconds after the FinishedAt inspect reports, so the start is the safer anchor.
    // The previous run's die can fall inside the slack when this run began within it (Docker's
    // policy restarts in about 100 ms): a die with this run's start after it is not this death.
    const startedAt = opts.startedAt;
    const afterStart = runStartIndex(steps, startedAt) + 1;
    dieIndex = steps.findIndex((s, i) => i >= afterStart && s.kind === 'die' && s.at >= startedAt - 500 && s.at <= diedAt + DIE_LATE_MS);
  }
  if (dieIndex < 0) {
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < steps.length; i += 1) {
      const s = steps[i]!;
      if (s.kind !== 'die') continue;
      const d = Math.abs(s.at - diedAt);
      if (d <= DIE_MATCH_MS && d < best) {
        best = d;
        dieIndex = i;
      }
    }
  }
  const die = dieIndex >= 0 ? steps[dieIndex]! : undefined;
  const at = die?.at ?? diedAt;
  // The run that ended: from the start before this death. When the story holds that start, the
  // run is the steps after it: the previous run can end less than 500 ms before (a person's
  // `docker kill` that Docker's policy answers in 100 ms), and its kill or OOM is not this run's.
  let runStart = opts.startedAt ?? null;
  if (runStart !== null && runStart > at) runStart = null;
  let startIndex = -1;
  for (let i = (dieIndex >= 0 ? dieIndex : steps.length) - 1; i >= 0; i -= 1) {
    const s = steps[i]!;
    if (s.at > at) continue;
    if (s.kind === 'start') {
      startIndex = i;
      break;
    }
  }
  const startStep = startIndex >= 0 ? steps[startIndex]! : undefined;
  const byIndex = startStep !== undefined && (runStart === null || startStep.at >= runStart - 500);
  if (startStep) runStart = runStart === null ? startStep.at : Math.max(runStart, startStep.at);
  const ofRun = (s: StoryStep, i: number) => (byIndex ? i > startIndex : runStart === null || s.at >= runStart - 500);
  const inRun = steps.filter((s, i) => s.at <= at + 500 && ofRun(s, i));
  const oom = steps.some((s, i) => s.kind === 'oom' && s.at >= at - OOM_BEFORE_DIE_MS && s.at <= at + OOM_AFTER_DIE_MS && ofRun(s, i));
  const from = runFrom(steps, runStart);
  const run = from !== undefined ? { runFrom: from } : {};
  if (die?.by === 'doctor') return { cause: 'doctor', at, seen: true, oom, ...run };
  const stop = readPersonStop(inRun, stopStepAfter(steps, dieIndex, at), at, die?.exitCode ?? opts.exitCode ?? undefined, opts);
  if (stop && !stop.ignored) return { cause: 'person', at, seen: die !== undefined, stop: { at: stop.step.at, signal: stopLabel(stop.step) }, oom, ...run };
  const ignored = stop ? { ignoredStop: { at: stop.step.at, signal: stopLabel(stop.step) } } : {};
  if (die !== undefined) return { cause: 'crash', at, seen: true, oom, ...ignored, ...run };
  // The die itself is not in the story: its events were lost (the engine keeps only its last 256,
  // and none from before its own restart) or it died before anything was watched. A person's kill
  // cannot be ruled out, so the death is unknown, never a crash.
  return { cause: 'unknown', at, seen: false, oom, ...ignored, ...run };
}

/**
 * The person's stop that ended a run at `at`, or the terminating kill it ignored. Docker's
 * `docker stop` sends the StopSignal, waits the stop timeout, then SIGKILLs, and emits `stop`
 * after the die; `docker kill -s SIG` sends only the signal. So a kill made the death when the die
 * came within the drain bound, or with the exit code that signal produces, or a `stop` belongs to
 * the death; a kill older than STOP_STALE_MS counts for nothing.
 */
function readPersonStop(inRun: readonly StoryStep[], stopAfterDie: StoryStep | undefined, at: number, exitCode: number | undefined, opts: StopOpts): { readonly step: StoryStep; readonly ignored: boolean } | undefined {
  const bound = opts.drainBoundMs ?? DEFAULT_DRAIN_BOUND_MS;
  const stops = inRun.filter((s) => isPersonStop(s, opts.stopSignal));
  const docker = stops.find((s) => s.kind === 'stop') ?? stopAfterDie;
  const fresh = stops.filter((s) => at - s.at <= STOP_STALE_MS);
  // The first of them began the stop (`docker stop` sends the signal, then its `stop` event follows the die).
  if (docker) return { step: fresh[0] ?? docker, ignored: false };
  const made = fresh.find((s) => at - s.at <= bound || exitCode === undefined || exitFromSignal(exitCode, s.signal ?? 'SIGKILL'));
  if (made) return { step: made, ignored: false };
  return fresh[0] ? { step: fresh[0], ignored: true } : undefined;
}

/** Whether a process ended by `signal` exits with `exitCode`: 0 (it shut down cleanly) or 128 + the signal's number. */
function exitFromSignal(exitCode: number, signal: string): boolean {
  const n = NUMBER_OF_SIGNAL[signal];
  return exitCode === 0 || (n !== undefined && exitCode === 128 + n);
}

/** A person's `stop` event after the die at `dieIndex` (it follows the die, later under load), before anything starts again. */
function stopStepAfter(steps: readonly StoryStep[], dieIndex: number, at: number): StoryStep | undefined {
  if (dieIndex < 0) return undefined;
  for (const s of steps.slice(dieIndex + 1)) {
    if (s.at > at + DIE_LATE_MS || s.kind === 'start' || s.kind === 'die') return undefined;
    if (s.kind === 'stop' && s.by === 'person') return s;
  }
  return undefined;
}

/** A run's first lines can be stamped a little before its start (the engine records StartedAt, and its start event, after the process runs). */
const RUN_LINES_BEFORE_START_MS = 1_000;

/** The earliest stamp a line of the run started at `runStart` can carry: shortly before its start, and after the death before it. */
function runFrom(steps: readonly StoryStep[], runStart: number | null): number | undefined {
  if (runStart === null) return undefined;
  let from = runStart - RUN_LINES_BEFORE_START_MS;
  for (const s of steps) {
    if (s.kind === 'die' && s.at < runStart && s.at > from) from = s.at;
  }
  return from;
}

/** The index of the start step of the run inspect says began at `startedAt`, or -1 when the story lacks it. */
function runStartIndex(steps: readonly StoryStep[], startedAt: number): number {
  for (let i = steps.length - 1; i >= 0; i -= 1) {
    const s = steps[i]!;
    if (s.at < startedAt - 500) return -1;
    if (s.kind === 'start' && s.at <= startedAt + 500) return i;
  }
  return -1;
}

function isPersonStop(s: StoryStep, stopSignal: string): boolean {
  if (s.by !== 'person') return false;
  if (s.kind === 'stop') return true;
  return s.kind === 'kill' && isTerminatingSignal(s.signal ?? 'SIGKILL', stopSignal);
}

function stopLabel(s: StoryStep): string {
  return s.kind === 'stop' ? 'docker stop' : (s.signal ?? 'SIGKILL');
}

/**
 * Whether the story holds a `kind` step that belongs with a death at `at` by the OOM correlation
 * windows: an `oom` near a `die` (or a `die` near an `oom`). The watcher asks this before it waits
 * for a late OOM notice, or judges an OOM with no death.
 */
export function stepNearDeath(story: ContainerStory | undefined, kind: 'oom' | 'die', at: number): boolean {
  return (story?.steps ?? []).some((s) => s.kind === kind && (kind === 'oom'
    ? s.at >= at - OOM_BEFORE_DIE_MS && s.at <= at + OOM_AFTER_DIE_MS
    : at >= s.at - OOM_BEFORE_DIE_MS && at <= s.at + OOM_AFTER_DIE_MS));
}

/** What the story says of the current run of a running (or paused) container. */
export interface RunReading {
  /** The run's start: the latest start step, or the inspected StartedAt. */
  readonly startedAt: number | null;
  /** A person asked it to stop (a terminating kill or a stop) within the drain bound, and it has not died yet: it is draining. */
  readonly stopping?: { readonly at: number; readonly signal: string };
  /** A person's terminating kill older than the drain bound (and younger than STOP_STALE_MS), and it still runs: it ignored it. */
  readonly ignoredStop?: { readonly at: number; readonly signal: string };
  /** Currently paused since, per the story. */
  readonly pausedSince?: number;
  /** The latest unpause in this run. */
  readonly unpausedAt?: number;
}

export function readRun(story: ContainerStory | undefined, opts: StopOpts & { readonly startedAt: number | null; readonly now: number }): RunReading {
  const steps = story?.steps ?? [];
  let startedAt = opts.startedAt;
  for (let i = steps.length - 1; i >= 0; i -= 1) {
    const s = steps[i]!;
    if (s.kind === 'start' || s.kind === 'restart') {
      startedAt = startedAt === null ? s.at : Math.max(startedAt, s.at);
      break;
    }
  }
  const run = steps.filter((s) => startedAt === null || s.at >= startedAt - 500);
  let stops: StoryStep[] = [];
  let pausedSince: number | undefined;
  let unpausedAt: number | undefined;
  for (const s of run) {
    if (s.kind === 'die' || s.kind === 'start') stops = [];
    if (isPersonStop(s, opts.stopSignal)) stops.push(s);
    if (s.kind === 'pause') pausedSince = s.at;
    if (s.kind === 'unpause') {
      pausedSince = undefined;
      unpausedAt = s.at;
    }
  }
  // `docker kill -s TERM` to a PID 1 without a handler: it keeps running. Draining only as long
  // as `docker stop` would wait before its SIGKILL; after that the signal was ignored.
  const bound = opts.drainBoundMs ?? DEFAULT_DRAIN_BOUND_MS;
  const drain = stops.find((s) => opts.now - s.at <= bound);
  const ignored = drain ? undefined : stops.find((s) => opts.now - s.at <= STOP_STALE_MS);
  const label = (s: StoryStep) => ({ at: s.at, signal: stopLabel(s) });
  return {
    startedAt,
    ...(drain ? { stopping: label(drain) } : {}),
    ...(ignored ? { ignoredStop: label(ignored) } : {}),
    ...(pausedSince !== undefined ? { pausedSince } : {}),
    ...(unpausedAt !== undefined ? { unpausedAt } : {}),
  };
}

/**
 * A person's stop or kill while the doctor's own stop (of its restart, begun at `since`) drained
 * the container: a terminating kill other than the doctor's one stop signal and Docker's SIGKILL
 * when the timeout ran out. Those steps fall in the doctor's restart window and read as its own.
 */
export function personStopInOwnStop(story: ContainerStory | undefined, since: number, opts: { readonly timeoutSeconds: number; readonly stopSignal: string }): StoryStep | undefined {
  let own = false;
  for (const s of story?.steps ?? []) {
    if (s.kind !== 'kill' || s.at < since - 1_000) continue;
    const signal = s.signal ?? 'SIGKILL';
    if (!isTerminatingSignal(signal, opts.stopSignal)) continue;
    if (!own && signal === opts.stopSignal) {
      own = true;
      continue;
    }
    if (signal === 'SIGKILL' && s.at >= since + opts.timeoutSeconds * 1000 - 1_000) continue;
    return s;
  }
  return undefined;
}

/** A doctor restart written ahead whose outcome was never recorded (the doctor was stopped or killed before it could). */
export function unfinishedRestart(story: ContainerStory | undefined): StoryStep | undefined {
  const steps = story?.steps ?? [];
  for (let i = steps.length - 1; i >= 0; i -= 1) {
    const s = steps[i]!;
    if (s.kind === 'doctor-outcome') return undefined;
    if (s.kind === 'doctor-restart') return s;
  }
  return undefined;
}

/**
 * Whether a person has acted on the container since `since`: started, restarted or stopped it
 * by hand (steps not caused by the doctor). Docker's own restart-policy starts follow a die within
 * its backoff and carry no person's step before them, so a start counts only after a person's stop
 * or when no die came just before it.
 */
export function personActedSince(story: ContainerStory | undefined, since: number): boolean {
  const steps = (story?.steps ?? []).filter((s) => s.at > since);
  for (let i = 0; i < steps.length; i += 1) {
    const s = steps[i]!;
    if (s.by === 'person') return true;
    if (s.kind === 'start' && s.by !== 'doctor') {
      const before = steps[i - 1];
      if (before === undefined || before.kind !== 'die' || s.at - before.at > 60_000) return true;
    }
  }
  return false;
}

/** A rename since `since`: only a person or a tool renames a container (the doctor never does). */
export function renamedSince(story: ContainerStory | undefined, since: number): StoryStep | undefined {
  return (story?.steps ?? []).find((s) => s.kind === 'rename' && s.at >= since);
}

/** The story's last steps as people read them (`doctor diagnose`). */
export function describeStep(step: StoryStep): string {
  switch (step.kind) {
    case 'kill':
      return `kill ${step.signal ?? ''}${step.by ? ` (by ${step.by === 'doctor' ? 'the doctor' : 'a person or tool'})` : ''}`.replace('  ', ' ');
    case 'stop':
    case 'restart':
      return `${step.kind}${step.by ? ` (by ${step.by === 'doctor' ? 'the doctor' : 'a person or tool'})` : ''}`;
    case 'die':
      return `died, exit code ${step.exitCode ?? 'unknown'}${step.by === 'doctor' ? ' (the doctor restarting it)' : ''}`;
    case 'health':
      return `health: ${step.health ?? 'unknown'}`;
    case 'rename':
      return `renamed ${step.oldName ?? '?'} -> ${step.name ?? '?'}`;
    case 'doctor-restart':
      return `the doctor restarts it (${step.incidentId ?? 'incident'})`;
    case 'doctor-outcome':
      return "the restart's outcome is on record";
    case 'storm':
      return 'failed in a storm across the engine (judged once it settled)';
    case 'doctor-restart-done':
      return `the doctor's restart call ${step.ok === false ? 'failed' : 'returned'}`;
    default:
      return step.kind;
  }
}
