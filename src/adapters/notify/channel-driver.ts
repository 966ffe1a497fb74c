/**
 * What a channel module provides, and the one way most of them are built: summarise the record
 * (alert-summary.ts), convert the summary to the service's request, send it over HTTP.
 */
import {
  summarizeDigest,
  summarizeIncident,
  summarizeNotice,
  summarizeRecovery,
  summarizeTest,
  type AlertSummary,
  type SummaryOptions,
} from '../../core/alert-summary.js';
import type { ChannelUrl } from './channel-url.js';
import type { Attempt, ChannelDriver } from './delivery-queue.js';
import { sendHttp, type HttpRequest, type HttpSendOptions } from './http-send.js';

export interface ChannelContext extends SummaryOptions {
  /** Replaces `fetch` (tests). */
  readonly fetch?: typeof fetch;
}

export interface ChannelSetup {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each channel has its own message type
  readonly driver: ChannelDriver<any>;
  /** The service's pace: the gap between two requests that keeps inside its rate limit. */
  readonly paceMs: number;
  /** Derived secrets (the real endpoint URL) beyond those in the channel URL itself. */
  readonly secrets?: readonly string[];
}

/** Builds one channel from its parsed URL; throws ConfigError naming what is missing. */
export type ChannelFactory = (target: ChannelUrl, ctx: ChannelContext) => ChannelSetup;

/** A driver that converts the channel-neutral summary with `render` and posts the result. */
export function summaryDriver(ctx: ChannelContext, render: (summary: AlertSummary) => HttpRequest, opts: HttpSendOptions = {}): ChannelDriver<HttpRequest> {
  return {
    buildIncident: (record) => render(summarizeIncident(record, ctx)),
    buildRecovery: (record, at) => render(summarizeRecovery(record, at, ctx)),
    buildDigest: (records, recoveries) => render(summarizeDigest(records, recoveries, ctx)),
    buildTest: (now) => render(summarizeTest(now, ctx)),
    buildNotice: (title, markdown, now) => render(summarizeNotice(title, markdown, now, ctx)),
    send: (request, signal): Promise<Attempt> => sendHttp(request, signal, { ...(ctx.fetch ? { fetch: ctx.fetch } : {}), ...opts }),
  };
}

/** `host[:port]` plus a path, as an http(s) URL string. */
export function endpoint(target: ChannelUrl, path: string): string {
  const base = `${target.protocol}//${target.url.host}`;
  return `${base}${path.startsWith('/') ? '' : '/'}${path}`;
}

/** Non-empty path segments of the channel URL, decoded. */
export function pathSegments(target: ChannelUrl): string[] {
  return target.url.pathname
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}
