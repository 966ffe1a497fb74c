/**
 * Posts incidents to a Slack incoming webhook without ever blocking the watch loop.
 *
 * `incident()` and `recovered()` only enqueue; one worker posts in order, about one message a
 * second (Slack allows roughly one post per second per webhook:
 * https://docs.slack.dev/apis/web-api/rate-limits). `@slack/webhook` 8 does not retry 429 and
 * hides the response headers in its errors, so this class reads `Retry-After` through the
 * client's `fetch` option and runs its own bounded retries.
 */
import { IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError, type FetchFunction } from '@slack/webhook';
import {
  buildDigestMessage,
  buildIncidentMessage,
  buildRecoveryMessage,
  shouldPostIncident,
  type AlertOptions,
  type RecoveryEntry,
  type SlackMessage,
} from '../../core/alert-blocks.js';
import type { AuditRecord, Severity } from '../../core/types.js';
import type { Clock, Notifier } from '../../pipeline/ports.js';

export type DeliveryKind = 'incident' | 'recovery' | 'digest';

/** What became of one Slack message; handed to `onDelivery` for stats and the audit log. */
export interface DeliveryResult {
  readonly ok: boolean;
  readonly kind: DeliveryKind;
  /** The (first) incident the message was about. */
  readonly incidentId: string;
  /** Every incident the message covered: one, or many for a digest. */
  readonly incidentIds: readonly string[];
  /** HTTP requests made; 0 when the message was dropped before sending. */
  readonly attempts: number;
  /** Why it was not delivered (never contains the webhook URL). */
  readonly error?: string;
  /** Last HTTP status, when a response arrived. */
  readonly status?: number;
}

/** Counters for `/health` and `/metrics`. */
export interface SlackNotifierStats {
  readonly delivered: number;
  readonly failed: number;
  readonly dropped: number;
  /** Incidents below the minimum severity, not posted. */
  readonly skipped: number;
  readonly digests: number;
  readonly queued: number;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  readonly lastDeliveredAt: string | null;
  /** The most recent message was given up on: Slack is failing. */
  readonly failing: boolean;
}

export interface SlackNotifierOptions {
  /** The incoming-webhook URL. A secret: it never appears in errors or stats. */
  readonly url: string;
  readonly hostLabel: string;
  readonly redact: (s: string) => string;
  /** Incidents below this are recorded but not posted, unless the container is down or escalated. Default `medium`. */
  readonly minSeverity?: Severity;
  /** More messages than this in a minute are collapsed into one digest. Default 10. */
  readonly maxPerMinute?: number;
  readonly onDelivery?: (result: DeliveryResult) => void;
  readonly clock?: Clock;
  /** Resolves after `ms`, or early when `signal` aborts. Injected by tests to stay fast. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Messages waiting beyond this drop the oldest. Default 500. */
  readonly maxQueue?: number;
  /** HTTP requests per message before giving up. Default 5. */
  readonly maxAttempts?: number;
  /** Per-request timeout. Default 10 s. */
  readonly timeoutMs?: number;
  /** Minimum gap between posts. Default 1 s. */
  readonly paceMs?: number;
  /**
   * Once the minute's budget is spent, wait this long for more of the storm before posting the
   * digest, so it lists the storm rather than its first straggler. Default 5 s.
   */
  readonly digestGatherMs?: number;
  /** First retry delay after a 5xx or network error; doubles each attempt. Default 1 s. */
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** Upper bound on a 429's `Retry-After`, so a bad header cannot stall alerts for hours. Default 5 min. */
  readonly maxRetryAfterMs?: number;
}

type Job =
  | { readonly kind: 'incident'; readonly record: AuditRecord }
  | { readonly kind: 'recovery'; readonly record: AuditRecord; readonly recoveredAt: string };

type Attempt =
  | { readonly ok: true; readonly status: number }
  | { readonly ok: false; readonly retryable: boolean; readonly error: string; readonly status?: number; readonly waitMs?: number };

const MINUTE_MS = 60_000;

export class SlackNotifier implements Notifier {
  private readonly webhook: IncomingWebhook;
  private readonly alert: AlertOptions;
  private readonly minSeverity: Severity;
  private readonly maxPerMinute: number;
  private readonly clock: Clock;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly limits: {
    maxQueue: number;
    maxAttempts: number;
    paceMs: number;
    digestGatherMs: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    maxRetryAfterMs: number;
  };

