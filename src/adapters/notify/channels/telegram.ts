/**
 * Telegram through the Bot API's `sendMessage` (https://core.telegram.org/bots/api#sendmessage),
 * as HTML (https://core.telegram.org/bots/api#html-style): text up to 4096 characters.
 * URL: `telegram://BOT_TOKEN@telegram?chats=CHAT_ID[,CHAT_ID]` as in shoutrrr; a host other
 * than `telegram` is a self-hosted Bot API server (https://github.com/tdlib/telegram-bot-api).
 * Errors come as `{ok: false, error_code, description, parameters: {retry_after}}`.
 */
import { cutText, fitSections, TONE_MARKER, type AlertSummary } from '../../../core/alert-summary.js';
import { ConfigError } from '../../../core/errors.js';
import { decode } from '../channel-url.js';
import { endpoint, type ChannelFactory } from '../channel-driver.js';
import type { Attempt, ChannelDriver } from '../delivery-queue.js';
import { sendHttp } from '../http-send.js';
import { summarizeDigest, summarizeIncident, summarizeNotice, summarizeRecovery, summarizeTest } from '../../../core/alert-summary.js';

export const TELEGRAM_LIMITS = { text: 4096 } as const;

/** Telegram allows about one message a second per chat and 20 a minute per group (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this). */
const PACE_MS = 3000;

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The message text, in Telegram's HTML subset, within 4096 characters (counted before entity parsing, to be safe). */
export function toTelegramText(s: AlertSummary): string {
  const title = `<b>${escapeHtml(cutText(`${TONE_MARKER[s.tone]} ${s.title}`, 300))}</b>`;
  const head = [title, ...(s.headline ? [escapeHtml(cutText(s.headline, 1000))] : []), ...s.fields.map((f) => `<b>${escapeHtml(f.name)}:</b> ${escapeHtml(cutText(f.value, 1200))}`)];
  const lines = s.lines.map((l) => `<code>${escapeHtml(cutText(l, 500))}</code>`);
  // Cutting inside a tag or an entity would make Telegram reject the message: every piece is cut
  // before it is escaped and wrapped, and the pieces are fitted whole.
  return fitSections(head, lines, `<i>${escapeHtml(cutText(s.footer, 600))}</i>`, TELEGRAM_LIMITS.text, { atomic: true });
}

interface TelegramMessage {
  readonly text: string;
  /** Chats still to reach: a retry resends only to the chats that failed. */
  readonly pending: Set<string>;
}

export const telegramChannel: ChannelFactory = (target, ctx) => {
  const token = `${decode(target.url.username)}:${decode(target.url.password)}`;
  if (!/^\d+:[A-Za-z0-9_-]+$/.test(token)) throw new ConfigError(`NOTIFY_URLS: ${target.label} needs the bot token: telegram://123456:ABC-DEF@telegram?chats=CHAT_ID`);
  const chats = (target.url.searchParams.get('chats') ?? target.url.searchParams.get('chat_id') ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  if (chats.length === 0) throw new ConfigError(`NOTIFY_URLS: ${target.label} needs ?chats=CHAT_ID (a number or @channelname)`);
  const thread = target.url.searchParams.get('thread');
  const base = target.url.hostname === 'telegram' ? 'https://api.telegram.org' : endpoint(target, '').replace(/\/$/, '');
  const url = `${base}/bot${token}/sendMessage`;
  const make = (s: AlertSummary): TelegramMessage => ({ text: toTelegramText(s), pending: new Set(chats) });
  const driver: ChannelDriver<TelegramMessage> = {
    buildIncident: (r) => make(summarizeIncident(r, ctx)),
    buildRecovery: (r, at) => make(summarizeRecovery(r, at, ctx)),
    buildDigest: (rs, rec) => make(summarizeDigest(rs, rec, ctx)),
    buildTest: (now) => make(summarizeTest(now, ctx)),
    buildNotice: (title, markdown, now) => make(summarizeNotice(title, markdown, now, ctx)),
    async send(message, signal): Promise<Attempt> {
      let last: Attempt = { ok: true, status: 200 };
      for (const chat of [...message.pending]) {
        const body = {
          chat_id: chat,
          text: message.text,
          parse_mode: 'HTML',
          link_preview_options: { is_disabled: true },
          ...(thread ? { message_thread_id: Number(thread) } : {}),
        };
        const result = await sendHttp({ url, body }, signal, {
          ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
          retryAfterFromBody: retryAfter,
          checkOk: (b) => (isObject(b) && b.ok === false ? `Telegram: ${String(b.description ?? 'not ok')}` : undefined),
        });
        if (result.ok) message.pending.delete(chat);
        else last = chats.length > 1 ? { ...result, error: `chat ${chat}: ${result.error}` } : result;
      }
      return message.pending.size === 0 ? { ok: true, status: 200 } : last;
    },
  };
  return { paceMs: PACE_MS, secrets: [token, url], driver };
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function retryAfter(body: unknown): number | undefined {
  const p = isObject(body) && isObject(body.parameters) ? body.parameters.retry_after : undefined;
  return typeof p === 'number' && p >= 0 ? p * 1000 : undefined;
}
