/**
 * The DockerEngine port over the Engine API (engine-http.ts): the only code that talks to the
 * Docker Engine. One instance per engine (one DOCKER_HOST entry).
 */
import { addAbortSignal, type Readable } from 'node:stream';
import { ContainerNotFoundError, DockerUnavailableError, DoctorError, describeError } from '../../core/errors.js';
import { LogDecoder } from '../../core/log-frames.js';
import type { ContainerFacts, ContainerRef, LogLine } from '../../core/types.js';
import type { ContainerEvent, DockerEngine, EventReplay, ListedContainer } from '../../pipeline/ports.js';
import { DEFAULT_SOCKET_PATH, parseDockerHost, type DockerHostEnv } from './docker-host.js';
import { EngineHttp, type Query } from './engine-http.js';
import { EventLineDecoder, readTimeMs, toContainerEvent, type EventMessage } from './event-stream.js';
import { healthFromListStatus } from './list-health.js';
import { stripSlash, toContainerFacts, type InspectJson } from './inspect-facts.js';

/** Tuning for one engine; the defaults suit a local socket and a remote engine alike. */
export interface DockerEngineOptions {
  /** Deadline for one API call (inspect, list, logs, ping); restart adds its stop timeout. Default 15 s. */
  readonly requestTimeoutMs?: number;
  /** Deadline for the events stream to answer; once open it may stay idle forever. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Longer lines are cut to this many bytes. Default 16 KiB, Docker's own split size for log messages. */
  readonly maxLineBytes?: number;
  /** Where DOCKER_TLS_VERIFY, DOCKER_TLS, DOCKER_CERT_PATH, HOME and SSH_AUTH_SOCK are read. Default process.env. */
  readonly env?: DockerHostEnv & { readonly SSH_AUTH_SOCK?: string | undefined };
}

/** The container events the doctor follows. */
export const WATCHED_ACTIONS: readonly string[] = [
  'create', 'start', 'die', 'oom', 'kill', 'stop', 'restart', 'destroy', 'pause', 'unpause', 'rename',
  // The Engine matches `health_status` as a prefix, so it selects `health_status: healthy|unhealthy`
  // (moby daemon/events/filter.go, matchEvent; checked against Engine 20.10).
  'health_status',
];

/** The engine keeps its last 256 events for `since` queries (moby daemon/events/events.go, eventsLimit). */
const ENGINE_EVENT_BUFFER = 256;
/** Events stamped after `until` still take buffer places; a few places of slack cover them. */
const BUFFER_SLACK = 4;

/** Builds the engine for one DOCKER_HOST entry; an empty entry means the local default socket. */
export function createDockerEngine(host: string, options: DockerEngineOptions = {}): DockerEngine {
  const name = host.trim() === '' ? `unix://${DEFAULT_SOCKET_PATH}` : host.trim();
  const env = options.env ?? process.env;
  return new HttpDockerEngine(name, new EngineHttp(parseDockerHost(host, env), env), options);
}

/** Container list entry as GET /containers/json returns it (the fields read here). */
interface ListJson {
  readonly Id: string;
  readonly Names?: string[];
  readonly Image: string;
  readonly Labels?: Record<string, string> | null;
  readonly State: string;
  readonly Status: string;
  readonly HostConfig?: { readonly NetworkMode?: string } | null;
}

export class HttpDockerEngine implements DockerEngine {
  readonly host: string;
  readonly #http: EngineHttp;
  readonly #requestTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #maxLineBytes: number;

  constructor(host: string, http: EngineHttp, options: DockerEngineOptions = {}) {
    this.host = host;
    this.#http = http;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.#maxLineBytes = options.maxLineBytes ?? 16 * 1024;
  }

  async ping(signal?: AbortSignal): Promise<void> {
    await this.#call('ping', undefined, signal, (abortSignal) => this.#http.send({ method: 'GET', path: '/_ping', signal: abortSignal }));
  }

