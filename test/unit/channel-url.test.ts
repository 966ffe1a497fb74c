import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNotifiers } from '../../src/adapters/notify/build-notifiers.js';
import { notifySecrets, parseChannelUrl, splitNotifyUrls } from '../../src/adapters/notify/channel-url.js';
import { ConfigError } from '../../src/core/errors.js';

const config = (urls: string[]) => ({
  doctorName: 'h',
  slack: { webhookUrl: undefined, minSeverity: 'medium' as const, maxPerMinute: 10 },
  notify: { urls, minSeverity: 'medium' as const, maxPerMinute: 10 },
});

describe('channel URLs', () => {
  test('routing parameters are read and removed; the label shows no secret', () => {
    const c = parseChannelUrl('ntfy://:tk_secret0123456789@ntfy.example.com/alerts?min_severity=high&containers=db,api&scheme=http');
    assert.equal(c.scheme, 'ntfy');
    assert.deepEqual(c.route, { minSeverity: 'high', containers: ['db', 'api'] });
    assert.equal(c.protocol, 'http:');
    assert.equal(c.url.search, '');
    assert.equal(c.label, 'ntfy://ntfy.example.com/…');
    assert.ok(c.secrets.includes('tk_secret0123456789'));
  });

  test('json:// and apprise:// are plain HTTP, their s-forms and every other channel HTTPS', () => {
    const protocols = ['json://h/x', 'jsons://h/x', 'apprise://h/k', 'apprises://h/k', 'gotify://h/t', 'discord://t@1'].map((u) => parseChannelUrl(u).protocol);
    assert.deepEqual(protocols, ['http:', 'https:', 'http:', 'https:', 'https:', 'https:']);
  });

  test('NOTIFY_URLS splits on commas and whitespace', () => {
    assert.deepEqual(splitNotifyUrls(' ntfy://a/b, discord://t@1\n json://h/x '), ['ntfy://a/b', 'discord://t@1', 'json://h/x']);
  });

  const bad: Array<[string, RegExp]> = [
    ['https://hooks.slack.com/services/T/B/secretpart', /does not say which service/],
    ['hooks.slack.com/services/T/B/secretpart', /not a channel URL/],
    ['pigeon://loft/1', /unknown channel pigeon:\/\//],
    ['ntfy://ntfy.sh/a?min_severity=urgent', /min_severity must be low, medium or high/],
    ['ntfy://ntfy.sh/a?scheme=ftp', /scheme must be http or https/],
  ];
  for (const [url, message] of bad) {
    test(`rejects ${url.slice(0, 30)} with a one-line ConfigError`, () => {
      assert.throws(() => parseChannelUrl(url), (e: unknown) => e instanceof ConfigError && message.test(e.message) && !e.message.includes('secretpart') && e.message.startsWith('NOTIFY_URLS'));
    });
  }

  const incomplete: Array<[string, RegExp]> = [
    ['telegram://123456:ABC-def_ghi@telegram', /needs \?chats=/],
    ['telegram://not-a-token@telegram?chats=1', /needs the bot token/],
    ['discord://discord.com/not/a/webhook', /needs a webhook/],
    ['ntfy://ntfy.sh/', /needs one topic/],
    ['gotify://gotify.example.com', /needs the application token/],
    ['apprise://apprise.local:8000', /needs a configuration key/],
    ['teams://prod-01.westus.logic.azure.com', /needs the workflow/],
    ['smtp://mail.example.com?to=ops@example.com', /needs \?from=/],
    ['smtp://mail.example.com?from=d@example.com', /needs \?to=/],
    ['slack://hooks.slack.com', /needs the webhook path/],
  ];
  for (const [url, message] of incomplete) {
    test(`${url.split(':')[0]}:// without what it needs fails at build time: ${message.source}`, () => {
      assert.throws(() => buildNotifiers(config([url]), { redact: (s) => s }), (e: unknown) => e instanceof ConfigError && message.test(e.message));
    });
  }

  test('shoutrrr short forms reach the hosted services', async () => {
    const seen: string[] = [];
    const fetch = (async (url: string | URL | Request) => {
      seen.push(String(url));
      return new Response(null, { status: 204 });
    }) as typeof globalThis.fetch;
    const ns = buildNotifiers(config(['discord://tok3n-abc@123456789', 'telegram://123456:ABC-def_ghi@telegram?chats=42', 'ntfy://ntfy.sh/topic1']), { redact: (s) => s, fetch, queue: { paceMs: 0 } });
    for (const n of ns) await n.sendTest();
    assert.deepEqual(seen, ['https://discord.com/api/webhooks/123456789/tok3n-abc', 'https://api.telegram.org/bot123456:ABC-def_ghi/sendMessage', 'https://ntfy.sh/']);
  });

  test('every secret of every URL is collected for the redactor', () => {
    const secrets = notifySecrets(config(['gotify://g.example.com/AppTokenXyz123', 'smtp://u:mail-pass-987@m.example.com?from=a@b.c&to=d@e.f']));
    assert.ok(secrets.includes('AppTokenXyz123'));
    assert.ok(secrets.includes('mail-pass-987'));
  });
});
