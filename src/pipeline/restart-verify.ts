import { STOP_SLACK_MS } from '../core/container-policy.js';
import { ContainerNotFoundError, describeError } from '../core/errors.js';
import { parseTime } from '../core/history.js';
import { isTerminatingSignal, type StoryStep } from '../core/story.js';
import type { ContainerFacts, ContainerRef, Outcome, RestartPolicyName } from '../core/types.js';
import type { Clock, DockerEngine, StoryLedger } from './ports.js';

export interface VerifyInput {
  readonly engine: DockerEngine;
  readonly ref: ContainerRef;
  readonly stopSignal: string;
  /** The container's stop timeout (s): how long a person's stop may take before Docker kills it. */
  readonly stopTimeoutSeconds: number;
  readonly stories: StoryLedger;
  readonly clock: Clock;
  /** Waits; returns early when the doctor is shutting down. */
  readonly sleep: (ms: number) => Promise<void>;
  /** Aborted when the doctor is shutting down: the check is then cut short, never judged. */
  readonly cancelled?: AbortSignal;
  readonly settleMs: number;
  /** When the doctor began the restart: a person's stop after it (the story attributes each) wins. */
  readonly since: number;
}

/** What the settle check found, and the container as it last looked (when it could be inspected). */
export interface Verified {
  readonly outcome: Outcome;
  readonly after?: ContainerFacts;
}

/** How often a person's stop is looked at while it may still be draining. */
const POLL_MS = 250;

/**
 * The settle check after a restart: still running the run the restart started, after
 * RESTART_SETTLE_TIME? What a person does meanwhile wins over the doctor: a stop, a pause or a
 * restart of their own is theirs, not a restart that failed. The run that ends with exit code 0
 * completed its work: that is success. Undefined when the doctor was shut down before the check
 * could finish: nothing was verified, and the next doctor records the outcome (unfinishedRestart).
 */
