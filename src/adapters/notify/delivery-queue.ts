/**
 * One delivery queue per channel: what Slack had alone in v0.1, for every channel.
 *
 * `incident()` and `recovered()` only enqueue; one worker per channel sends in order, paced,
 * with bounded retries (exponential backoff with jitter for 5xx and network errors, the server's
 * `Retry-After` for 429), and collapses more than `maxPerMinute` messages in a minute into one
 * digest. Each channel has its own worker and timers, so a slow or failing channel never delays
 * another. Every message given up on or dropped is reported through `onDelivery` (the audit log).
 */
import { shouldPostIncident, type RecoveryEntry } from '../../core/alert-blocks.js';
import type { AuditRecord, Severity } from '../../core/types.js';
import type { Clock, Notifier } from '../../pipeline/ports.js';

export type DeliveryKind = 'incident' | 'recovery' | 'digest' | 'test' | 'notice';

/** What became of one message; handed to `onDelivery` for stats and the audit log. */
export interface DeliveryResult {
  readonly ok: boolean;
  readonly kind: DeliveryKind;
  /** The channel, as its redacted URL. */
  readonly channel?: string;
  /** The (first) incident the message was about. */
  readonly incidentId: string;
  /** Every incident the message covered: one, or many for a digest. */
  readonly incidentIds: readonly string[];
  /** Requests made; 0 when the message was dropped before sending. */
  readonly attempts: number;
  /** Why it was not delivered (never contains the channel's secrets). */
  readonly error?: string;
  /** Last HTTP status (or SMTP reply code), when a response arrived. */
  readonly status?: number;
}

/** Counters for `/health` and `/metrics`. */
export interface ChannelStats {
  readonly delivered: number;
  readonly failed: number;
  readonly dropped: number;
  /** Incidents below the minimum severity or outside the channel's containers, not sent. */
  readonly skipped: number;
  readonly digests: number;
  readonly queued: number;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  readonly lastDeliveredAt: string | null;
  /** The most recent message was given up on: the channel is failing. */
  readonly failing: boolean;
}

/** The result of one request to a channel. */
export type Attempt =
  | { readonly ok: true; readonly status: number }
  | { readonly ok: false; readonly retryable: boolean; readonly error: string; readonly status?: number; readonly waitMs?: number };

/** A channel's specifics: build its native message from records, and send one. */
export interface ChannelDriver<M> {
  buildIncident(record: AuditRecord): M;
  buildRecovery(record: AuditRecord, recoveredAt: string): M;
  buildDigest(records: readonly AuditRecord[], recoveries: readonly RecoveryEntry[]): M;
  buildTest(nowIso: string): M;
  /** A non-incident message (the report digest); channels without it do not receive notices. */
  buildNotice?(title: string, markdown: string, nowIso: string): M;
  /** One request; never throws. `waitMs` on a failure is the server's Retry-After. */
  send(message: M, signal: AbortSignal): Promise<Attempt>;
}

/** Which incidents a channel hears about (`?min_severity=`, `?containers=`). */
export interface ChannelRoute {
  /** Default `medium`; escalations and containers left down are sent whatever the severity. */
  readonly minSeverity?: Severity;
  /** Container names (or ids) this channel is for; empty or absent = all. */
  readonly containers?: readonly string[];
}

export interface DeliveryQueueOptions extends ChannelRoute {
  /** Names the channel in results, stats and the audit log: the redacted URL. */
  readonly channel: string;
  /** More messages than this in a minute are collapsed into one digest. Default 10. */
  readonly maxPerMinute?: number;
  readonly onDelivery?: (result: DeliveryResult) => void;
  readonly clock?: Clock;
  /** Resolves after `ms`, or early when `signal` aborts. Injected by tests to stay fast. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Messages waiting beyond this drop the oldest. Default 500. */
  readonly maxQueue?: number;
  /** Requests per message before giving up. Default 5. */
  readonly maxAttempts?: number;
  /** Per-request timeout. Default 10 s. */
  readonly timeoutMs?: number;
  /** Minimum gap between requests (the service's rate limit). Default 1 s. */
  readonly paceMs?: number;
  /** Once the minute's budget is spent, wait this long for more of the storm before sending the digest. Default 5 s. */
  readonly digestGatherMs?: number;
  /** First retry delay after a 5xx or network error; doubles each attempt. Default 1 s. */
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** Upper bound on a 429's `Retry-After`, so a bad header cannot stall alerts for hours. Default 5 min. */
  readonly maxRetryAfterMs?: number;
  /** Removes the channel's secrets from error text (the driver's own errors included). */
  readonly hide?: (s: string) => string;
}

