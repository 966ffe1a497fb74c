/**
 * The storm watch (issue 12): counts failures per engine; when STORM_THRESHOLD containers fail
 * within STORM_WINDOW it opens one host-level incident (one alert with the list and the likely
 * cause), holds every incident of that engine in a per-container queue (no restarts while it
 * lasts), marks the storm in each member's story, and once no container has failed for a whole
 * window releases the queue: each container is judged on its own then, one restart first. The
 * storm on is kept in the story file, so a doctor restarted mid-storm goes on with it.
 */
import type { Config } from '../config/load-config.js';
import { describeError } from '../core/errors.js';
import { failuresInStories, isStorm, likelyStormCause, recentByContainer, stormMembersInStories, stormSize, type StormSignal } from '../core/storm.js';
import type { AuditRecord, Outcome, Trigger } from '../core/types.js';
import type { FeedListener } from './feed.js';
import type { IncidentBus } from './incident-bus.js';
import { newIncidentId } from './incident-handler.js';
import { stormRecord, withheldRecord } from './storm-records.js';
import type { Clock, DockerEngine, StoryLedger } from './ports.js';

export interface StormWatchDeps {
  readonly config: Pick<Config, 'storm'>;
  readonly clock: Clock;
  readonly bus: IncidentBus;
  readonly stories: StoryLedger;
  readonly feed: FeedListener;
  readonly later: (ms: number, fn: () => void) => void;
  /** Judges a held trigger now that the storm settled; resolves once it is judged (and acted on). */
  readonly release: (engine: DockerEngine, id: string, trigger: Trigger, opts?: ReleaseOptions) => Promise<Released | undefined>;
}

export interface ReleaseOptions {
  /** Not restarted, but escalated for this reason as a member of the storm (its first restart after it did not hold). */
  readonly withheld?: { readonly reason: string; readonly cause: string };
}

/** What a release came to: the restart's outcome, when it was restarted. */
export interface Released {
  readonly restart?: Outcome['status'];
}

interface Storm {
  readonly incidentId: string;
  readonly startedAt: number;
  readonly cause: string;
  readonly members: Map<string, StormSignal>;
  lastSignalAt: number;
}

interface EngineStorms {
  signals: StormSignal[];
  droppedAt?: number;
  storm?: Storm;
  /** Per container: the latest trigger waiting (a storm, or the look that tells whether one is coming). */
  readonly held: Map<string, Trigger>;
  reviewing: boolean;
  /** The storm that settled, while its held containers go one at a time (until a restart holds). */
  afterStorm?: Storm;
}

/**
 * A fresh failure (and anything else on the engine just after one) waits this long before it is
 * judged, so failures arriving together are seen together: without it the first containers of a
 * storm are restarted before the storm shows.
 */
export const STORM_LOOK_MS = 1_500;
const FAILURES: ReadonlySet<Trigger['kind']> = new Set(['die', 'oom', 'unhealthy']);

export class StormWatch {
  private readonly engines = new Map<string, EngineStorms>();

  constructor(private readonly deps: StormWatchDeps) {}

  /** A watched container failed (a crash, an OOM kill, a health check). `watched`: how many the engine has. */
  signal(engine: DockerEngine, watched: number, signal: StormSignal): void {
    // Exit code 0 is work completed (a cron job, a one-shot task), never a failure of the host.
    if (signal.kind === 'die' && signal.exitCode === 0) return;
    const state = this.stateOf(engine.host);
    const now = this.deps.clock.now();
    if (state.storm) {
      state.storm.lastSignalAt = now;
      if (!state.storm.members.has(signal.id)) this.markStory(engine.host, state.storm, signal);
      this.keep(engine.host, state.storm);
      return;
    }
    state.signals = [...recentByContainer(state.signals, now, this.deps.config.storm.windowMs), signal];
    this.openIfStorm(engine, state, watched, now);
  }

