import { describeError } from '../core/errors.js';
import { historyKey } from '../core/history.js';
import type { ContainerRef, Finding, HealthStatus, Trigger, TriggerKind } from '../core/types.js';
import { IncidentHandler, type HandlerDeps, type IncidentInput, type SeenContainer } from './incident-handler.js';
import type { EngineStatus, ContainerEvent, DockerEngine, ListedContainer } from './ports.js';
import { DependentRestarts } from './dependents.js';
import { RecoveryWatch } from './recovery-watch.js';
import { RootWaits } from './root-wait.js';
import { stepFromEvent } from './story-feed.js';
import { readDeath, stepNearDeath } from '../core/story.js';
import { STORM_LOOK_MS, StormWatch, type Released } from './storm-watch.js';
import { selectTargets } from './target-filter.js';
import { runLimited } from './run-limited.js';
import { sleepUnlessAborted } from './sleep.js';

export interface WatcherDeps extends HandlerDeps {
  readonly engines: readonly DockerEngine[];
  readonly askAi: boolean;
  /** A container without a health check counts as recovered once it has run this long. Default 30 s. */
  readonly recoveryStableMs?: number;
}

interface EngineState {
  engine: DockerEngine;
  connected: boolean;
  eventsStreaming: boolean;
  lastError: string | null;
  targets: number;
  lastCycleAt: string | null;
  lastCycleMs: number | null;
  /** Per container id: time of the newest log line already scanned. */
  logCursor: Map<string, number>;
  /** Per container id: what holds for one run of it, so a cycle need not inspect it again. */
  runFacts: Map<string, RunFacts>;
  /** Per container id: the stream epoch in which its exit was judged; unchanged since if no event came. */
  judgedExits: Map<string, number>;
  /** Per container id: its StopSignal (fixed when it is created), for telling a stop from a crash as a die arrives. */
  stopSignals: Map<string, string>;
  /** Counts events-stream connections: what was cached under an earlier one may have missed events. */
  epoch: number;
  /** Counts lifecycle events, so an inspect that raced one is not cached. */
  lifecycle: number;
  /** The story has been rebuilt from the engine's recent events since this doctor started. */
  replayed: boolean;
  /** Where the events stream picks up after the latest replay. */
  streamFromMs: number | undefined;
  replaying: Promise<void> | undefined;
}

/** Facts that stay true for one run of a container (until its next start, die or destroy). */
interface RunFacts {
  readonly ref: ContainerRef;
  readonly tty: boolean;
  readonly startedAt: string | null;
  /** The previous run's FinishedAt (null if it never exited): the line between its output and this run's. */
  readonly finishedAt: string | null;
  readonly epoch: number;
}

const MAX_DOCKER_CALLS_AT_ONCE = 8;
/**
 * At most this many new lines are scanned per container per cycle (never fewer than LOG_LINES):
 * every line of a normally chatty container is seen, while a container flooding its logs costs a
 * bounded read (Docker answers `tail` from the end of the log file) and bounded memory.
 */
const MAX_NEW_LINES_PER_CYCLE = 500;
const EVENT_BACKOFF_MIN_MS = 500;
const EVENT_BACKOFF_MAX_MS = 30_000;
/** An OOM event without a die: a process inside was killed but the container lives on. */
const OOM_SETTLE_MS = 1_000;
/** How long a SIGKILL exit waits for an `oom` event that arrives after the `die`. */
const LATE_OOM_GRACE_MS = 750;
/** A doctor that never watched this engine replays this far back (the engine keeps at most 256 events anyway). */
const REPLAY_LOOKBACK_MS = 24 * 60 * 60 * 1000;
/** After a `die` event, reconcile leaves that exit to the event path for this long. */
const DIE_OWNS_EXIT_MS = 5_000;

/** A look-again at the end of a window lands just after it, never on its last millisecond. */
const LOOK_AGAIN_SLACK_MS = 1_000;
/** Node's timers hold at most 2^31-1 ms; a longer wait looks again after a day and waits on. */
const MAX_TIMER_MS = 24 * 60 * 60 * 1000;

/** Events after which cached run facts and judged exits no longer hold. */
const lifecycleActions = new Set(['start', 'die', 'restart', 'destroy', 'pause', 'unpause', 'rename']);

/**
 * The daemon: reconcile what exists, then follow each engine's events stream, and reconcile again
 * every CHECK_INTERVAL because events can be missed. Incidents for one container are handled one
 * at a time; different containers never wait for each other (a slow Claude call included).
 */