  private readonly queue: Job[] = [];
  /** Jobs that found no room in the minute; they go out together as one digest. */
  private readonly overflow: Job[] = [];
  /** When the oldest job in `overflow` got there. */
  private overflowSince = 0;
  private readonly sentAt: number[] = [];
  private lastExtraAt = Number.NEGATIVE_INFINITY;
  private lastPostAt = Number.NEGATIVE_INFINITY;
  private blockedUntil = Number.NEGATIVE_INFINITY;
  private lastRetryAfter: string | null = null;
  private running = false;
  private flushing = 0;
  private wake: AbortController | null = null;
  private idleWaiters: Array<() => void> = [];
  private counters = { delivered: 0, failed: 0, dropped: 0, skipped: 0, digests: 0 };
  private last = { error: null as string | null, errorAt: null as string | null, deliveredAt: null as string | null, failing: false };

  constructor(private readonly options: SlackNotifierOptions) {
    this.alert = { hostLabel: options.hostLabel, redact: options.redact };
    this.minSeverity = options.minSeverity ?? 'medium';
    this.maxPerMinute = Math.max(1, options.maxPerMinute ?? 10);
    this.clock = options.clock ?? { now: () => Date.now() };
    this.sleep = options.sleep ?? sleepUnref;
    this.limits = {
      maxQueue: Math.max(1, options.maxQueue ?? 500),
      maxAttempts: Math.max(1, options.maxAttempts ?? 5),
      paceMs: options.paceMs ?? 1000,
      digestGatherMs: options.digestGatherMs ?? 5000,
      backoffBaseMs: options.backoffBaseMs ?? 1000,
      backoffMaxMs: options.backoffMaxMs ?? 30_000,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 5 * MINUTE_MS,
    };
    const capture: FetchFunction = async (url, init) => {
      const response = await fetch(url, init);
      this.lastRetryAfter = response.headers.get('retry-after');
      return response;
    };
    // retries: 0 (the client's default, made explicit): retries are ours, because only we see Retry-After.
    this.webhook = new IncomingWebhook(options.url, { timeout: options.timeoutMs ?? 10_000, fetch: capture, retryConfig: { retries: 0 } });
  }

  incident(record: AuditRecord): void {
    this.guard(record, () => {
      if (!shouldPostIncident(record, this.minSeverity)) {
        this.counters.skipped++;
        return;
      }
      this.enqueue({ kind: 'incident', record });
    });
  }

  /** Posts a recovery only for incidents that were posted in the first place. */
  recovered(record: AuditRecord, recoveredAt: string): void {
    this.guard(record, () => {
      if (shouldPostIncident(record, this.minSeverity)) this.enqueue({ kind: 'recovery', record, recoveredAt });
    });
  }

