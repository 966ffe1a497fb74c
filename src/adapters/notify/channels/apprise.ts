/**
 * An Apprise API server (https://github.com/caronc/apprise-api), which fans out to a hundred more
 * services: `POST /notify/{KEY}` with `{title, body, type, format}` for a saved configuration.
 * URL: `apprise://host[:port]/KEY[?tags=a,b]` over HTTP, `apprises://` over HTTPS.
 * `type` is info, success, warning or failure (Apprise's notification types).
 */
import { cutText, renderPlainText, type AlertSummary, type AlertTone } from '../../../core/alert-summary.js';
import { ConfigError } from '../../../core/errors.js';
import { endpoint, pathSegments, summaryDriver, type ChannelFactory } from '../channel-driver.js';
import type { HttpRequest } from '../http-send.js';

/** Apprise cuts per service itself; this keeps the request reasonable. */
export const APPRISE_LIMITS = { title: 250, body: 10_000 } as const;
const TONE_TYPE: Record<AlertTone, string> = { high: 'failure', medium: 'warning', low: 'info', ok: 'success' };

export function toAppriseBody(s: AlertSummary, tags: string | null): Record<string, unknown> {
  return {
    title: cutText(s.title, APPRISE_LIMITS.title),
    body: renderPlainText(s, APPRISE_LIMITS.body),
    type: TONE_TYPE[s.tone],
    format: 'text',
    ...(tags ? { tag: tags } : {}),
  };
}

export const appriseChannel: ChannelFactory = (target, ctx) => {
  const segments = pathSegments(target);
  const key = segments.pop();
  if (!key) throw new ConfigError(`NOTIFY_URLS: ${target.label} needs a configuration key: apprise://host:8000/KEY`);
  const prefix = segments.map((s) => `/${encodeURIComponent(s)}`).join('');
  const url = endpoint(target, `${prefix}/notify/${encodeURIComponent(key)}`);
  const tags = target.url.searchParams.get('tags');
  const render = (s: AlertSummary): HttpRequest => ({ url, body: toAppriseBody(s, tags) });
  return { paceMs: 500, secrets: [key, url], driver: summaryDriver(ctx, render) };
};
