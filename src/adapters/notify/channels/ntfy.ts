/**
 * ntfy (https://ntfy.sh or self-hosted): a JSON publish to the server root
 * (https://docs.ntfy.sh/publish/#publish-as-json) with topic, title, message, priority and tags.
 * URL: `ntfy://[user:password@]host[:port]/topic` or `ntfy://:TOKEN@host/topic` (an access
 * token), as in shoutrrr; `?scheme=http` for a plain-HTTP server.
 * Messages over 4096 bytes become attachments on ntfy's side (https://docs.ntfy.sh/config/#message-limits), so text stays under that.
 */
import { cutText, renderPlainText, type AlertSummary, type AlertTone } from '../../../core/alert-summary.js';
import { ConfigError } from '../../../core/errors.js';
import { decode } from '../channel-url.js';
import { endpoint, pathSegments, summaryDriver, type ChannelFactory } from '../channel-driver.js';
import type { HttpRequest } from '../http-send.js';

/** Characters (not bytes): 4096 bytes leaves room for about 1300 characters of worst-case UTF-8. */
export const NTFY_LIMITS = { title: 250, message: 3800 } as const;

/** ntfy priorities: 5 max/urgent, 4 high, 3 default, 2 low (https://docs.ntfy.sh/publish/#message-priority). */
export const NTFY_PRIORITY: Record<AlertTone, number> = { high: 5, medium: 4, low: 3, ok: 2 };
const NTFY_TAGS: Record<AlertTone, string> = { high: 'rotating_light', medium: 'warning', low: 'information_source', ok: 'white_check_mark' };

export function toNtfyBody(s: AlertSummary, topic: string): Record<string, unknown> {
  return {
    topic,
    title: cutText(s.title, NTFY_LIMITS.title),
    message: fitBytes(renderPlainText(s, NTFY_LIMITS.message), 4000),
    priority: NTFY_PRIORITY[s.tone],
    tags: [NTFY_TAGS[s.tone], 'container-doctor', ...s.containers.slice(0, 3)],
  };
}

/** Cuts text so its UTF-8 form fits `maxBytes` (ntfy counts bytes). */
export function fitBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let max = text.length;
  while (max > 0 && Buffer.byteLength(cutText(text, max)) > maxBytes) max = Math.floor(max * 0.9);
  return cutText(text, max);
}

export const ntfyChannel: ChannelFactory = (target, ctx) => {
  const [topic, ...rest] = pathSegments(target);
  if (!topic || rest.length > 0) throw new ConfigError(`NOTIFY_URLS: ${target.label} needs one topic: ntfy://host/topic`);
  const user = decode(target.url.username);
  const password = decode(target.url.password);
  const headers: Record<string, string> = {};
  if (password && !user) headers.authorization = `Bearer ${password}`;
  else if (user) headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const url = endpoint(target, '/');
  const render = (s: AlertSummary): HttpRequest => ({ url, headers, body: toNtfyBody(s, topic) });
  return { paceMs: 1000, secrets: Object.values(headers), driver: summaryDriver(ctx, render) };
};