export class Watcher {
  private readonly handler: IncidentHandler;
  private readonly engines: EngineState[];
  private readonly queues = new Map<string, Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly recoveries: RecoveryWatch;
  /** Restarts the dependents of a container that started again (issue 12). */
  private readonly dependents: DependentRestarts;
  /** Dependents waiting for the container their failure is attributed to (issue 12). */
  private readonly rootWaits: RootWaits;
  /** Many failures at once on one engine: one host incident, incidents held until it settles (issue 12). */
  private readonly storms: StormWatch;
  /** Per container id: when (doctor's clock) its last `die` event arrived. */
  private readonly dieReceivedAt = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;
  /** Aborted at shutdown: settle waits end early and Claude calls give up, so a stop is quick. */
  private readonly shutdown = new AbortController();

  constructor(private readonly deps: WatcherDeps) {
    this.handler = new IncidentHandler({
      ...deps,
      sleep: (ms) => sleepUnlessAborted(ms, this.shutdown.signal),
      stopSignal: this.shutdown.signal,
    });
    this.dependents = new DependentRestarts({
      ...deps, handler: this.handler, later: (ms, fn) => this.later(ms, fn), track: (work) => this.track(work),
    });
    this.storms = new StormWatch({
      config: deps.config, clock: deps.clock, bus: this.handler.bus, stories: deps.stories, feed: deps.feed,
      later: (ms, fn) => this.later(ms, fn),
      release: (engine, id, t, opts) => new Promise((resolve) => this.enqueue(engine, id, t, { recheck: true, ...(opts?.withheld ? { withheld: opts.withheld } : {}), onResult: resolve })),
    });
    this.rootWaits = new RootWaits({ enqueue: (engine, id, t) => this.enqueue(engine, id, t, { recheck: true }), now: () => deps.clock.now() });
    this.recoveries = new RecoveryWatch({ clock: deps.clock, bus: this.handler.bus, stableMs: deps.recoveryStableMs ?? 30_000 });
    this.engines = deps.engines.map((engine) => ({
      engine,
      connected: false,
      eventsStreaming: false,
      lastError: null,
      targets: 0,
      lastCycleAt: null,
      lastCycleMs: null,
      logCursor: new Map(),
      runFacts: new Map(),
      judgedExits: new Map(),
      stopSignals: new Map(),
      epoch: 0,
      lifecycle: 0,
      replayed: false,
      streamFromMs: undefined,
      replaying: undefined,
    }));
  }

  /** The incident handler: approvals re-judge through it (approvals.ts). */
  get incidents(): IncidentHandler {
    return this.handler;
  }

  /** The watched engine for a host, if any. */
  engineFor(host: string): DockerEngine | undefined {
    return this.engines.find((e) => e.engine.host === host)?.engine;
  }

  /**
   * Runs `fn` in the container's own queue, after the incidents already waiting for it and before
   * any that arrive later: an approval never races an incident of the same container.
   */
  exclusive<T>(host: string, id: string, fn: () => Promise<T>): Promise<T> {
    const key = `${host}|${id}`;
    const previous = this.queues.get(key) ?? Promise.resolve();
    const result = previous.then(fn);
    const run = result.then(() => undefined, () => undefined);
    this.queues.set(key, run);
    this.inFlight.add(run);
    void run.finally(() => {
      this.inFlight.delete(run);
      if (this.queues.get(key) === run) this.queues.delete(key);
    });
    return result;
  }

  status(): EngineStatus[] {
    return this.engines.map((s) => ({
      host: s.engine.host,
      connected: s.connected,
      eventsStreaming: s.eventsStreaming,
      lastError: s.lastError,
      targets: s.targets,
      lastCycleAt: s.lastCycleAt,
      lastCycleMs: s.lastCycleMs,
    }));
  }

  /** One reconcile of every engine; resolves when every incident it found has been handled. */
  async runOnce(): Promise<void> {
    await Promise.all(this.engines.map((e) => this.reconcile(e)));
    await this.drain();
    await this.closeBus();
    await this.deps.stories.save().catch(() => undefined);
  }

