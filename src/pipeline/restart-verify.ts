import { describeError } from '../core/errors.js';
import { isTerminatingSignal, type StoryStep } from '../core/story.js';
import type { ContainerRef, Outcome } from '../core/types.js';
import type { Clock, DockerEngine, StoryLedger } from './ports.js';

export interface VerifyInput {
  readonly engine: DockerEngine;
  readonly ref: ContainerRef;
  readonly stopSignal: string;
  readonly stories: StoryLedger;
  readonly clock: Clock;
  /** Waits; returns early when the doctor is shutting down. */
  readonly sleep: (ms: number) => Promise<void>;
  readonly settleMs: number;
  /** When the doctor began the restart: a person's stop after it (the story attributes each) wins. */
  readonly since: number;
}

/**
 * The settle check after a restart: still running the run the restart started, after
 * RESTART_SETTLE_TIME? A person who stops the container meanwhile wins over the doctor: that is
 * their stop, not a restart that failed.
 */
export async function verifyRestart(input: VerifyInput): Promise<Outcome> {
  const { engine, ref, clock } = input;
  let startedAt: string | null = null;
  try {
    startedAt = (await engine.inspect(ref.id)).startedAt;
  } catch {
    // judged after the settle time
  }
  const settleFrom = clock.now();
  await input.sleep(input.settleMs);
  const at = () => new Date(clock.now()).toISOString();
  // Measured, not configured: a shutdown cuts the wait short.
  const settle = `${Math.round((clock.now() - settleFrom) / 1000)} s`;
  const stop = personStopAfter(input.stories.story(engine.host, ref.id)?.steps ?? [], input.since, input.stopSignal);
  if (stop) {
    return { status: 'stopped-by-person', detail: `restarted, then a person or tool stopped it (${stop.kind === 'stop' ? 'docker stop' : stop.signal}) during the ${settle} settle check; their stop stands`, at: at() };
  }
  try {
    const after = await engine.inspect(ref.id);
    if (after.running && after.status === 'running' && (startedAt === null || after.startedAt === startedAt)) {
      return { status: 'restarted', detail: `restarted; still running after ${settle}`, at: at() };
    }
    const how = after.running ? `it was restarted again since (now ${after.status})` : `it is ${after.status} (exit code ${after.exitCode ?? 'none'})`;
    return { status: 'not-running-after-restart', detail: `restarted, but ${settle} later ${how}`, at: at() };
  } catch (error) {
    return { status: 'not-running-after-restart', detail: `restarted, but could not verify: ${describeError(error)}`, at: at() };
  }
}

function personStopAfter(steps: readonly StoryStep[], since: number, stopSignal: string): StoryStep | undefined {
  return steps.find((s) => s.at > since && s.by === 'person' && (s.kind === 'stop' || (s.kind === 'kill' && isTerminatingSignal(s.signal ?? 'SIGKILL', stopSignal))));
}