type Job =
  | { readonly kind: 'incident'; readonly record: AuditRecord }
  | { readonly kind: 'recovery'; readonly record: AuditRecord; readonly recoveredAt: string };

const MINUTE_MS = 60_000;

export class ChannelNotifier<M> implements Notifier {
  readonly channel: string;
  private readonly minSeverity: Severity;
  private readonly containers: ReadonlySet<string>;
  private readonly maxPerMinute: number;
  private readonly clock: Clock;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly hide: (s: string) => string;
  private readonly limits: {
    maxQueue: number;
    maxAttempts: number;
    timeoutMs: number;
    paceMs: number;
    digestGatherMs: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    maxRetryAfterMs: number;
  };

  private readonly queue: Job[] = [];
  /** Jobs that found no room in the minute; they go out together as one digest. */
  private readonly overflow: Job[] = [];
  private overflowSince = 0;
  private readonly sentAt: number[] = [];
  private lastExtraAt = Number.NEGATIVE_INFINITY;
  private lastPostAt = Number.NEGATIVE_INFINITY;
  private blockedUntil = Number.NEGATIVE_INFINITY;
  private running = false;
  private flushing = 0;
  private wake: AbortController | null = null;
  private idleWaiters: Array<() => void> = [];
  /** Notices being sent (outside the queue); shutdown waits for them too. */
  private readonly notices = new Set<Promise<void>>();
  private counters = { delivered: 0, failed: 0, dropped: 0, skipped: 0, digests: 0 };
  private last = { error: null as string | null, errorAt: null as string | null, deliveredAt: null as string | null, failing: false };

  constructor(
    private readonly driver: ChannelDriver<M>,
    private readonly options: DeliveryQueueOptions,
  ) {
    this.channel = options.channel;
    this.minSeverity = options.minSeverity ?? 'medium';
    this.containers = new Set(options.containers ?? []);
    this.maxPerMinute = Math.max(1, options.maxPerMinute ?? 10);
    this.clock = options.clock ?? { now: () => Date.now() };
    this.sleep = options.sleep ?? sleepUnref;
    this.hide = options.hide ?? ((s) => s);
    this.limits = {
      maxQueue: Math.max(1, options.maxQueue ?? 500),
      maxAttempts: Math.max(1, options.maxAttempts ?? 5),
      timeoutMs: options.timeoutMs ?? 10_000,
      paceMs: options.paceMs ?? 1000,
      digestGatherMs: options.digestGatherMs ?? 5000,
      backoffBaseMs: options.backoffBaseMs ?? 1000,
      backoffMaxMs: options.backoffMaxMs ?? 30_000,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 5 * MINUTE_MS,
    };
  }

  incident(record: AuditRecord): void {
    this.guard(record, () => {
      if (!this.wants(record)) {
        this.counters.skipped++;
        return;
      }
      this.enqueue({ kind: 'incident', record });
    });
  }

  /** Sends a "back up" notice only for incidents this channel was told about in the first place. */
  recovered(record: AuditRecord, recoveredAt: string): void {
    this.guard(record, () => {
      if (this.wants(record)) this.enqueue({ kind: 'recovery', record, recoveredAt });
    });
  }

  /** Sends a notice (the report digest) in the background, outside the storm budget, with the usual retries; never throws. */
  notice(title: string, markdown: string): void {
    const build = this.driver.buildNotice;
    if (!build) return;
    let message: M;
    try {
      message = build(title, markdown, new Date(this.clock.now()).toISOString());
    } catch (error) {
      this.finish({ ok: false, kind: 'notice', channel: this.channel, incidentId: '', incidentIds: [], attempts: 0, error: `could not build the message: ${this.hide(String(error))}` });
      return;
    }
    const sending = this.post(message).then((result) => {
      this.finish({ kind: 'notice', channel: this.channel, incidentId: '', incidentIds: [], ...result });
    });
    this.notices.add(sending);
    void sending.finally(() => this.notices.delete(sending));
  }