  /**
   * The first look at an engine after the doctor (re)started, before anything is judged: the
   * failures its stories hold from the last window (recorded live by the doctor before, or replayed
   * from the engine while none watched) count as if just seen. A storm a doctor before it opened
   * goes on under its own incident, without a second alert, while failures keep coming; one that
   * settled while no doctor watched is recorded settled; failures enough for a storm that no
   * doctor saw open one. Without this a doctor killed mid-storm would restart every held container.
   */
  resume(engine: DockerEngine, watched: number, stopSignalOf: (id: string) => string): void {
    const state = this.stateOf(engine.host);
    if (state.storm) return;
    const { stories, clock, config } = this.deps;
    const { windowMs } = config.storm;
    const now = clock.now();
    const kept = stories.openStorm(engine.host);
    const all = stories.storiesOf(engine.host);
    const failures = failuresInStories(all, Math.min(now, kept?.startedAt ?? now) - windowMs, stopSignalOf);
    if (kept) {
      const lastSignalAt = failures.filter((f) => f.at >= kept.startedAt).reduce((max, f) => Math.max(max, f.at), kept.lastSignalAt);
      const storm: Storm = { incidentId: kept.incidentId, startedAt: kept.startedAt, lastSignalAt, cause: kept.cause, members: new Map() };
      for (const member of stormMembersInStories(all, kept.incidentId)) {
        storm.members.set(member.id, [...failures].reverse().find((f) => f.id === member.id) ?? { id: member.id, name: member.name, kind: 'die', at: kept.startedAt });
      }
      if (kept.settledAt === undefined && now < lastSignalAt + windowMs) {
        state.storm = storm;
        // Those that failed since it began, while no doctor watched, are in it too.
        for (const f of recentByContainer(failures.filter((x) => x.at >= kept.startedAt), now, now - kept.startedAt)) {
          if (!storm.members.has(f.id)) this.markStory(engine.host, storm, f);
        }
        this.keep(engine.host, storm);
        this.deps.feed({ type: 'warning', message: `${engine.host || 'local'}: the storm of ${new Date(kept.startedAt).toISOString()} (${storm.members.size} containers) is still on: their incidents wait until it settles` });
        this.settleLater(engine, storm);
        return;
      }
      // It settled while no doctor watched, or its members were being judged: they go one restart first.
      if (kept.settledAt === undefined) void this.publish(stormRecord(engine.host, storm, storm.members.size, windowMs, 'member', now));
      for (const id of storm.members.keys()) if (!state.held.has(id)) state.held.set(id, { kind: 'exited', at: new Date(now).toISOString() });
      this.afterSettle(engine, state, storm, kept.settledAt ?? now);
    }
    state.signals = recentByContainer(failures.filter((f) => !kept || f.at > (kept.settledAt ?? kept.lastSignalAt)), now, windowMs);
    this.openIfStorm(engine, state, watched, now);
  }

  private openIfStorm(engine: DockerEngine, state: EngineStorms, watched: number, now: number): void {
    const { windowMs, threshold } = this.deps.config.storm;
    if (!isStorm(state.signals, threshold, watched, now, windowMs)) return;
    const members = recentByContainer(state.signals, now, windowMs);
    const storm: Storm = {
      incidentId: newIncidentId(now), startedAt: now, lastSignalAt: now, members: new Map(),
      cause: likelyStormCause(members, { engineDroppedAt: state.droppedAt, windowMs, now }),
    };
    state.storm = storm;
    state.signals = [];
    for (const m of members) this.markStory(engine.host, storm, m);
    this.keep(engine.host, storm);
    // On disk before its alert: a doctor killed once the storm is told goes on with it.
    void this.saved().then(() => this.publish(stormRecord(engine.host, storm, stormSize(threshold, watched), windowMs, 'summary', now)));
    this.settleLater(engine, storm);
  }

  /** The storm goes into the story file: a doctor restarted while it lasts (or while its members are judged) goes on with it. */
  private keep(host: string, storm: Storm, settledAt?: number): void {
    this.deps.stories.setOpenStorm(host, { incidentId: storm.incidentId, startedAt: storm.startedAt, lastSignalAt: storm.lastSignalAt, cause: storm.cause, ...(settledAt !== undefined ? { settledAt } : {}) });
  }

  /** Off the story file once its members are all judged (unless a newer storm is on). */
  private forget(host: string, storm: Storm): void {
    if (this.deps.stories.openStorm(host)?.incidentId === storm.incidentId) this.deps.stories.setOpenStorm(host, undefined);
  }