  async flush(timeoutMs: number): Promise<void> {
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

  stats(): SlackNotifierStats {
    return {
      ...this.counters,
      queued: this.queue.length + this.overflow.length,
      lastError: this.last.error,
      lastErrorAt: this.last.errorAt,
      lastDeliveredAt: this.last.deliveredAt,
      failing: this.last.failing,
    };
  }

  /** The Notifier contract: never throw into the watch loop, whatever the record looks like. */
  private guard(record: AuditRecord, run: () => void): void {
    try {
      run();
    } catch (error) {
      const incidentId = String(record?.incidentId ?? '');
      this.finish({ ok: false, kind: 'incident', incidentId, incidentIds: [incidentId], attempts: 0, error: `could not queue: ${String(error)}` });
    }
  }

  private enqueue(job: Job): void {
    if (this.queue.length + this.overflow.length >= this.limits.maxQueue) {
      const oldest = this.overflow.length > 0 ? this.overflow.shift() : this.queue.shift();
      if (oldest) {
        this.counters.dropped++;
        this.report({ ok: false, kind: oldest.kind, ...ids([oldest]), attempts: 0, error: `dropped: more than ${this.limits.maxQueue} messages waiting` });
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
    let message: SlackMessage;
    try {
      message = jobs.length === 1 ? this.build(first) : this.buildDigest(jobs);
    } catch (error) {
      this.finish({ ok: false, kind, ...ids(jobs), attempts: 0, error: `could not build the message: ${String(error)}` });
      return;
    }
    if (kind === 'digest') this.counters.digests++;
    this.sentAt.push(this.clock.now());
    const result = await this.post(message);
    this.finish({ kind, ...ids(jobs), ...result });
  }

  private build(job: Job): SlackMessage {
    return job.kind === 'incident' ? buildIncidentMessage(job.record, this.alert) : buildRecoveryMessage(job.record, job.recoveredAt, this.alert);
  }

  private buildDigest(jobs: readonly Job[]): SlackMessage {
    const records = jobs.flatMap((j) => (j.kind === 'incident' ? [j.record] : []));
    const recoveries: RecoveryEntry[] = jobs.flatMap((j) => (j.kind === 'recovery' ? [{ record: j.record, recoveredAt: j.recoveredAt }] : []));
    return buildDigestMessage(records, { ...this.alert, recoveries });
  }

  /** Sends one message with bounded retries; resolves with the final result, never throws. */
  private async post(message: SlackMessage): Promise<Omit<DeliveryResult, 'kind' | 'incidentId' | 'incidentIds'>> {
    for (let attempt = 1; ; attempt++) {
      const gap = Math.max(this.lastPostAt + this.limits.paceMs, this.blockedUntil) - this.clock.now();
      if (gap > 0) await this.sleep(gap);
      const result = await this.attempt(message);
      this.lastPostAt = this.clock.now();
      if (result.ok) return { ok: true, attempts: attempt, status: result.status };
      if (result.waitMs !== undefined) this.blockedUntil = this.clock.now() + result.waitMs;
      if (!result.retryable || attempt >= this.limits.maxAttempts) {
        const given = result.retryable ? `gave up after ${attempt} attempts: ` : '';
        return { ok: false, attempts: attempt, error: given + result.error, ...(result.status ? { status: result.status } : {}) };
      }
      if (result.waitMs === undefined) await this.sleep(this.backoff(attempt));
    }
  }

  private async attempt(message: SlackMessage): Promise<Attempt> {
    this.lastRetryAfter = null;
    try {
      await this.webhook.send({ text: message.text, blocks: [...message.blocks] });
      return { ok: true, status: 200 };
    } catch (error) {
      if (error instanceof IncomingWebhookHTTPError) {
        const status = error.statusCode;
        const error_ = `HTTP ${status} ${error.body.slice(0, 200).trim() || error.statusMessage}`;
        if (status === 429) {
          const waitMs = parseRetryAfter(this.lastRetryAfter, this.clock.now()) ?? this.backoff(1);
          return { ok: false, retryable: true, error: error_, status, waitMs: Math.min(waitMs, this.limits.maxRetryAfterMs) };
        }
        // Other 4xx answers (invalid_payload, no_text, invalid_token, no_service, channel_is_archived)
        // mean the message or the webhook is wrong: the same request would fail again.
        return { ok: false, retryable: status >= 500, error: error_, status };
      }
      if (error instanceof IncomingWebhookRequestError) {
        return { ok: false, retryable: true, error: this.hideUrl(`request failed: ${describeCause(error.original)}`) };
      }
      return { ok: false, retryable: false, error: this.hideUrl(String(error)) };
    }
  }

  /** Exponential backoff with jitter, so several doctors on one webhook do not retry in step. */
  private backoff(attempt: number): number {
    const ceiling = Math.min(this.limits.backoffMaxMs, this.limits.backoffBaseMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  private finish(given: DeliveryResult): void {
    const result = this.scrubbed(given);
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
  }

  private report(result: DeliveryResult): void {
    try {
      this.options.onDelivery?.(this.scrubbed(result));
    } catch {
      // A failing observer must not stop delivery.
    }
  }

  private hideUrl(s: string): string {
    return s.split(this.options.url).join('<webhook url>');
  }

  /**
   * An error as it may be shown (/health, the audit log, the feed): without the webhook URL, its
   * path or any segment of it (a server's error body may echo the path it was asked for), and
   * redacted like container output.
   */
  private scrubbed(result: DeliveryResult): DeliveryResult {
    if (result.error === undefined) return result;
    let error = this.hideUrl(result.error);
    for (const part of urlSecrets(this.options.url)) error = error.split(part).join('<webhook url>');
    return { ...result, error: this.options.redact(error) };
  }
}

/** The webhook URL's path and its longer segments (`/services/T…/B…/<token>`): each is secret on its own. */
function urlSecrets(url: string): string[] {
  let pathname: string;
  try {
    pathname = new URL(url).pathname;
  } catch {
    return [];
  }
  const parts = [pathname, decodeURIComponent(pathname), ...pathname.split('/').filter((seg) => seg.length >= 8)];
  return [...new Set(parts.filter((p) => p.length > 1))].sort((a, b) => b.length - a.length);
}

function ids(jobs: readonly Job[]): { incidentId: string; incidentIds: string[] } {
  const incidentIds = jobs.map((j) => j.record.incidentId);
  return { incidentId: incidentIds[0] ?? '', incidentIds };
}

/** `Retry-After` is seconds or an HTTP date (RFC 9110 section 10.2.3). */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null || value.trim() === '') return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

/** Node's fetch reports `fetch failed` and puts the useful part (ECONNREFUSED, timeout) in `cause`. */
function describeCause(error: Error): string {
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const detail = cause && typeof cause === 'object' ? (typeof cause.code === 'string' ? cause.code : String(cause.message ?? '')) : '';
  return detail ? `${error.message} (${detail})` : error.message;
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
