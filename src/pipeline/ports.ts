/**
 * The interfaces the pipeline needs from the outside world. Adapters implement them; tests can
 * hand the pipeline real adapters pointed at local servers, or small in-memory ones.
 */
import type { OpenStorm } from '../core/storm.js';
import type { ContainerStory, Coverage, StoryStep } from '../core/story.js';
import type { AuditEvent, AuditRecord, ContainerFacts, ContainerRef, Diagnosis, DiagnosisRequest, HealthStatus, LogLine } from '../core/types.js';

/** A container event from the engine's events stream, reduced to what the doctor uses. */
export interface ContainerEvent {
  readonly host: string;
  readonly id: string;
  readonly name: string;
  readonly image: string;
  /** Event action as Docker sends it: `die`, `oom`, `kill`, `stop`, `start`, `restart`, `health_status: unhealthy`, ... */
  readonly action: string;
  /** Event attributes (labels, `exitCode`, `signal`). */
  readonly attributes: Readonly<Record<string, string>>;
  /** Event time in ms since the epoch (`timeNano` / 1e6). */
  readonly timeMs: number;
}

/** What a replay of past events found. */
export interface EventReplay {
  /** The watched container events, oldest first. */
  readonly events: readonly ContainerEvent[];
  /** False when the engine's buffer was full: events older than `oldestMs` may be lost. */
  readonly complete: boolean;
  /** Time of the oldest event (of any kind) the engine still held in the span; null when none. */
  readonly oldestMs: number | null;
}

/** One entry of the container list: enough to select targets and, mostly, to skip an inspect. */
export interface ListedContainer {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly labels: Record<string, string>;
  /** `State` of the list entry: `running`, `exited`, `restarting`, ... */
  readonly state: string;
  /** A running container's health read from the list; undefined when the list does not tell (then inspect). */
  readonly health?: HealthStatus;
  /** `HostConfig.NetworkMode` as the list reports it (`container:<id>` for a shared namespace). */
  readonly networkMode?: string;
}

/** One Docker Engine, as the pipeline sees it. Implemented by the dockerode adapter. */
export interface DockerEngine {
  /** The DOCKER_HOST entry this engine was reached through; names it in records. */
  readonly host: string;
  ping(signal?: AbortSignal): Promise<void>;
  /** All containers (running or not), with labels, for target selection. */
  listContainers(): Promise<ListedContainer[]>;
  /** Throws ContainerNotFoundError when the container does not exist. */
  inspect(idOrName: string): Promise<ContainerFacts>;
  /**
   * The last `tail` lines of stdout and stderr, demultiplexed (or raw for TTY containers).
   * With `sinceMs`, only lines stamped after that time.
   */
  readLogs(ref: ContainerRef, opts: { tail: number; tty: boolean; sinceMs?: number; signal?: AbortSignal }): Promise<LogLine[]>;
  /**
   * Follows the events stream for containers from `sinceMs` on, calling `onEvent` for each event,
   * until `signal` aborts or the stream ends (resolve) or fails (reject). The caller reconnects.
   */
  streamEvents(opts: { sinceMs?: number; signal: AbortSignal; onEvent: (event: ContainerEvent) => void }): Promise<void>;
  /**
   * The container events the engine still holds between `sinceMs` and `untilMs` (the replay).
   * The engine keeps only its last 256 events (moby daemon/events/events.go), so older ones are gone.
   */
  readEvents(opts: { sinceMs: number; untilMs: number; signal?: AbortSignal }): Promise<EventReplay>;
  /** `docker stop -t`: the stop signal, then SIGKILL after the timeout; resolves once it is down (at once when it already is). */
  stop(ref: ContainerRef, opts: { timeoutSeconds: number }): Promise<void>;
  /** `docker start` (at once when it already runs). */
  start(ref: ContainerRef): Promise<void>;
}

/** A second opinion on an incident (an AI backend, or a chain of them). Must never throw: failures come back as `error`. */
export interface Diagnoser {
  diagnose(request: DiagnosisRequest, signal?: AbortSignal): Promise<DiagnoserResult>;
}

export type { DiagnosisRequest };

/** Which backend answered (or failed last), the model, and how long the calls took. */
export interface DiagnoserTrace {
  readonly backend?: string;
  readonly model?: string;
  readonly latencyMs?: number;
  /** USD, when the backend's price is known; the chain adds it up over the backends it asked. */
  readonly estimatedCostUsd?: number | null;
  /** Why earlier backends in the chain gave no usable answer, when the answer came from a later one. */
  readonly fellThrough?: string;
}

export type DiagnoserResult =
  | ({ readonly ok: true; readonly diagnosis: Diagnosis; readonly usage: TokenUsage } & DiagnoserTrace)
  | ({ readonly ok: false; readonly error: string; readonly usage?: TokenUsage } & DiagnoserTrace);

export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
}

/** Where people hear about incidents (one per channel). Must never throw and never block the loop. */
export interface Notifier {
  incident(record: AuditRecord): void;
  recovered(record: AuditRecord, recoveredAt: string): void;
  /** Resolves when queued messages were delivered or given up on (used at shutdown). */
  flush(timeoutMs: number): Promise<void>;
  /** A message that is not about one incident (the REPORT_SCHEDULE digest): a title and a few markdown lines. */
  notice?(title: string, markdown: string): void;
}

/** Append-only record of every decision, written durably before `append` resolves. */
export interface AuditSink {
  append(record: AuditRecord): Promise<void>;
  appendEvent(event: AuditEvent): Promise<void>;
  /** One record as written (with its outcome joined when there is one); used to finish a restart a stopped doctor left pending. */
  find(container: string, incidentId: string, occurrence: number): Promise<AuditRecord | undefined>;
}

/** Told when writes of a STATE_DIR file start and stop failing (ENOSPC, EACCES): /health and the feed show it. */
export interface StorageHealthSink {
  failed(file: string, error: string): void;
  succeeded(file: string): void;
}

/** Where containers' stories live (the story store). */
export interface StoryLedger {
  story(host: string, id: string): ContainerStory | undefined;
  storiesOf(host: string): ContainerStory[];
  append(host: string, id: string, name: string, step: StoryStep, now: number): ContainerStory;
  coverage(host: string): Coverage & { readonly gaps: readonly { readonly from: number; readonly to: number }[] };
  lastEventMs(host: string): number | undefined;
  setLastEventMs(host: string, ms: number): void;
  recordReplay(host: string, from: number, to: number, completeFrom: number): void;
  openStorm(host: string): OpenStorm | undefined;
  setOpenStorm(host: string, storm: OpenStorm | undefined): void;
  save(): Promise<void>;
}

/** Injectable clock so guardrails are tested without sleeps. */
export interface Clock {
  now(): number;
}

/** Per-engine state shown by /health. */
export interface EngineStatus {
  readonly host: string;
  readonly connected: boolean;
  readonly eventsStreaming: boolean;
  readonly lastError: string | null;
  readonly targets: number;
  readonly lastCycleAt: string | null;
  readonly lastCycleMs: number | null;
}
