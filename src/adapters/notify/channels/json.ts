/**
 * A generic webhook: `json://host[:port]/path` posts over HTTP, `jsons://` over HTTPS, with
 * `user:password@` as basic auth. The body (documented in README, "Generic webhook") is version 1
 * of the doctor's alert: the summary every channel renders, plus the audit records it is about.
 */
import { renderPlainText, type AlertSummary } from '../../../core/alert-summary.js';
import { summarizeDigest, summarizeIncident, summarizeNotice, summarizeRecovery, summarizeTest } from '../../../core/alert-summary.js';
import type { AuditRecord } from '../../../core/types.js';
import { decode } from '../channel-url.js';
import { endpoint, type ChannelFactory } from '../channel-driver.js';
import type { ChannelDriver } from '../delivery-queue.js';
import { sendHttp, type HttpRequest } from '../http-send.js';

/** The body of a json:// post. */
export interface WebhookBody {
  readonly version: 1;
  readonly kind: AlertSummary['kind'];
  /** `high`, `medium`, `low`, or `ok` for recoveries and tests. */
  readonly severity: AlertSummary['tone'];
  readonly title: string;
  /** The whole alert as plain text, at most 16000 characters. */
  readonly text: string;
  readonly host: string;
  readonly time: string;
  readonly incidentIds: readonly string[];
  readonly containers: readonly string[];
  readonly fields: AlertSummary['fields'];
  readonly lines: readonly string[];
  /** The audit records (incident and recovery messages; one per incident for a digest), redacted. */
  readonly records: readonly AuditRecord[];
  /** For `recovery`: when the container was back up. */
  readonly recoveredAt?: string;
}

export const JSON_LIMITS = { text: 16_000, records: 50 } as const;

export function toWebhookBody(s: AlertSummary, host: string, records: readonly AuditRecord[], redact: (s: string) => string, recoveredAt?: string): WebhookBody {
  return {
    version: 1,
    kind: s.kind,
    severity: s.tone,
    title: s.title,
    text: renderPlainText(s, JSON_LIMITS.text, { withTitle: true }),
    host,
    time: s.time,
    incidentIds: s.incidentIds,
    containers: s.containers,
    fields: s.fields,
    lines: s.lines,
    records: records.slice(0, JSON_LIMITS.records).map((r) => redactDeep(r, redact)),
    ...(recoveredAt ? { recoveredAt } : {}),
  };
}

/** Every string in a record goes through the redactor: the logs in it may hold secrets. */
function redactDeep<T>(value: T, redact: (s: string) => string): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, redact)])) as T;
  }
  return value;
}

export const jsonChannel: ChannelFactory = (target, ctx) => {
  const user = decode(target.url.username);
  const password = decode(target.url.password);
  const headers: Record<string, string> = user || password ? { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } : {};
  const query = target.url.searchParams.toString();
  const url = `${endpoint(target, target.url.pathname)}${query ? `?${query}` : ''}`;
  const post = (body: WebhookBody): HttpRequest => ({ url, headers, body });
  const driver: ChannelDriver<HttpRequest> = {
    buildIncident: (r) => post(toWebhookBody(summarizeIncident(r, ctx), ctx.hostLabel, [r], ctx.redact)),
    buildRecovery: (r, at) => post(toWebhookBody(summarizeRecovery(r, at, ctx), ctx.hostLabel, [r], ctx.redact, at)),
    buildDigest: (rs, rec) => post(toWebhookBody(summarizeDigest(rs, rec, ctx), ctx.hostLabel, [...rs, ...rec.map((e) => e.record)], ctx.redact)),
    buildTest: (now) => post(toWebhookBody(summarizeTest(now, ctx), ctx.hostLabel, [], ctx.redact)),
    buildNotice: (title, markdown, now) => post(toWebhookBody(summarizeNotice(title, markdown, now, ctx), ctx.hostLabel, [], ctx.redact)),
    send: (request, signal) => sendHttp(request, signal, ctx.fetch ? { fetch: ctx.fetch } : {}),
  };
  return { paceMs: 250, secrets: [url, ...Object.values(headers)], driver };
};