  async listContainers(): Promise<ListedContainer[]> {
    const containers = await this.#call('list containers', undefined, undefined, (abortSignal) =>
      this.#http.json<ListJson[]>({ method: 'GET', path: '/containers/json', query: { all: true }, signal: abortSignal }),
    );
    return containers.map((c) => ({
      id: c.Id,
      name: pickName(c.Names ?? []),
      image: c.Image,
      labels: { ...(c.Labels ?? {}) },
      state: c.State,
      health: healthFromListStatus(c.State, c.Status),
      ...(c.HostConfig?.NetworkMode ? { networkMode: c.HostConfig.NetworkMode } : {}),
    }));
  }

  async inspect(idOrName: string): Promise<ContainerFacts> {
    const json = await this.#call('inspect', idOrName, undefined, (abortSignal) =>
      this.#http.json<InspectJson>({ method: 'GET', path: `${containerPath(idOrName)}/json`, signal: abortSignal }),
    );
    return toContainerFacts(json, this.host);
  }

  async readLogs(ref: ContainerRef, opts: { tail: number; tty: boolean; sinceMs?: number; signal?: AbortSignal }): Promise<LogLine[]> {
    const tail = Math.max(0, Math.floor(opts.tail));
    if (tail === 0) return [];
    const target = refTarget(ref);
    const query: Query = { stdout: true, stderr: true, timestamps: true, follow: false, tail, since: opts.sinceMs === undefined ? undefined : toUnixSeconds(opts.sinceMs) };
    return this.#call('read logs of', target, opts.signal, (abortSignal) =>
      this.#readLogLines(target, query, opts.tty, tail, opts.sinceMs, abortSignal),
    );
  }

  async streamEvents(opts: { sinceMs?: number; signal: AbortSignal; onEvent: (event: ContainerEvent) => void }): Promise<void> {
    const { signal } = opts;
    if (signal.aborted) return;
    const query: Query = { filters: { type: ['container'], event: WATCHED_ACTIONS }, since: opts.sinceMs === undefined ? undefined : toUnixSeconds(opts.sinceMs) };

    // A deadline only until the stream answers: an open events stream is idle for as long as
    // nothing happens on the engine.
    const opening = deadline(this.#connectTimeoutMs, signal);
    let stream: Readable;
    try {
      // Once cleared, the opening deadline never fires: the stream then ends with `signal` (consumeEvents).
      stream = await this.#http.open({ method: 'GET', path: '/events', query, signal: opening.signal });
    } catch (error) {
      if (signal.aborted) return;
      throw this.#toEngineError(error, 'follow events', undefined, opening.timedOut ? this.#connectTimeoutMs : undefined);
    } finally {
      opening.clear();
    }
    await this.#consumeEvents(stream, signal, opts.onEvent);
  }

  async readEvents(opts: { sinceMs: number; untilMs: number; signal?: AbortSignal }): Promise<EventReplay> {
    // No filters: the engine's buffer of 256 is shared by every kind of event (health probes'
    // exec events included), so only the unfiltered count tells whether it was overrun.
    const query: Query = {
      since: toUnixSeconds(opts.sinceMs),
      until: toUnixSeconds(Math.max(opts.sinceMs, opts.untilMs)),
    };
    const watched = new Set(WATCHED_ACTIONS);
    const events: ContainerEvent[] = [];
    let total = 0;
    let oldestMs: number | null = null;
    const local = new AbortController();
    const onOuter = (): void => local.abort();
    opts.signal?.addEventListener('abort', onOuter, { once: true });
    try {
      // With `until` the engine sends what it still holds of that span and closes the stream.
      const stream = await this.#call('read events', undefined, opts.signal, (abortSignal) =>
        this.#http.open({ method: 'GET', path: '/events', query, signal: abortSignal }),
      );
      await this.#consumeMessages(stream, local.signal, (message) => {
        total += 1;
        if (oldestMs === null) oldestMs = readTimeMs(message);
        const event = toContainerEvent(message, this.host);
        if (event && (watched.has(event.action) || event.action.startsWith('health_status'))) events.push(event);
      }, true);
    } finally {
      opts.signal?.removeEventListener('abort', onOuter);
    }
    return { events, complete: total < ENGINE_EVENT_BUFFER - BUFFER_SLACK, oldestMs };
  }

  async stop(ref: ContainerRef, opts: { timeoutSeconds: number }): Promise<void> {
    const t = Math.max(0, Math.floor(opts.timeoutSeconds));
    // 304 (already stopped) is an answer, not an error.
    await this.#call('stop', refTarget(ref), undefined, (abortSignal) =>
      this.#http.send({ method: 'POST', path: `${containerPath(refTarget(ref))}/stop`, query: { t }, signal: abortSignal }),
      this.#requestTimeoutMs + t * 1000,
    );
  }

  async start(ref: ContainerRef): Promise<void> {
    await this.#call('start', refTarget(ref), undefined, (abortSignal) =>
      this.#http.send({ method: 'POST', path: `${containerPath(refTarget(ref))}/start`, signal: abortSignal }),
    );
  }

  #consumeEvents(stream: Readable, signal: AbortSignal, onEvent: (event: ContainerEvent) => void): Promise<void> {
    return this.#consumeMessages(stream, signal, (message) => {
      const event = toContainerEvent(message, this.host);
      if (event) onEvent(event);
    });
  }

  #consumeMessages(stream: Readable, signal: AbortSignal, onMessage: (message: EventMessage) => void, bounded = false): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const decoder = new EventLineDecoder();
      let settled = false;
      const finish = (error?: unknown): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        stream.off('data', onData);
        stream.destroy();
        if (error === undefined || signal.aborted) resolve();
        else reject(error);
      };
      const deliver = (messages: ReturnType<EventLineDecoder['push']>): void => {
        for (const message of messages) onMessage(message);
      };
      const onData = (chunk: Buffer): void => {
        try {
          deliver(decoder.push(chunk));
        } catch (error) {
          finish(error);
        }
      };
      const onAbort = (): void => finish();
      signal.addEventListener('abort', onAbort, { once: true });
      stream.on('data', onData);
      stream.once('end', () => {
        try {
          deliver(decoder.end());
          finish();
        } catch (error) {
          finish(error);
        }
      });
      stream.once('error', (error) => finish(this.#toEngineError(error, 'follow events')));
      // A connection torn down without an error or an end (daemon killed) still closes the stream.
      stream.once('close', () => {
        if (bounded) {
          deliver(decoder.end());
          finish();
        } else finish(new DockerUnavailableError(`events stream from ${this.host} closed without an end`));
      });
    });
  }

  /**
   * Streams the logs through the incremental decoder and keeps only the newest `tail` lines, so
   * memory stays within `tail` lines of at most `maxLineBytes` whatever the container wrote
   * (the engine sends a non-follow answer whole).
   */
  async #readLogLines(target: string, query: Query, tty: boolean, tail: number, sinceMs: number | undefined, abortSignal: AbortSignal): Promise<LogLine[]> {
    const stream = await this.#http.open({ method: 'GET', path: `${containerPath(target)}/logs`, query, signal: abortSignal }).catch((error: unknown) => {
      // 501: the log driver keeps no readable copy (`--log-driver none`, or a remote driver
      // with dual logging off). 409: the container is dead or being removed (`--rm` right
      // after its exit). Either way there is nothing to read, which is not a failure of the engine.
      if (httpStatus(error) === 501 || httpStatus(error) === 409) return null;
      throw error;
    });
    if (stream === null) return [];
    addAbortSignal(abortSignal, stream);
    const decoder = new LogDecoder({ tty, timestamps: true, maxLineBytes: this.#maxLineBytes });
    let kept: LogLine[] = [];
    const keep = (lines: LogLine[]): void => {
      for (const line of lines) {
        // `since` is second-granular on some engines: drop what the caller has already seen.
        if (sinceMs !== undefined && isAtOrBefore(line.ts, sinceMs)) continue;
        kept.push(line);
      }
      if (kept.length > 2 * tail) kept = kept.slice(-tail);
    };
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) keep(decoder.push(chunk));
    } finally {
      stream.destroy();
    }
    keep(decoder.end());
    return kept.length > tail ? kept.slice(-tail) : kept;
  }

  /** Runs one API call under a deadline and maps its failure to the doctor's error vocabulary. */
  async #call<T>(action: string, target: string | undefined, outer: AbortSignal | undefined, run: (signal: AbortSignal) => Promise<T>, timeoutMs = this.#requestTimeoutMs): Promise<T> {
    outer?.throwIfAborted();
    const limit = deadline(timeoutMs, outer);
    try {
      return await run(limit.signal);
    } catch (error) {
      if (outer?.aborted) throw outer.reason;
      throw this.#toEngineError(error, action, target, limit.timedOut ? timeoutMs : undefined);
    } finally {
      limit.clear();
    }
  }

  #toEngineError(error: unknown, action: string, target?: string, timedOutAfterMs?: number): Error {
    if (error instanceof DoctorError) return error;
    const where = target === undefined ? '' : ` "${target}"`;
    if (timedOutAfterMs !== undefined) {
      return new DockerUnavailableError(
        `Docker Engine at ${this.host} did not answer ${action}${where} within ${timedOutAfterMs / 1000} s`,
        { cause: error },
      );
    }
    const status = httpStatus(error);
    if (status === 404 && target !== undefined) {
      return new ContainerNotFoundError(`no container "${target}" on ${this.host}`, { cause: error });
    }
    if (status === undefined && isConnectionError(error)) {
      return new DockerUnavailableError(`cannot reach the Docker Engine at ${this.host}: ${explainConnectionError(error)}`, { cause: error });
    }
    return new DoctorError(`Docker ${action}${where} on ${this.host} failed: ${engineMessage(error)}`, { cause: error });
  }
}