  private afterSettle(engine: DockerEngine, state: EngineStorms, storm: Storm, settledAt: number): void {
    this.keep(engine.host, storm, settledAt);
    void this.releaseInTurn(engine, state, storm).catch((error: unknown) => {
      this.deps.feed({ type: 'warning', message: `after the storm: ${describeError(error)}` });
      this.releaseHeld(engine, state);
    });
  }

  /** The events stream to this engine broke: a daemon restart is one likely cause of what follows. */
  engineDropped(host: string): void {
    this.stateOf(host).droppedAt = this.deps.clock.now();
  }

  /** A storm is on for this engine: its incidents wait. */
  holding(host: string): boolean {
    return this.engines.get(host)?.storm !== undefined;
  }

  /**
   * What becomes of an incident now. `hold`: a storm is on, so it waits (it comes back through
   * `release`, as a look again, once the storm settles). `look`: a fresh failure (or anything while
   * failures of several containers are in the window: a storm may be building) is judged and
   * recorded now, but what it would do waits STORM_LOOK_MS: a restart goes back through `look`
   * (and is held), an alert waits for `tookIntoStorm`. `go`: judged and acted on at once; always
   * when the engine watches fewer containers than a storm takes (`watched`, 0 before the first
   * list is unknown): a handful of containers has no storm to wait for.
   */
  gate(engine: DockerEngine, watched: number, id: string, trigger: Trigger, recheck: boolean): 'hold' | 'look' | 'go' {
    const state = this.stateOf(engine.host);
    if (state.storm || (state.afterStorm && state.held.has(id))) {
      this.holdTrigger(state, id, trigger);
      return 'hold';
    }
    if (recheck || (watched > 0 && watched < stormSize(this.deps.config.storm.threshold, watched))) return 'go';
    const now = this.deps.clock.now();
    // Any recent failure: an exit found by reconcile may be the event's own container, or the next of a storm.
    const building = recentByContainer(state.signals, now, STORM_LOOK_MS * 2).length >= 1;
    const fresh = FAILURES.has(trigger.kind) && !(trigger.kind === 'die' && trigger.exitCode === 0);
    return fresh || building ? 'look' : 'go';
  }

  /** An incident judged in the look whose action waits: held until no storm is building (or, if one began, until it settles). */
  look(engine: DockerEngine, id: string, trigger: Trigger): void {
    const state = this.stateOf(engine.host);
    this.holdTrigger(state, id, trigger);
    if (!state.storm) this.reviewLater(engine, state);
  }

  /** Whether a storm now on for this engine counts the container among its members (its alert is the storm's). */
  tookIntoStorm(host: string, id: string): boolean {
    return this.engines.get(host)?.storm?.members.has(id) === true;
  }

  private holdTrigger(state: EngineStorms, id: string, trigger: Trigger): void {
    // An exit keeps priority over a later look at the same container (its die says the most).
    const before = state.held.get(id);
    if (!before || before.kind !== 'die' || trigger.kind === 'die') state.held.set(id, trigger);
  }

  /** Without a storm, held triggers go once no storm is building. */
  private reviewLater(engine: DockerEngine, state: EngineStorms): void {
    if (state.reviewing) return;
    state.reviewing = true;
    this.deps.later(STORM_LOOK_MS, () => {
      state.reviewing = false;
      if (state.storm) return; // the storm's settle releases them
      const now = this.deps.clock.now();
      const newest = state.signals.reduce((max, s) => Math.max(max, s.at), 0);
      const building = recentByContainer(state.signals, now, this.deps.config.storm.windowMs).length >= 2 && now - newest < this.deps.config.storm.windowMs;
      if (building && now - newest < STORM_LOOK_MS) return this.reviewLater(engine, state);
      this.releaseHeld(engine, state);
    });
  }

  private releaseHeld(engine: DockerEngine, state: EngineStorms): void {
    const held = [...state.held];
    state.held.clear();
    for (const [id, trigger] of held) void this.deps.release(engine, id, trigger);
  }

