/**
 * Discord incoming webhooks: one embed, coloured by severity.
 * URL: `discord://TOKEN@WEBHOOK_ID` (shoutrrr's form) or the webhook URL with `discord://` in
 * place of `https://` (`discord://discord.com/api/webhooks/ID/TOKEN`).
 * Limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits): title
 * 256, description 4096, 25 fields of name 256 / value 1024, footer 2048, 6000 characters in all.
 * A 429 carries `Retry-After` and `retry_after` (seconds) in its JSON body.
 */
import { cutText, renderPlainText, type AlertSummary, type AlertTone, TONE_MARKER } from '../../../core/alert-summary.js';
import { ConfigError } from '../../../core/errors.js';
import { endpoint, pathSegments, summaryDriver, type ChannelFactory } from '../channel-driver.js';
import type { HttpRequest } from '../http-send.js';

export const DISCORD_LIMITS = { title: 256, description: 4096, fields: 25, fieldName: 256, fieldValue: 1024, footer: 2048, total: 6000 } as const;

/** Slack's palette, so the same severity looks the same everywhere. */
export const TONE_COLOR: Record<AlertTone, number> = { high: 0xe01e5a, medium: 0xf2a100, low: 0xecb22e, ok: 0x2eb67d };

export function toDiscordBody(s: AlertSummary): { username: string; embeds: unknown[] } {
  const title = cutText(`${TONE_MARKER[s.tone]} ${s.title}`, DISCORD_LIMITS.title);
  const footer = cutText(s.footer, DISCORD_LIMITS.footer);
  const fields = s.fields.slice(0, DISCORD_LIMITS.fields).map((f) => ({
    name: cutText(f.name, DISCORD_LIMITS.fieldName),
    value: cutText(f.value || '-', DISCORD_LIMITS.fieldValue),
    inline: f.name === 'Severity' || f.name === 'Container',
  }));
  const used = title.length + footer.length + fields.reduce((n, f) => n + f.name.length + f.value.length, 0);
  const room = Math.max(0, Math.min(DISCORD_LIMITS.description, DISCORD_LIMITS.total - used - 16));
  const code = s.lines.length > 0 ? s.lines.map((l) => l.replaceAll('```', '`\u200b``')) : [];
  const description = fitDescription(s.headline ?? '', code, room);
  const time = Date.parse(s.time);
  return {
    username: 'container-doctor',
    embeds: [
      {
        title,
        ...(description ? { description } : {}),
        color: TONE_COLOR[s.tone],
        fields,
        footer: { text: footer },
        ...(Number.isNaN(time) ? {} : { timestamp: new Date(time).toISOString() }),
      },
    ],
  };
}

function fitDescription(headline: string, lines: readonly string[], max: number): string {
  if (lines.length === 0) return cutText(headline, max);
  const fence = '```';
  const head = headline ? `${cutText(headline, Math.floor(max / 3))}\n` : '';
  const budget = Math.max(0, max - head.length - 2 * fence.length - 2);
  return `${head}${fence}\n${renderPlainText({ ...emptySummary, lines }, budget).trim()}${fence}`;
}

const emptySummary: AlertSummary = { kind: 'incident', tone: 'ok', title: '', fields: [], lines: [], footer: '', incidentIds: [], containers: [], time: '' };

export const discordChannel: ChannelFactory = (target, ctx) => {
  const segments = pathSegments(target);
  let url: string;
  if (target.url.username && segments.length === 0) {
    // shoutrrr: discord://token@id
    url = `https://discord.com/api/webhooks/${encodeURIComponent(target.url.hostname)}/${target.url.username}`;
  } else if (segments.length >= 4 && segments[0] === 'api' && segments[1] === 'webhooks') {
    url = endpoint(target, `/api/webhooks/${segments.slice(2).map(encodeURIComponent).join('/')}`);
  } else {
    throw new ConfigError(`NOTIFY_URLS: ${target.label} needs a webhook: discord://TOKEN@WEBHOOK_ID or discord://discord.com/api/webhooks/ID/TOKEN`);
  }
  const query = target.url.searchParams.toString();
  const full = query ? `${url}?${query}` : url;
  const render = (s: AlertSummary): HttpRequest => ({ url: full, body: toDiscordBody(s) });
  return {
    // Discord allows about 30 messages a minute per webhook (https://discord.com/developers/docs/topics/rate-limits).
    paceMs: 2000,
    secrets: [full],
    driver: summaryDriver(ctx, render, { retryAfterFromBody: (body) => secondsField(body, 'retry_after') }),
  };
};

export function secondsField(body: unknown, key: string): number | undefined {
  const v = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined;
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v * 1000) : undefined;
}
