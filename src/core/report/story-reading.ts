/**
 * What the report reads off a container's story after an incident: when it ran again and who
 * brought it back, whether a restart held, whether a person later restarted it by hand, and the
 * spans it was down. Pure; the story attributes the doctor's and people's steps (core/story.ts).
 */
import { readDeath, type ContainerStory, type StoryStep } from '../story.js';
import type { Recoverer } from './report-types.js';

/** A restart held when the container is still running this long after it (issue 11). */
export const HOLD_MS = 10 * 60 * 1000;
/**
 * Docker's restart policy starts a container again after a backoff that doubles from 100 ms and
 * is capped at one minute (docs.docker.com "Restart policies"); a start within this long of the
 * die with a policy set and no person's step between is the policy's.
 */
const POLICY_START_MS = 90_000;

export interface Recovery {
  readonly at: number;
  readonly by: Recoverer;
}

const isStart = (s: StoryStep) => s.kind === 'start' || s.kind === 'restart';

/**
 * The first return to service after `diedAt`: a start or restart (attributed to the doctor, Docker's
 * policy or a person), or for a running container that was unhealthy, its next `healthy`.
 */
export function readRecovery(story: ContainerStory | undefined, diedAt: number, opts: { readonly running: boolean; readonly restartPolicy: string }): Recovery | undefined {
  const after = (story?.steps ?? []).filter((s) => s.at > diedAt);
  for (let i = 0; i < after.length; i += 1) {
    const s = after[i]!;
    if (opts.running && s.kind === 'health' && s.health === 'healthy') return { at: s.at, by: 'itself' };
    if (!isStart(s)) continue;
    if (s.by === 'doctor') return { at: s.at, by: 'doctor' };
    if (s.by === 'person') return { at: s.at, by: 'person' };
    const between = after.slice(0, i);
    if (between.some((b) => b.by === 'person')) return { at: s.at, by: 'person' };
    const lastDie = [...between].reverse().find((b) => b.kind === 'die')?.at ?? diedAt;
    const byPolicy = opts.restartPolicy !== 'no' && s.at - lastDie <= POLICY_START_MS;
    return { at: s.at, by: byPolicy ? 'docker' : 'person' };
  }
  return undefined;
}

/** A death after `since` (within `windowMs`) that was not the doctor's own restart nor a person's stop. */
export function failedAgain(story: ContainerStory | undefined, since: number, windowMs: number, stopSignal = 'SIGTERM'): StoryStep | undefined {
  for (const s of story?.steps ?? []) {
    if (s.at <= since || s.at > since + windowMs) continue;
    if (s.kind === 'health' && s.health === 'unhealthy') return s;
    if (s.kind !== 'die' || s.by === 'doctor') continue;
    const cause = readDeath(story, s.at, { stopSignal }).cause;
    if (cause !== 'person') return s;
  }
  return undefined;
}

/** The first time after `since` a person started or restarted it by hand (not Docker's policy, not the doctor). */
export function personRestartAfter(story: ContainerStory | undefined, since: number, restartPolicy: string): number | undefined {
  const steps = (story?.steps ?? []).filter((s) => s.at > since);
  for (let i = 0; i < steps.length; i += 1) {
    const s = steps[i]!;
    if (!isStart(s) || s.by === 'doctor') continue;
    if (s.by === 'person') return s.at;
    const before = steps[i - 1];
    const byPolicy = restartPolicy !== 'no' && before?.kind === 'die' && s.at - before.at <= POLICY_START_MS;
    if (!byPolicy) return s.at;
  }
  return undefined;
}