export async function verifyRestart(input: VerifyInput): Promise<Verified | undefined> {
  const { engine, ref, clock } = input;
  let startedAt: string | null = null;
  try {
    startedAt = (await engine.inspect(ref.id)).startedAt;
  } catch {
    // judged after the settle time
  }
  const settleFrom = clock.now();
  await input.sleep(input.settleMs);
  if (input.cancelled?.aborted) return undefined;
  const at = () => new Date(clock.now()).toISOString();
  const settle = () => `${Math.round((clock.now() - settleFrom) / 1000)} s`;
  const steps = () => (input.stories.story(engine.host, ref.id)?.steps ?? []).filter((s) => s.at > input.since);

  let after: ContainerFacts;
  try {
    after = await engine.inspect(ref.id);
  } catch (error) {
    // Gone: only a person or a tool removes a container the doctor restarted (compose down, a
    // recreate); the doctor never restarts a --rm one.
    if (error instanceof ContainerNotFoundError) {
      return { outcome: { status: 'removed-by-person', detail: `restarted, then a person or tool removed it during the ${settle()} settle check; a person took over`, at: at() } };
    }
    return { outcome: { status: 'not-running-after-restart', detail: `restarted, but could not verify: ${describeError(error)}`, at: at() } };
  }
  const sameRun = (f: ContainerFacts) => startedAt === null || f.startedAt === startedAt;

  if (after.status === 'paused') {
    return { after, outcome: { status: 'paused-by-person', detail: `restarted, then a person or tool paused it (docker pause) during the ${settle()} settle check; it is left paused`, at: at() } };
  }
  if (after.running && !sameRun(after) && personRestartedOrStarted(steps(), after.restartPolicy.name)) {
    return { after, outcome: { status: 'restarted-by-person', detail: `restarted, then a person or tool restarted or started it again during the ${settle()} settle check (running since ${after.startedAt}); a person took over`, at: at() } };
  }
  // A person's stop may still be draining, or may have been ignored (a PID 1 without a TERM
  // handler keeps running): wait for it to die, as long as Docker itself would before its kill.
  let stop = personStop(steps(), input.stopSignal);
  if (stop && after.running && sameRun(after)) {
    const deadline = stop.at + input.stopTimeoutSeconds * 1000 + STOP_SLACK_MS;
    while (clock.now() < deadline && !input.cancelled?.aborted) {
      await input.sleep(Math.min(POLL_MS, Math.max(1, deadline - clock.now())));
      if (input.cancelled?.aborted) return undefined;
      try {
        after = await engine.inspect(ref.id);
      } catch {
        break;
      }
      if (!after.running || !sameRun(after)) break;
    }
    if (input.cancelled?.aborted) return undefined;
    stop = personStop(steps(), input.stopSignal);
    if (after.running && sameRun(after)) {
      const what = stop ? (stop.kind === 'stop' ? 'docker stop' : stop.signal) : 'stop';
      return { after, outcome: { status: 'restarted', detail: `restarted; still running after ${settle()} (a person's or tool's ${what} at ${new Date(stop?.at ?? 0).toISOString()} did not stop it)`, at: at() } };
    }
  }
  if (stop && !(after.running && sameRun(after))) {
    if (after.running && personRestartedOrStarted(steps(), after.restartPolicy.name)) {
      return { after, outcome: { status: 'restarted-by-person', detail: `restarted, then a person or tool restarted or started it again during the ${settle()} settle check (running since ${after.startedAt}); a person took over`, at: at() } };
    }
    return { after, outcome: { status: 'stopped-by-person', detail: `restarted, then a person or tool stopped it (${stop.kind === 'stop' ? 'docker stop' : stop.signal}) during the ${settle()} settle check; their stop stands`, at: at() } };
  }
  if (after.running && after.status === 'running' && sameRun(after)) {
    return { after, outcome: { status: 'restarted', detail: `restarted; still running after ${settle()}`, at: at() } };
  }
  if (!after.running && after.exitCode === 0 && sameRun(after) && ranAfterRestart(after)) {
    const ran = Math.max(0, Math.round(((parseTime(after.finishedAt) ?? 0) - (parseTime(after.startedAt) ?? 0)) / 1000));
    return { after, outcome: { status: 'restarted', detail: `restarted; the restarted run completed its work (exit code 0) after ${ran} s`, at: at() } };
  }
  const how = after.running ? `it was restarted again since (now ${after.status})` : `it is ${after.status} (exit code ${after.exitCode ?? 'none'})`;
  return { after, outcome: { status: 'not-running-after-restart', detail: `restarted, but ${settle()} later ${how}`, at: at() } };
}

/** The run ended after it started (its FinishedAt belongs to this run, not the one before). */
function ranAfterRestart(f: ContainerFacts): boolean {
  const started = parseTime(f.startedAt);
  const finished = parseTime(f.finishedAt);
  return started !== null && finished !== null && finished >= started;
}

/** The first stop of a person's or tool's (a `docker stop`, or a kill with a terminating signal). */
function personStop(steps: readonly StoryStep[], stopSignal: string): StoryStep | undefined {
  return steps.find((s) => s.by === 'person' && (s.kind === 'stop' || (s.kind === 'kill' && isTerminatingSignal(s.signal ?? 'SIGKILL', stopSignal))));
}

/**
 * A person's `docker restart`, or a start that is not the doctor's: after a person's stop, or of a
 * container whose restart policy is `no` (Docker never starts those: a `docker start` after the
 * restarted run crashed is a person's or a tool's).
 */
export function personRestartedOrStarted(steps: readonly StoryStep[], policy: RestartPolicyName): boolean {
  return steps.some((s) => (s.kind === 'restart' && s.by === 'person') || (s.kind === 'start' && s.by !== 'doctor' && (policy === 'no' || steps.some((p) => p.at <= s.at && p.by === 'person'))));
}