  /** Sends the `doctor notify test` message now, outside the queue, with the usual retries. */
  async sendTest(): Promise<DeliveryResult> {
    let message: M;
    try {
      message = this.driver.buildTest(new Date(this.clock.now()).toISOString());
    } catch (error) {
      return this.finish({ ok: false, kind: 'test', channel: this.channel, incidentId: '', incidentIds: [], attempts: 0, error: `could not build the message: ${this.hide(String(error))}` });
    }
    // A person waits for this answer (`doctor notify test`): the retries' sleeps, which never keep
    // a finished process alive, must not let it end before the answer.
    const waiting = setInterval(() => undefined, 60_000);
    try {
      const result = await this.post(message);
      return this.finish({ kind: 'test', channel: this.channel, incidentId: '', incidentIds: [], ...result });
    } finally {
      clearInterval(waiting);
    }
  }

  async flush(timeoutMs: number): Promise<void> {
    if (this.notices.size > 0) await this.flushNotices(timeoutMs);
    if (!this.running && this.queue.length === 0 && this.overflow.length === 0) return;
    this.flushing++;
    // A digest waiting for the next minute goes out now: shutdown must not lose it.
    this.wake?.abort();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      this.flushing--;
    }
  }

  private async flushNotices(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([Promise.all([...this.notices]), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    } finally {
      clearTimeout(timer);
    }
  }

  stats(): ChannelStats {
    return {
      ...this.counters,
      queued: this.queue.length + this.overflow.length,
      lastError: this.last.error,
      lastErrorAt: this.last.errorAt,
      lastDeliveredAt: this.last.deliveredAt,
      failing: this.last.failing,
    };
  }

  private wants(record: AuditRecord): boolean {
    if (this.containers.size > 0 && !this.containers.has(record.container.name) && !this.containers.has(record.container.id)) return false;
    return shouldPostIncident(record, this.minSeverity);
  }

  /** The Notifier contract: never throw into the watch loop, whatever the record looks like. */
  private guard(record: AuditRecord, run: () => void): void {
    try {
      run();
    } catch (error) {
      const incidentId = String(record?.incidentId ?? '');
      this.finish({ ok: false, kind: 'incident', channel: this.channel, incidentId, incidentIds: [incidentId], attempts: 0, error: `could not queue: ${String(error)}` });
    }
  }

  private enqueue(job: Job): void {
    if (this.queue.length + this.overflow.length >= this.limits.maxQueue) {
      const oldest = this.overflow.length > 0 ? this.overflow.shift() : this.queue.shift();
      if (oldest) {
        this.counters.dropped++;
        this.report({ ok: false, kind: oldest.kind, channel: this.channel, ...ids([oldest]), attempts: 0, error: `dropped: more than ${this.limits.maxQueue} messages waiting` });
      }
    }
    this.queue.push(job);
    this.wake?.abort();
    if (!this.running) {
      this.running = true;
      // Start on a later tick so the caller's loop never runs any of the sending code.
      setImmediate(() => void this.work());
    }
  }

  private async work(): Promise<void> {
    try {
      while (this.queue.length > 0 || this.overflow.length > 0) {
        const now = this.clock.now();
        while (this.sentAt.length > 0 && (this.sentAt[0] ?? 0) <= now - MINUTE_MS) this.sentAt.shift();
        const room = this.sentAt.length < this.maxPerMinute;
        if (room && this.overflow.length > 0) {
          await this.deliverMany(this.overflow.splice(0));
        } else if (room) {
          const job = this.queue.shift();
          if (job) await this.deliverMany([job]);
        } else if (this.queue.length > 0) {
          if (this.overflow.length === 0) this.overflowSince = now;
          this.overflow.push(...this.queue.splice(0));
        } else if (this.flushing > 0 || (now - this.lastExtraAt >= MINUTE_MS && now - this.overflowSince >= this.limits.digestGatherMs)) {
          // The one message a minute allowed beyond the budget: the storm digest.
          this.lastExtraAt = now;
          await this.deliverMany(this.overflow.splice(0));
        } else {
          const roomAt = (this.sentAt[0] ?? now) + MINUTE_MS;
          await this.waitUntil(Math.min(roomAt, Math.max(this.lastExtraAt + MINUTE_MS, this.overflowSince + this.limits.digestGatherMs)));
        }
      }
    } finally {
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private async waitUntil(at: number): Promise<void> {
    this.wake = new AbortController();
    try {
      await this.sleep(Math.max(0, at - this.clock.now()), this.wake.signal);
    } finally {
      this.wake = null;
    }
  }

  private async deliverMany(jobs: Job[]): Promise<void> {
    const [first] = jobs;
    if (!first) return;
    const kind: DeliveryKind = jobs.length === 1 ? first.kind : 'digest';
    let message: M;
    try {
      message = jobs.length === 1 ? this.build(first) : this.buildDigest(jobs);
    } catch (error) {
      this.finish({ ok: false, kind, channel: this.channel, ...ids(jobs), attempts: 0, error: `could not build the message: ${this.hide(String(error))}` });
      return;
    }
    if (kind === 'digest') this.counters.digests++;
    this.sentAt.push(this.clock.now());
    const result = await this.post(message);
    this.finish({ kind, channel: this.channel, ...ids(jobs), ...result });
  }

  private build(job: Job): M {
    return job.kind === 'incident' ? this.driver.buildIncident(job.record) : this.driver.buildRecovery(job.record, job.recoveredAt);
  }

  private buildDigest(jobs: readonly Job[]): M {
    const records = jobs.flatMap((j) => (j.kind === 'incident' ? [j.record] : []));
    const recoveries: RecoveryEntry[] = jobs.flatMap((j) => (j.kind === 'recovery' ? [{ record: j.record, recoveredAt: j.recoveredAt }] : []));
    return this.driver.buildDigest(records, recoveries);
  }

  /** Sends one message with bounded retries; resolves with the final result, never throws. */
  private async post(message: M): Promise<Omit<DeliveryResult, 'kind' | 'incidentId' | 'incidentIds'>> {
    for (let attempt = 1; ; attempt++) {
      const gap = Math.max(this.lastPostAt + this.limits.paceMs, this.blockedUntil) - this.clock.now();
      if (gap > 0) await this.sleep(gap);
      const result = await this.attempt(message);
      this.lastPostAt = this.clock.now();
      if (result.ok) return { ok: true, attempts: attempt, status: result.status };
      const waitMs = result.waitMs === undefined ? undefined : Math.min(result.waitMs, this.limits.maxRetryAfterMs);
      if (waitMs !== undefined) this.blockedUntil = this.clock.now() + waitMs;
      if (!result.retryable || attempt >= this.limits.maxAttempts) {
        const given = result.retryable ? `gave up after ${attempt} attempts: ` : '';
        return { ok: false, attempts: attempt, error: this.hide(given + result.error), ...(result.status ? { status: result.status } : {}) };
      }
      if (waitMs === undefined) await this.sleep(this.backoff(attempt));
    }
  }

  /** One request under the per-request timeout; a driver that throws anyway is a failure, not a crash. */
  private async attempt(message: M): Promise<Attempt> {
    const signal = AbortSignal.timeout(this.limits.timeoutMs);
    try {
      const result = await this.driver.send(message, signal);
      if (!result.ok && result.status === 429 && result.waitMs === undefined) return { ...result, waitMs: this.backoff(1) };
      return result;
    } catch (error) {
      return { ok: false, retryable: false, error: this.hide(String(error)) };
    }
  }

  /** Exponential backoff with jitter, so several doctors on one channel do not retry in step. */
  private backoff(attempt: number): number {
    const ceiling = Math.min(this.limits.backoffMaxMs, this.limits.backoffBaseMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  private finish(result: DeliveryResult): DeliveryResult {
    const iso = new Date(this.clock.now()).toISOString();
    if (result.ok) {
      this.counters.delivered++;
      this.last.deliveredAt = iso;
      this.last.failing = false;
    } else {
      this.counters.failed++;
      this.last.error = result.error ?? 'unknown error';
      this.last.errorAt = iso;
      this.last.failing = true;
    }
    this.report(result);
    return result;
  }

  private report(result: DeliveryResult): void {
    try {
      this.options.onDelivery?.(result);
    } catch {
      // A failing observer must not stop delivery.
    }
  }
}

function ids(jobs: readonly Job[]): { incidentId: string; incidentIds: string[] } {
  const incidentIds = jobs.map((j) => j.record.incidentId);
  return { incidentId: incidentIds[0] ?? '', incidentIds };
}

function sleepUnref(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    // Waiting to send must not keep a finished process alive; `flush` holds it open when wanted.
    timer.unref();
    signal?.addEventListener('abort', done, { once: true });
  });
}
