/**
 * Storms (issue 12): many watched containers on one engine dying or turning unhealthy within
 * STORM_WINDOW is a host problem (the daemon restarted, the host ran out of memory or disk, the
 * network dropped), and restarting them one by one adds load to a sick host and floods the
 * channel. Pure: what counts as a storm and its likely cause; the storm watch holds the queue.
 */
import { readDeath, type ContainerStory } from './story.js';

export interface StormSignal {
  readonly id: string;
  readonly name: string;
  readonly kind: 'die' | 'oom' | 'unhealthy';
  readonly at: number;
  readonly exitCode?: number;
}

export type StormThreshold = { readonly count: number } | { readonly share: number };

/** How many distinct containers make a storm among `watched` (never fewer than 2). */
export function stormSize(threshold: StormThreshold, watched: number): number {
  return 'count' in threshold ? threshold.count : Math.max(2, Math.ceil(threshold.share * watched));
}

/** The signals of the last `windowMs`, one per container (its latest). */
export function recentByContainer(signals: readonly StormSignal[], now: number, windowMs: number): StormSignal[] {
  const latest = new Map<string, StormSignal>();
  for (const s of signals) if (s.at >= now - windowMs && s.at <= now + 1_000) latest.set(s.id, s);
  return [...latest.values()];
}

export function isStorm(signals: readonly StormSignal[], threshold: StormThreshold, watched: number, now: number, windowMs: number): boolean {
  return recentByContainer(signals, now, windowMs).length >= stormSize(threshold, watched);
}

/**
 * The likely host cause, as a phrase: the engine connection dropped in the window (the daemon
 * restarted), OOM kills in most of them (host memory), health checks failing together (the network
 * or a shared dependency), or many deaths with no sign pointing further.
 */
export function likelyStormCause(signals: readonly StormSignal[], opts: { readonly engineDroppedAt?: number; readonly windowMs: number; readonly now: number }): string {
  const dropped = opts.engineDroppedAt !== undefined && opts.engineDroppedAt >= opts.now - 2 * opts.windowMs;
  if (dropped) return 'the Docker daemon restarted or became unreachable (the engine connection dropped)';
  const n = signals.length;
  const ooms = signals.filter((s) => s.kind === 'oom' || s.exitCode === 137).length;
  if (ooms * 2 >= n && signals.some((s) => s.kind === 'oom')) return 'the host ran out of memory (OOM kills across containers)';
  if (signals.every((s) => s.kind === 'unhealthy')) return 'health checks failing everywhere at once: the network or a dependency they share';
  return 'many containers died at once: look at the host (memory, disk space, the Docker daemon)';
}

/**
 * A storm that is on, as the story file keeps it: a doctor restarted mid-storm goes on with it
 * (same incident, no second alert) instead of judging its held members one by one at once.
 */
export interface OpenStorm {
  readonly incidentId: string;
  readonly startedAt: number;
  /** The latest failure the storm took in (the doctor's clock). */
  readonly lastSignalAt: number;
  readonly cause: string;
  /** It settled: its held containers are being judged, one restart first (a doctor restarted then goes on with that). */
  readonly settledAt?: number;
}

/**
 * The failures the stories hold since `since`, as storm signals (a doctor restarted reads them
 * back: recorded live by the doctor before it, or replayed from the engine while none watched).
 * A death by a person's stop or by the doctor's own restart, and an exit 0, are not failures.
 */
export function failuresInStories(stories: readonly ContainerStory[], since: number, stopSignalOf: (id: string) => string): StormSignal[] {
  const signals: StormSignal[] = [];
  for (const story of stories) {
    for (const s of story.steps) {
      if (s.at < since) continue;
      const base = { id: story.id, name: story.name, at: s.at };
      if (s.kind === 'oom') signals.push({ ...base, kind: 'oom' });
      else if (s.kind === 'health' && s.health === 'unhealthy') signals.push({ ...base, kind: 'unhealthy' });
      else if (s.kind === 'die' && s.by !== 'doctor' && s.exitCode !== 0 && readDeath(story, s.at, { stopSignal: stopSignalOf(story.id) }).cause !== 'person') {
        signals.push({ ...base, kind: 'die', ...(s.exitCode !== undefined ? { exitCode: s.exitCode } : {}) });
      }
    }
  }
  return signals.sort((a, b) => a.at - b.at);
}

/** The containers a storm took in, as their stories mark them. */
export function stormMembersInStories(stories: readonly ContainerStory[], incidentId: string): ContainerStory[] {
  return stories.filter((story) => story.steps.some((s) => s.kind === 'storm' && s.incidentId === incidentId));
}
