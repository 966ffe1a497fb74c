/**
 * Posts incidents to a Slack incoming webhook without ever blocking the watch loop.
 *
 * The queue, pacing, retries and digest are the shared per-channel delivery queue
 * (../notify/delivery-queue.ts); this module is Slack's driver for it. Slack allows roughly one
 * post per second per webhook (https://docs.slack.dev/apis/web-api/rate-limits). `@slack/webhook`
 * 8 does not retry 429 and hides the response headers in its errors, so the driver reads
 * `Retry-After` through the client's `fetch` option and leaves retries to the queue.
 */
import { IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError, type FetchFunction } from '@slack/webhook';
import { buildDigestMessage, buildIncidentMessage, buildRecoveryMessage, type AlertOptions, type SlackMessage } from '../../core/alert-blocks.js';
import { summarizeTest } from '../../core/alert-summary.js';
import { ChannelNotifier, type Attempt, type ChannelDriver, type ChannelStats, type DeliveryQueueOptions } from '../notify/delivery-queue.js';
import { parseRetryAfter } from '../notify/http-send.js';
import { describeCause } from '../web/response-body.js';

export type { DeliveryKind, DeliveryResult } from '../notify/delivery-queue.js';
export { parseRetryAfter };

/** Counters for `/health` and `/metrics`. */
export type SlackNotifierStats = ChannelStats;

/** The shared queue's options (pacing, retries, digest), with the webhook and how alerts name this doctor. */
export interface SlackNotifierOptions extends Omit<DeliveryQueueOptions, 'channel' | 'hide'> {
  /** The incoming-webhook URL. A secret: it never appears in errors or stats. */
  readonly url: string;
  readonly hostLabel: string;
  readonly redact: (s: string) => string;
  /** Names the channel in results and the audit log. Default `slack`. */
  readonly channel?: string;
}

export class SlackNotifier extends ChannelNotifier<SlackMessage> {
  constructor(options: SlackNotifierOptions) {
    // An error as it may be shown (/health, the audit log, the feed): without the webhook URL, its
    // path or any segment of it (a server's error body may echo the path it was asked for), and redacted.
    const hide = (s: string): string => {
      let error = s.split(options.url).join('<webhook url>');
      for (const part of urlSecrets(options.url)) error = error.split(part).join('<webhook url>');
      return options.redact(error);
    };
    super(createSlackDriver(options), { ...options, channel: options.channel ?? 'slack', hide });
  }
}

/** Slack's driver: Block Kit messages from alert-blocks.ts, posted by the official client. */
export function createSlackDriver(options: AlertOptions & { readonly url: string; readonly timeoutMs?: number }): ChannelDriver<SlackMessage> {
  const alert: AlertOptions = { hostLabel: options.hostLabel, redact: options.redact };
  let lastRetryAfter: string | null = null;
  const capture: FetchFunction = async (url, init) => {
    const response = await fetch(url, init);
    lastRetryAfter = response.headers.get('retry-after');
    return response;
  };
  // retries: 0 (the client's default, made explicit): retries are the queue's, because only we see Retry-After.
  const webhook = new IncomingWebhook(options.url, { timeout: options.timeoutMs ?? 10_000, fetch: capture, retryConfig: { retries: 0 } });
  const hideUrl = (s: string): string => s.split(options.url).join('<webhook url>');
  return {
    buildIncident: (record) => buildIncidentMessage(record, alert),
    buildRecovery: (record, at) => buildRecoveryMessage(record, at, alert),
    buildDigest: (records, recoveries) => buildDigestMessage(records, { ...alert, recoveries }),
    buildTest: (now) => {
      const s = summarizeTest(now, alert);
      return { text: `✅ ${s.title}`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `✅ *${s.title}*\n${s.fields[0]?.value ?? ''}` } }] };
    },
    // The report digest: mrkdwn already (`*bold*`, bullets); `&`, `<`, `>` escaped as Slack requires.
    buildNotice: (title, markdown) => ({ text: title, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `*${slackEscape(title)}*\n${slackEscape(markdown)}`.slice(0, 3000) } }] }),
    async send(message): Promise<Attempt> {
      lastRetryAfter = null;
      try {
        await webhook.send({ text: message.text, blocks: [...message.blocks] });
        return { ok: true, status: 200 };
      } catch (error) {
        if (error instanceof IncomingWebhookHTTPError) {
          const status = error.statusCode;
          const text = `HTTP ${status} ${error.body.slice(0, 200).trim() || error.statusMessage}`;
          if (status === 429) {
            const waitMs = parseRetryAfter(lastRetryAfter, Date.now());
            return { ok: false, retryable: true, error: text, status, ...(waitMs !== null ? { waitMs } : {}) };
          }
          // Other 4xx answers (invalid_payload, no_text, invalid_token, no_service, channel_is_archived)
          // mean the message or the webhook is wrong: the same request would fail again.
          return { ok: false, retryable: status >= 500, error: text, status };
        }
        if (error instanceof IncomingWebhookRequestError) {
          return { ok: false, retryable: true, error: hideUrl(`request failed: ${describeCause(error.original)}`) };
        }
        return { ok: false, retryable: false, error: hideUrl(String(error)) };
      }
    },
  };
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

function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