  /** Runs until `signal` aborts, then lets in-flight incidents finish. */
  async run(signal: AbortSignal): Promise<void> {
    const loops = this.engines.map(async (state) => {
      await Promise.all([this.followEvents(state, signal), this.reconcileLoop(state, signal)]);
    });
    await Promise.all(loops);
    this.stopping = true;
    this.shutdown.abort();
    for (const t of this.timers) clearTimeout(t);
    // In-flight incidents still finish and are recorded (a restart already issued is verified now).
    await this.drain();
    await this.closeBus();
    await this.deps.stories.save().catch((error: unknown) => this.deps.feed({ type: 'warning', message: describeError(error) }));
  }

  /** Subscribers write what they hold back (repeats not yet on record) before the audit log closes. */
  private async closeBus(): Promise<void> {
    await this.handler.bus.close().catch((error: unknown) => this.deps.feed({ type: 'warning', message: `could not record held-back repeats: ${describeError(error)}` }));
  }

  /**
   * Replay, before judging anything: the engine's recent events rebuild each container's story
   * (who stopped what while no doctor watched). On the first replay of this process the events only
   * tell the story; on a reconnect they are news that was missed, and go through the live path.
   * Then restarts a previous doctor left half-done are verified and their outcome recorded.
   */
  private replay(state: EngineState): Promise<void> {
    state.replaying ??= this.replayOnce(state).finally(() => {
      state.replaying = undefined;
    });
    return state.replaying;
  }

  private async replayOnce(state: EngineState): Promise<void> {
    const { engine } = state;
    const { stories, clock } = this.deps;
    const first = !state.replayed;
    const now = clock.now();
    const since = stories.lastEventMs(engine.host) ?? now - REPLAY_LOOKBACK_MS;
    const replay = await engine.readEvents({ sinceMs: since, untilMs: now, signal: this.shutdown.signal });
    for (const event of replay.events) this.takeIn(state, event, !first);
    stories.recordReplay(engine.host, since, now, replay.complete ? since : Math.max(since, replay.oldestMs ?? now));
    if (!replay.complete) {
      this.deps.feed({ type: 'warning', message: `${engine.host || 'local'}: the engine no longer holds every event since ${new Date(since).toISOString()}; deaths before ${new Date(replay.oldestMs ?? now).toISOString()} count as unknown, never as crashes` });
    }
    state.streamFromMs = now;
    if (first) await this.handler.resolveUnfinishedRestarts(engine);
    state.replayed = true;
  }

  private async ensureReplayed(state: EngineState): Promise<void> {
    if (!state.replayed) await this.replay(state);
  }