/** The container's API path; the id or name is escaped, so `../x` stays one segment. */
function containerPath(idOrName: string): string {
  return `/containers/${encodeURIComponent(idOrName)}`;
}

/** An AbortSignal that fires after `ms` or when `outer` aborts, and can be disarmed. */
function deadline(ms: number, outer: AbortSignal | undefined): { signal: AbortSignal; readonly timedOut: boolean; clear(): void } {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`timed out after ${ms} ms`));
  }, ms);
  const onAbort = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) onAbort();
  else outer?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    clear() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}

/** Docker's `since` takes seconds with a fractional part. */
function toUnixSeconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

/** True when the line's RFC 3339 stamp is at or before `sinceMs`. Unstamped lines are kept. */
function isAtOrBefore(ts: string | undefined, sinceMs: number): boolean {
  if (ts === undefined) return false;
  const ms = Date.parse(ts);
  return Number.isFinite(ms) && ms <= sinceMs;
}

function refTarget(ref: ContainerRef): string {
  return ref.id || ref.name;
}

/** `Names` lists the container's own name and, for legacy links, `/other/alias` entries. */
function pickName(names: readonly string[]): string {
  const own = names.find((n) => !stripSlash(n).includes('/')) ?? names[0] ?? '';
  return stripSlash(own);
}

function httpStatus(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** No HTTP answer at all: a socket, TCP, TLS or SSH failure (Node's and ssh2's own errors). */
function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, level } = error as { code?: unknown; level?: unknown };
  return typeof code === 'string' || typeof level === 'string' || /socket hang up/i.test(error.message);
}

function explainConnectionError(error: unknown): string {
  const { code, address } = error as { code?: string; address?: string };
  const message = describeError(error);
  switch (code) {
    case 'ENOENT':
      return `no socket at ${address ?? 'the given path'} (is the daemon running?)`;
    case 'EACCES':
      return `permission denied on ${address ?? 'the socket'} (run as root or join the docker group)`;
    case 'ECONNREFUSED':
      return `connection refused (${message}); is the daemon running and listening there?`;
    default:
      return message;
  }
}

/** Prefer the daemon's own message (`{"message": ...}`) to the status line. */
function engineMessage(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  if (json && typeof json.message === 'string') return json.message;
  return describeError(error).trim();
}
