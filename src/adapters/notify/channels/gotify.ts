/**
 * Gotify: `POST /message` with the application token in `X-Gotify-Key`
 * (https://gotify.net/docs/pushmsg), priority 0-10, markdown via the `client::display` extra
 * (https://gotify.net/docs/msgextras).
 * URL: `gotify://host[:port][/subpath]/APP_TOKEN`, as in shoutrrr; `?scheme=http` for plain HTTP.
 */
import { cutText, renderPlainText, type AlertSummary, type AlertTone } from '../../../core/alert-summary.js';
import { ConfigError } from '../../../core/errors.js';
import { endpoint, pathSegments, summaryDriver, type ChannelFactory } from '../channel-driver.js';
import type { HttpRequest } from '../http-send.js';

/** Gotify stores any length; phones show a few screens at most. */
export const GOTIFY_LIMITS = { title: 250, message: 8000 } as const;
export const GOTIFY_PRIORITY: Record<AlertTone, number> = { high: 8, medium: 5, low: 2, ok: 2 };

export function toGotifyBody(s: AlertSummary): Record<string, unknown> {
  return {
    title: cutText(s.title, GOTIFY_LIMITS.title),
    message: renderPlainText(s, GOTIFY_LIMITS.message),
    priority: GOTIFY_PRIORITY[s.tone],
    extras: { 'client::display': { contentType: 'text/plain' } },
  };
}

export const gotifyChannel: ChannelFactory = (target, ctx) => {
  const segments = pathSegments(target);
  const token = segments.pop();
  if (!token) throw new ConfigError(`NOTIFY_URLS: ${target.label} needs the application token: gotify://host/APP_TOKEN`);
  const url = endpoint(target, `${segments.map((s) => `/${encodeURIComponent(s)}`).join('')}/message`);
  const render = (s: AlertSummary): HttpRequest => ({ url, headers: { 'x-gotify-key': token }, body: toGotifyBody(s) });
  return { paceMs: 250, secrets: [token], driver: summaryDriver(ctx, render) };
};
