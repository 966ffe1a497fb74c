/**
 * Email through nodemailer: plain text and HTML parts from the same summary.
 * URL: `smtp://[user:password@]host[:port]?from=doctor@example.com&to=ops@example.com[,b@example.com]`
 * (port 587, STARTTLS required) or `smtps://…` (port 465, TLS from the first byte).
 * `?starttls=no` allows a plain session (a relay on localhost); `?tls_verify=no` accepts a
 * self-signed certificate. SMTP 4xx replies and connection failures are retried, 5xx are not
 * (RFC 5321 section 4.2.1: 4yz is transient, 5yz permanent).
 */
import type { Transporter } from 'nodemailer';
import { cutText, renderPlainText, TONE_MARKER, type AlertSummary } from '../../../core/alert-summary.js';
import { summarizeDigest, summarizeIncident, summarizeNotice, summarizeRecovery, summarizeTest } from '../../../core/alert-summary.js';
import { ConfigError } from '../../../core/errors.js';
import { decode } from '../channel-url.js';
import type { ChannelFactory } from '../channel-driver.js';
import type { Attempt, ChannelDriver } from '../delivery-queue.js';

export const SMTP_LIMITS = { subject: 200, text: 100_000 } as const;

export interface EmailMessage {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const TONE_COLOUR = { high: '#e01e5a', medium: '#f2a100', low: '#ecb22e', ok: '#2eb67d' } as const;

export function toEmail(s: AlertSummary): EmailMessage {
  const text = renderPlainText(s, SMTP_LIMITS.text, { withTitle: true });
  const rows = s.fields
    .map((f) => `<tr><th align="left" valign="top" style="padding:4px 12px 4px 0">${escapeHtml(f.name)}</th><td style="padding:4px 0;white-space:pre-wrap">${escapeHtml(f.value)}</td></tr>`)
    .join('');
  const lines = s.lines.length > 0 ? `<pre style="background:#f6f6f6;padding:8px;white-space:pre-wrap">${escapeHtml(renderPlainText({ ...s, fields: [], footer: '' }, 20_000).trim())}</pre>` : '';
  const html =
    `<div style="font-family:sans-serif"><h2 style="border-left:6px solid ${TONE_COLOUR[s.tone]};padding-left:8px">${escapeHtml(`${TONE_MARKER[s.tone]} ${s.title}`)}</h2>` +
    (s.headline ? `<p><strong>${escapeHtml(s.headline)}</strong></p>` : '') +
    `<table>${rows}</table>${lines}<p style="color:#666;font-size:small">${escapeHtml(s.footer)}</p></div>`;
  return { subject: cutText(`[container-doctor] ${TONE_MARKER[s.tone]} ${s.title}`.replace(/\s+/g, ' '), SMTP_LIMITS.subject), text, html };
}

const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;

export const smtpChannel: ChannelFactory = (target, ctx) => {
  const implicitTls = target.scheme === 'smtps';
  const params = target.url.searchParams;
  const from = params.get('from')?.trim() ?? '';
  const to = (params.get('to') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (!EMAIL.test(from)) throw new ConfigError(`NOTIFY_URLS: ${target.label} needs ?from=address@example.com`);
  if (to.length === 0 || !to.every((t) => EMAIL.test(t))) throw new ConfigError(`NOTIFY_URLS: ${target.label} needs ?to=address@example.com[,another@example.com]`);
  const starttls = (params.get('starttls') ?? 'yes').toLowerCase();
  const verify = (params.get('tls_verify') ?? 'yes').toLowerCase();
  if (!['yes', 'no'].includes(starttls) || !['yes', 'no'].includes(verify)) throw new ConfigError(`NOTIFY_URLS: ${target.label} starttls and tls_verify must be yes or no`);
  const user = decode(target.url.username);
  const password = decode(target.url.password);
  // nodemailer (with tls, dns, zlib and child_process behind it) is loaded by the first email,
  // not by every doctor that has no smtp:// channel: a few MB resident (issue 14).
  let transport: Promise<Transporter> | undefined;
  const options = {
    host: target.url.hostname,
    port: target.url.port ? Number(target.url.port) : implicitTls ? 465 : 587,
    secure: implicitTls,
    // Credentials and alerts never cross the network in the clear unless the URL says so.
    requireTLS: !implicitTls && starttls === 'yes',
    ignoreTLS: !implicitTls && starttls === 'no',
    tls: { rejectUnauthorized: verify === 'yes' },
    ...(user ? { auth: { user, pass: password } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  };
  const connect = (): Promise<Transporter> => (transport ??= import('nodemailer').then((m) => m.default.createTransport(options)));
  const make = (s: AlertSummary): EmailMessage => toEmail(s);
  const driver: ChannelDriver<EmailMessage> = {
    buildIncident: (r) => make(summarizeIncident(r, ctx)),
    buildRecovery: (r, at) => make(summarizeRecovery(r, at, ctx)),
    buildDigest: (rs, rec) => make(summarizeDigest(rs, rec, ctx)),
    buildTest: (now) => make(summarizeTest(now, ctx)),
    buildNotice: (title, markdown, now) => make(summarizeNotice(title, markdown, now, ctx)),
    send: async (message, signal) => sendMail(await connect(), { from, to, ...message }, signal),
  };
  return { paceMs: 1000, secrets: password ? [password] : [], driver };
};

type Mail = EmailMessage & { readonly from: string; readonly to: readonly string[] };

async function sendMail(transport: Transporter, mail: Mail, signal: AbortSignal): Promise<Attempt> {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<Attempt>((resolve) => {
    onAbort = () => resolve({ ok: false, retryable: true, error: 'SMTP request timed out' });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const sent = transport.sendMail({ from: mail.from, to: [...mail.to], subject: mail.subject, text: mail.text, html: mail.html }).then(
      (info): Attempt => {
        const rejected = (info.rejected ?? []).map(String);
        return rejected.length > 0 ? { ok: false, retryable: false, error: `SMTP server rejected ${rejected.join(', ')}` } : { ok: true, status: 250 };
      },
      (error: unknown): Attempt => describeSmtpError(error),
    );
    return await Promise.race([sent, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

export function describeSmtpError(error: unknown): Attempt {
  const e = error as { responseCode?: unknown; code?: unknown; response?: unknown; message?: unknown };
  const code = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const detail = String(e.response ?? e.message ?? error).replace(/\s+/g, ' ').trim().slice(0, 200);
  if (code !== undefined) return { ok: false, retryable: code >= 400 && code < 500, error: `SMTP ${code} ${detail}`, status: code };
  const kind = typeof e.code === 'string' ? e.code : 'error';
  // EAUTH (bad credentials) and ETLS without STARTTLS support will not fix themselves.
  const permanent = kind === 'EAUTH' || kind === 'EENVELOPE' || kind === 'EMESSAGE';
  return { ok: false, retryable: !permanent, error: `SMTP ${kind}: ${detail}` };
}