  private settleLater(engine: DockerEngine, storm: Storm): void {
    const { windowMs } = this.deps.config.storm;
    const wait = Math.max(0, storm.lastSignalAt + windowMs - this.deps.clock.now());
    this.deps.later(wait, () => {
      if (this.deps.clock.now() < storm.lastSignalAt + windowMs) return this.settleLater(engine, storm);
      const state = this.stateOf(engine.host);
      if (state.storm !== storm) return;
      state.storm = undefined;
      const now = this.deps.clock.now();
      void this.publish(stormRecord(engine.host, storm, storm.members.size, windowMs, 'member', now));
      this.afterSettle(engine, state, storm, now);
    });
  }

  /**
   * After a storm, one restart first: held containers are judged one at a time until one is
   * restarted. When that restart holds, the host is well again and the rest go at once; when it
   * does not, the rest are not restarted (restarting dozens on a host still unwell starts the next
   * storm): each is recorded as the storm's, and one alert names them for a person to start.
   */
  private async releaseInTurn(engine: DockerEngine, state: EngineStorms, storm: Storm): Promise<void> {
    state.afterStorm = storm;
    try {
      for (let next = first(state.held); next && !state.storm; next = first(state.held)) {
        const [id, trigger] = next;
        state.held.delete(id);
        const released = await this.deps.release(engine, id, trigger);
        // Not restarted (escalated, left to Docker's policy, taken over by a person): it tells nothing of the host.
        if (released?.restart === undefined || PERSON_OUTCOMES.has(released.restart)) continue;
        if (released.restart !== 'restarted') return this.withhold(engine, state, storm, storm.members.get(id)?.name ?? id, released.restart);
        break;
      }
    } finally {
      if (state.afterStorm === storm) state.afterStorm = undefined;
    }
    this.forget(engine.host, storm);
    if (!state.storm) this.releaseHeld(engine, state);
  }

  private withhold(engine: DockerEngine, state: EngineStorms, storm: Storm, canary: string, status: Outcome['status']): void {
    const rest = [...state.held];
    state.held.clear();
    state.afterStorm = undefined;
    this.forget(engine.host, storm);
    if (rest.length === 0) return;
    const names = rest.map(([id]) => storm.members.get(id)?.name ?? id.slice(0, 12));
    const reason = `the first restart after the storm (${canary}) did not hold (${status}): the host may still be unwell, so the ${rest.length} others are not restarted (${names.join(', ')}); start them once it is well`;
    void this.publish(withheldRecord(engine.host, storm, reason, rest.map(([id]) => storm.members.get(id)).filter((m) => m !== undefined), this.deps.clock.now()));
    for (const [id, trigger] of rest) void this.deps.release(engine, id, trigger, { withheld: { reason: `not restarted: the first restart after the storm (${canary}) did not hold`, cause: storm.cause } });
  }

  private markStory(host: string, storm: Storm, signal: StormSignal): void {
    storm.members.set(signal.id, signal);
    const now = this.deps.clock.now();
    this.deps.stories.append(host, signal.id, signal.name, { at: Math.max(signal.at, storm.startedAt - this.deps.config.storm.windowMs), kind: 'storm', incidentId: storm.incidentId }, now);
  }

  private async saved(): Promise<void> {
    try {
      await this.deps.stories.save();
    } catch (error) {
      this.deps.feed({ type: 'warning', message: `could not keep the storm in the story file: ${describeError(error)}` });
    }
  }

  private async publish(record: AuditRecord): Promise<void> {
    try {
      await this.deps.bus.publish({ type: 'recorded', record, aheadWritten: false });
    } catch (error) {
      this.deps.feed({ type: 'warning', message: `could not record the storm: ${describeError(error)}` });
    }
  }

  private stateOf(host: string): EngineStorms {
    let state = this.engines.get(host);
    if (!state) {
      state = { signals: [], held: new Map(), reviewing: false };
      this.engines.set(host, state);
    }
    return state;
  }
}

function first<K, V>(map: ReadonlyMap<K, V>): [K, V] | undefined {
  return map.entries().next().value;
}

/** Outcomes where a person took over: theirs, not a verdict on the host. */
const PERSON_OUTCOMES: ReadonlySet<Outcome['status']> = new Set(['stopped-by-person', 'paused-by-person', 'restarted-by-person', 'removed-by-person']);
