/**
 * smtp:// through nodemailer against a real SMTP server on 127.0.0.1: STARTTLS before login,
 * plain text and HTML parts, transient (4xx) replies retried and permanent (5xx) ones not.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNotifiers, type ChannelNotifierLike } from '../../src/adapters/notify/build-notifiers.js';
import type { DeliveryResult } from '../../src/adapters/notify/delivery-queue.js';
import { makeRecord } from '../helpers/slack-records.js';
import { SMTP_PASSWORD, SMTP_USER, SmtpSink } from '../helpers/smtp-sink.js';

let sink: SmtpSink;
let deliveries: DeliveryResult[];

before(async () => {
  sink = await SmtpSink.start();
});
after(async () => {
  await sink.close();
});
beforeEach(() => {
  sink.mails.length = 0;
  sink.refuse.length = 0;
  deliveries = [];
});

function mailer(query = 'tls_verify=no', to = 'ops@example.com,oncall@example.com'): ChannelNotifierLike {
  const url = `smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${sink.port}/?from=doctor@example.com&to=${to}&${query}`;
  const [n] = buildNotifiers(
    { doctorName: 'mail-host', slack: { webhookUrl: undefined, minSeverity: 'medium', maxPerMinute: 10 }, notify: { urls: [url], minSeverity: 'medium', maxPerMinute: 10 } },
    { redact: (s) => s, onDelivery: (r) => deliveries.push(r), queue: { paceMs: 0, backoffBaseMs: 10, maxAttempts: 3, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))) } },
  );
  assert.ok(n);
  return n;
}

describe('smtp://', () => {
  test('sends text and HTML over STARTTLS, logged in', async () => {
    const n = mailer();
    n.incident(makeRecord({ evidence: { matchedLines: ['FATAL <boom> & more'] } }));
    await n.flush(20_000);
    assert.deepEqual(deliveries.map((d) => [d.ok, d.attempts]), [[true, 1]]);
    assert.equal(sink.mails.length, 1);
    const [mail] = sink.mails;
    assert.equal(mail!.secure, true, 'STARTTLS before the message');
    assert.equal(mail!.user, SMTP_USER);
    assert.deepEqual(mail!.to, ['ops@example.com', 'oncall@example.com']);
    assert.match(mail!.raw, /^Subject: .*container-doctor/m);
    assert.match(mail!.raw, /Content-Type: text\/plain/);
    assert.match(mail!.raw, /Content-Type: text\/html/);
    assert.match(decodeQuotedPrintable(mail!.raw), /FATAL &lt;boom&gt; &amp; more/, 'log lines are escaped in HTML');
  });

  test('a certificate that cannot be verified fails the delivery (no fallback to plain text) and the error holds no password', async () => {
    const n = mailer('tls_verify=yes');
    const result = await n.sendTest();
    assert.equal(result.ok, false);
    assert.match(String(result.error), /SMTP/);
    assert.ok(!String(result.error).includes(SMTP_PASSWORD));
    assert.equal(sink.mails.length, 0);
  });

  test('a 451 is retried, then delivered', async () => {
    sink.refuse.push(451);
    const n = mailer('tls_verify=no', 'ops@example.com');
    n.incident(makeRecord());
    await n.flush(20_000);
    assert.deepEqual(deliveries.map((d) => [d.ok, d.attempts]), [[true, 2]]);
  });

  test('a 550 is not retried', async () => {
    sink.refuse.push(550);
    const n = mailer('tls_verify=no', 'ops@example.com');
    n.incident(makeRecord());
    await n.flush(20_000);
    assert.deepEqual(deliveries.map((d) => [d.ok, d.attempts, d.status]), [[false, 1, 550]]);
    assert.match(String(deliveries[0]?.error), /^SMTP 550/);
  });

  test('a wrong password is not retried and never printed', async () => {
    const url = `smtp://${SMTP_USER}:wrong-password-123@127.0.0.1:${sink.port}/?from=doctor@example.com&to=ops@example.com&tls_verify=no`;
    const [n] = buildNotifiers(
      { doctorName: 'h', slack: { webhookUrl: undefined, minSeverity: 'medium', maxPerMinute: 10 }, notify: { urls: [url], minSeverity: 'medium', maxPerMinute: 10 } },
      { redact: (s) => s, queue: { paceMs: 0, maxAttempts: 3 } },
    );
    const result = await n!.sendTest();
    assert.equal(result.ok, false);
    assert.equal(result.attempts, 1);
    assert.ok(!String(result.error).includes('wrong-password-123'));
  });
});

/** Soft line breaks and =XX escapes of a quoted-printable body (RFC 2045 section 6.7). */
function decodeQuotedPrintable(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}