  private async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async reconcileLoop(state: EngineState, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.reconcile(state);
      await sleepUnlessAborted(this.deps.config.checkIntervalMs, signal);
    }
  }

  /** Inspect every target: act on what is already broken, scan new log lines of the running. */
  async reconcile(state: EngineState): Promise<void> {
    const started = this.deps.clock.now();
    const { engine } = state;
    let listed;
    try {
      await this.ensureReplayed(state);
      listed = await engine.listContainers();
      state.connected = true;
      state.lastError = null;
    } catch (error) {
      state.connected = false;
      state.lastError = describeError(error);
      this.deps.feed({ type: 'engine-down', host: engine.host, error: state.lastError, retryInMs: this.deps.config.checkIntervalMs });
      return;
    }
    const targets = selectTargets(listed, this.deps.config.targets, this.deps.selfId, this.deps.config.targetLabel);
    state.targets = targets.length;
    // Before the first exit is judged: a storm on when the doctor (re)started holds them still.
    if (state.lastCycleAt === null) this.storms.resume(engine, state.targets, (id) => state.stopSignals.get(id) ?? 'SIGTERM');
    const live = new Set(targets.map((t) => t.id));
    for (const map of [state.logCursor, state.runFacts, state.judgedExits, state.stopSignals]) {
      for (const id of map.keys()) if (!live.has(id)) map.delete(id);
    }

    await runLimited(targets, MAX_DOCKER_CALLS_AT_ONCE, async (c) => {
      try {
        if (c.state === 'running') await this.scanRunning(state, c);
        else if (c.state === 'restarting') this.enqueue(engine, c.id, trigger('restarting', started));
        else if (c.state === 'exited' || c.state === 'dead') this.judgeExit(state, c.id, started);
      } catch (error) {
        this.deps.feed({ type: 'warning', message: `${engine.host || 'local'}: ${c.name}: ${describeError(error)}` });
      }
    });
    this.recoveries.check(state.engine);
    state.lastCycleMs = this.deps.clock.now() - started;
    state.lastCycleAt = new Date(started).toISOString();
    this.deps.feed({ type: 'cycle', host: engine.host, targets: targets.length, durationMs: state.lastCycleMs, at: state.lastCycleAt });
  }

  /**
   * An exit judged while the events stream stayed up cannot have changed without an event (a
   * start or die clears the mark), so it is not inspected again every cycle.
   */
  private judgeExit(state: EngineState, id: string, at: number): void {
    if (state.eventsStreaming && state.judgedExits.get(id) === state.epoch) return;
    // A die event just arrived for it: that path judges this exit, with the event's details.
    const dieSeen = this.dieReceivedAt.get(id);
    if (dieSeen !== undefined && this.deps.clock.now() - dieSeen < DIE_OWNS_EXIT_MS) return;
    const { epoch } = state;
    this.enqueue(state.engine, id, trigger('exited', at), {
      onHandled: () => {
        if (state.eventsStreaming && state.epoch === epoch) state.judgedExits.set(id, epoch);
      },
    });
  }

  /** Reads only the lines written since the last cycle, and hands error lines to the handler. */
  private async scanRunning(state: EngineState, c: ListedContainer): Promise<void> {
    const { engine } = state;
    const { id } = c;
    const facts = await this.runFactsOf(state, c);
    if (facts.health === 'unhealthy') {
      this.enqueue(engine, id, trigger('unhealthy', this.deps.clock.now()));
      return;
    }
    // `docker logs` keeps the output of earlier runs; those lines belonged to the exit that ended
    // them (judged on its own), so only lines of the current run are news. The previous run's
    // FinishedAt divides them, not this run's StartedAt: the engine records StartedAt after the
    // process is already running, so its first lines can be stamped before it (seen in tests).
    const lastExitMs = Date.parse(facts.finishedAt ?? '');
    const cursor = state.logCursor.get(id);
    const since = Number.isNaN(lastExitMs) ? cursor : Math.max(cursor ?? 0, lastExitMs);
    // The first look at a container reads its last LOG_LINES; later ones every new line, up to a bound.
    const tail = cursor === undefined ? this.deps.config.logLines : Math.max(this.deps.config.logLines, MAX_NEW_LINES_PER_CYCLE);
    const lines = await engine.readLogs(facts.ref, { tail, tty: facts.tty, sinceMs: since });
    const newest = lines.reduce((max, l) => Math.max(max, l.ts ? Date.parse(l.ts) : 0), since ?? 0);
    state.logCursor.set(id, newest > 0 ? newest : this.deps.clock.now());
    const findings = this.deps.detector.detect(lines);
    if (findings.length > 0) this.enqueue(engine, id, trigger('log-pattern', this.deps.clock.now()), { findings });
  }

  /**
   * TTY and start time from the cache and health from the container list when both can be
   * trusted (the events stream has been up since they were read); otherwise one inspect. Most
   * cycles then cost one list call plus one log read per running container.
   */
  private async runFactsOf(state: EngineState, c: ListedContainer): Promise<{ ref: ContainerRef; tty: boolean; startedAt: string | null; finishedAt: string | null; health: HealthStatus }> {
    const cached = state.runFacts.get(c.id);
    if (cached && c.health !== undefined && state.eventsStreaming && cached.epoch === state.epoch) return { ...cached, health: c.health };
    const { epoch, lifecycle } = state;
    const streaming = state.eventsStreaming;
    const facts = await state.engine.inspect(c.id);
    state.stopSignals.set(c.id, facts.stopSignal);
    if (streaming && state.epoch === epoch && state.lifecycle === lifecycle) {
      state.runFacts.set(c.id, { ref: facts.ref, tty: facts.tty, startedAt: facts.startedAt, finishedAt: facts.finishedAt, epoch });
    }
    return { ref: facts.ref, tty: facts.tty, startedAt: facts.startedAt, finishedAt: facts.finishedAt, health: facts.health.status };
  }

  private async followEvents(state: EngineState, signal: AbortSignal): Promise<void> {
    const { engine } = state;
    let backoff = EVENT_BACKOFF_MIN_MS;
    let first = true;
    while (!signal.aborted) {
      const connectedAt = this.deps.clock.now();
      try {
        await engine.ping(signal);
        // Every (re)connect first replays what the engine holds since the last event taken in.
        await this.replay(state);
        if (!first) {
          this.deps.feed({ type: 'engine-up', host: engine.host });
          void this.reconcile(state);
        }
        first = false;
        state.connected = true;
        state.eventsStreaming = true;
        state.epoch += 1;
        const sinceMs = state.streamFromMs ?? connectedAt;
        await engine.streamEvents({ sinceMs, signal, onEvent: (event) => this.takeIn(state, event, true) });
        if (signal.aborted) break;
        throw new Error('events stream ended');
      } catch (error) {
        state.eventsStreaming = false;
        if (signal.aborted) break;
        this.storms.engineDropped(engine.host);
        state.connected = false;
        state.lastError = describeError(error);
        if (this.deps.clock.now() - connectedAt > 10_000) backoff = EVENT_BACKOFF_MIN_MS;
        this.deps.feed({ type: 'engine-down', host: engine.host, error: state.lastError, retryInMs: backoff });
        await sleepUnlessAborted(backoff, signal);
        backoff = Math.min(backoff * 2, EVENT_BACKOFF_MAX_MS);
      }
    }
    state.eventsStreaming = false;
  }

  /**
   * One event: into its container's story first, then (when it is news rather than the story of a
   * first replay) what it triggers.
   */
  private takeIn(state: EngineState, event: ContainerEvent, live: boolean): void {
    const { engine } = state;
    const { stories, clock } = this.deps;
    stories.setLastEventMs(engine.host, event.timeMs);
    if (!this.isTarget(event)) return;
    const step = stepFromEvent(event);
    if (!step) return;
    const before = stories.story(engine.host, event.id);
    const story = stories.append(engine.host, event.id, event.name, step, clock.now());
    // Seen already (a replay overlapping the stream): it has told its story and triggered what it triggers.
    if (story === before) return;
    const appended = story.steps.find((s) => s.at === step.at && s.kind === step.kind) ?? step;
    const action = event.action;
    if (lifecycleActions.has(action)) {
      state.lifecycle += 1;
      state.runFacts.delete(event.id);
      state.judgedExits.delete(event.id);
    }
    if (step.kind === 'rename' && step.oldName && step.name) {
      // History is kept by name: it follows the container, so its budgets do not start over.
      this.deps.store.renameHistory(historyKey(engine.host, step.oldName), historyKey(engine.host, step.name));
    }
    if (!live) return;
    if (action === 'start' || action === 'unpause') {
      if (action === 'start') this.dependents.started(engine, event.id);
      this.later(this.deps.config.settleTimeMs, () => this.track(this.rootWaits.maybeBack(engine, event.id).catch(() => undefined)));
      this.recoveries.check(state.engine);
      return;
    }
    if (action === 'destroy') {
      state.logCursor.delete(event.id);
      state.stopSignals.delete(event.id);
      this.dieReceivedAt.delete(event.id);
      return;
    }
    if (action === 'die') {
      this.dieReceivedAt.set(event.id, clock.now());
      // The die of the doctor's own restart: the story says so, and the restart is verified by its own check.
      if (appended.by === 'doctor') return;
      const exitCode = appended.exitCode;
      // A stop (a person's, or the daemon shutting down) is not a failure; a crash counts towards a storm.
      // A container never inspected yet (it started and died between cycles) is taken to stop on TERM.
      if (readDeath(story, event.timeMs, { stopSignal: state.stopSignals.get(event.id) ?? 'SIGTERM' }).cause !== 'person') {
        this.storms.signal(engine, state.targets, { id: event.id, name: event.name, kind: 'die', at: event.timeMs, ...(exitCode !== undefined ? { exitCode } : {}) });
      }
      // Event attributes carry the container's labels beside name, image, exitCode and signal.
      const seen: SeenContainer = { name: event.name, image: event.image, labels: event.attributes };
      const t: Trigger = { kind: 'die', at: new Date(event.timeMs).toISOString(), event: action, ...(exitCode !== undefined ? { exitCode } : {}) };
      // containerd can deliver the OOM notice after the exit: give a SIGKILL exit a moment for it.
      if (exitCode === 137 && !stepNearDeath(story, 'oom', event.timeMs)) this.later(LATE_OOM_GRACE_MS, () => this.enqueue(engine, event.id, t, { seen }));
      else this.enqueue(engine, event.id, t, { seen });
      return;
    }
    if (action === 'oom') {
      this.storms.signal(engine, state.targets, { id: event.id, name: event.name, kind: 'oom', at: event.timeMs });
      // The die that usually follows carries the verdict; an OOM with no die is its own incident.
      this.later(OOM_SETTLE_MS, () => {
        if (!stepNearDeath(this.deps.stories.story(engine.host, event.id), 'die', event.timeMs)) this.enqueue(engine, event.id, { kind: 'oom', at: new Date(event.timeMs).toISOString(), event: action });
      });
      return;
    }
    if (step.kind === 'health') {
      if (step.health === 'unhealthy') this.storms.signal(engine, state.targets, { id: event.id, name: event.name, kind: 'unhealthy', at: event.timeMs });
      if (step.health === 'unhealthy') this.enqueue(engine, event.id, { kind: 'unhealthy', at: new Date(event.timeMs).toISOString(), event: action });
      else if (step.health === 'healthy') {
        this.recoveries.check(state.engine);
        this.track(this.rootWaits.maybeBack(engine, event.id).catch(() => undefined));
      }
    }
  }

  private isTarget(event: ContainerEvent): boolean {
    return selectTargets([{ id: event.id, name: event.name, labels: event.attributes }], this.deps.config.targets, this.deps.selfId, this.deps.config.targetLabel).length > 0;
  }

  /** Incidents for one container run one after another, in arrival order. */
  private enqueue(
    engine: DockerEngine,
    id: string,
    t: Trigger,
    extra: { findings?: Finding[]; recheck?: boolean; seen?: SeenContainer; onHandled?: () => void; withheld?: IncidentInput['withheld']; onResult?: (r: Released | undefined) => void } = {},
  ): void {
    if (this.stopping) return extra.onResult?.(undefined);
    let released: Released | undefined;
    const key = `${engine.host}|${id}`;
    const previous = this.queues.get(key) ?? Promise.resolve();
    const run = previous.then(async () => {
      // A storm on this engine: nothing is judged (or restarted) until it settles.
      // How many it watches, 0 while unknown (before the first cycle). A container failing here is
      // watched even when the last cycle counted none (it was created since): at least one.
      const state = this.engines.find((s) => s.engine === engine);
      const watched = state && state.lastCycleAt !== null ? Math.max(1, state.targets) : 0;
      const gate = this.storms.gate(engine, watched, id, t, extra.recheck === true);
      if (gate === 'hold') return;
      try {
        const result = await this.handler.handle({
          engine,
          id,
          trigger: t,
          findings: extra.findings,
          recheck: extra.recheck,
          seen: extra.seen,
          act: true,
          record: true,
          askAi: this.deps.askAi,
          ...(gate === 'look' ? { look: { alertAfter: this.deps.clock.now() + STORM_LOOK_MS, tookIntoStorm: () => this.storms.tookIntoStorm(engine.host, id) } } : {}),
          ...(extra.withheld ? { withheld: extra.withheld } : {}),
        });
        if (result?.decision.action === 'restart' && result.decision.executed) released = { restart: result.outcome.status };
        // Its restart waits until no storm is building.
        if (result?.skipped === 'storm-look') return this.storms.look(engine, id, t);
        extra.onHandled?.();
        if (!result) return;
        const { decision, record } = result;
        if (decision.deferUntil) {
          const wait = Math.max(0, Date.parse(decision.deferUntil) - this.deps.clock.now());
          this.later(wait, () => this.enqueue(engine, id, t, { ...extra, recheck: true }));
        }
        // A maintenance window or snooze held it back: whatever is still broken when it ends is judged then.
        const lookAgainAt = result.gate?.lookAgainAt;
        if (lookAgainAt !== undefined) this.later(Math.min(Math.max(0, lookAgainAt - this.deps.clock.now()) + LOOK_AGAIN_SLACK_MS, MAX_TIMER_MS), () => this.enqueue(engine, id, t, { ...extra, recheck: true }));
        if (record) {
          this.recoveries.expect(record, engine, result.facts.startedAt);
          if (record.rootCause && decision.guardrail === 'dependency-down') this.rootWaits.wait(engine, record.rootCause.root.id, id);
        }
      } catch (error) {
        this.deps.feed({ type: 'warning', message: `${engine.host || 'local'}: ${id.slice(0, 12)}: ${describeError(error)}` });
      }
    });
    this.queues.set(key, run);
    this.inFlight.add(run);
    void run.finally(() => {
      extra.onResult?.(released);
      this.inFlight.delete(run);
      if (this.queues.get(key) === run) this.queues.delete(key);
    });
  }

  /** Work the doctor waits for at shutdown, like an incident. */
  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private later(ms: number, fn: () => void): void {
    if (this.stopping) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }
}

function trigger(kind: TriggerKind, atMs: number): Trigger {
  return { kind, at: new Date(atMs).toISOString() };
}
