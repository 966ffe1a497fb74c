/**
 * The real `@slack/webhook` client, driven by SlackNotifier, against a Slack look-alike on 127.0.0.1.
 * Delays are shortened through the injected `sleep`; the waits it was asked for are recorded.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SlackNotifier, parseRetryAfter, type DeliveryResult, type SlackNotifierOptions } from '../../src/adapters/slack/slack-notifier.js';
import { buildIncidentMessage, buildRecoveryMessage } from '../../src/core/alert-blocks.js';
import { FakeSlack, slackReplies, type FakeSlackReply } from '../helpers/fake-slack.js';
import { makeRecord } from '../helpers/slack-records.js';

const alert = { hostLabel: 'prod-eu-1', redact: (s: string) => s.replaceAll('s3cr3t', '[REDACTED]') };

let fake: FakeSlack;
let deliveries: DeliveryResult[];
let sleeps: number[];

beforeEach(async () => {
  fake = await FakeSlack.start();
  deliveries = [];
  sleeps = [];
});
afterEach(async () => {
  await fake.close();
});

/** Records each requested wait and sleeps at most 20 ms of it. */
function shortSleep(ms: number, signal?: AbortSignal): Promise<void> {
  sleeps.push(ms);
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.min(ms, 20));
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function notifier(overrides: Partial<SlackNotifierOptions> = {}): SlackNotifier {
  return new SlackNotifier({
    url: fake.url,
    ...alert,
    paceMs: 0,
    backoffBaseMs: 10,
    maxAttempts: 3,
    timeoutMs: 5000,
    sleep: shortSleep,
    onDelivery: (r) => deliveries.push(r),
    ...overrides,
  });
}

describe('SlackNotifier with @slack/webhook', () => {
  test('posts exactly the built Block Kit message, redacted', async () => {
    const record = makeRecord({ diagnosis: { root_cause: 'password s3cr3t leaked <here>' } });
    const n = notifier();
    n.incident(record);
    await n.flush(10_000);

    assert.equal(fake.requests.length, 1);
    const [req] = fake.requests;
    assert.equal(req?.method, 'POST');
    assert.match(String(req?.headers['content-type']), /^application\/json/);
    assert.match(String(req?.headers['user-agent']), /@slack:webhook/);
    assert.deepEqual(req?.body, JSON.parse(JSON.stringify(buildIncidentMessage(record, alert))));
    assert.ok(!req?.raw.includes('s3cr3t'));
    assert.ok(req?.raw.includes('password [REDACTED] leaked &lt;here&gt;'));
    assert.deepEqual(deliveries, [{ ok: true, kind: 'incident', channel: 'slack', incidentId: 'inc-0001', incidentIds: ['inc-0001'], attempts: 1, status: 200 }]);
    assert.equal(n.stats().delivered, 1);
  });

  test('honours Retry-After on 429, then delivers', async () => {
    fake.reply(slackReplies.rateLimited(1));
    const real: number[] = [];
    const n = notifier({
      sleep: (ms) => {
        real.push(ms);
        return new Promise((r) => setTimeout(r, ms));
      },
    });
    n.incident(makeRecord());
    await n.flush(10_000);

    assert.deepEqual(
      fake.requests.map((r) => r.status),
      [429, 200],
    );
    assert.deepEqual(fake.requests[0]?.body, fake.requests[1]?.body);
    // Retry-After: 1, less the millisecond or two the 429 took to handle on a loaded machine.
    assert.ok(real.some((ms) => ms >= 950 && ms <= 1000), `asked to wait ${real.join(', ')}`);
    // A lower bound only: the retry cannot have come before Slack allowed it.
    assert.ok((fake.requests[1]?.at ?? 0) - (fake.requests[0]?.at ?? 0) >= 950);
    assert.deepEqual(deliveries.map((d) => [d.ok, d.attempts]), [[true, 2]]);
  });

  test('retries 5xx with backoff, then delivers', async () => {
    fake.reply(slackReplies.serverError, slackReplies.unavailable);
    const n = notifier();
    n.incident(makeRecord());
    await n.flush(10_000);

    assert.deepEqual(
      fake.requests.map((r) => r.status),
      [500, 503, 200],
    );
    assert.equal(sleeps.length, 2);
    assert.ok((sleeps[1] ?? 0) > (sleeps[0] ?? 0) / 2, 'backoff grows');
    assert.deepEqual(deliveries.map((d) => [d.ok, d.attempts]), [[true, 3]]);
  });

  test('gives up after maxAttempts on persistent 5xx and reports it', async () => {
    fake.reply(slackReplies.serverError, slackReplies.serverError, slackReplies.serverError, slackReplies.serverError);
    const n = notifier({ maxAttempts: 3 });
    n.incident(makeRecord());
    await n.flush(10_000);

    assert.equal(fake.requests.length, 3);
    assert.deepEqual(deliveries, [
      { ok: false, kind: 'incident', channel: 'slack', incidentId: 'inc-0001', incidentIds: ['inc-0001'], attempts: 3, error: 'gave up after 3 attempts: HTTP 500 internal_error', status: 500 },
    ]);
    assert.equal(n.stats().failing, true);
    assert.equal(n.stats().failed, 1);
  });

  const permanent: Array<[string, FakeSlackReply]> = [
    ['400 invalid_payload', slackReplies.invalidPayload],
    ['400 no_text', slackReplies.noText],
    ['403 invalid_token', slackReplies.invalidToken],
    ['404 no_service', slackReplies.noService],
    ['404 channel_not_found', slackReplies.channelNotFound],
    ['410 channel_is_archived', slackReplies.channelIsArchived],
  ];
  for (const [name, reply] of permanent) {
    test(`${name} is not retried and is reported`, async () => {
      fake.reply(reply);
      const n = notifier();
      n.incident(makeRecord());
      await n.flush(10_000);

      assert.equal(fake.requests.length, 1);
      assert.deepEqual(deliveries.map((d) => [d.ok, d.attempts, d.status, d.error]), [[false, 1, reply.status, `HTTP ${name}`]]);
      assert.equal(n.stats().lastError, `HTTP ${name}`);
    });
  }

  test('an error body that echoes the webhook path is reported without it', async () => {
    const path = new URL(fake.url).pathname;
    const token = path.split('/').at(-1)!;
    fake.reply({ status: 404, body: `no_service: no webhook at ${path} (token ${token})` });
    const n = notifier();
    n.incident(makeRecord());
    await n.flush(10_000);

    assert.equal(deliveries.length, 1);
    const shown = JSON.stringify([deliveries, n.stats()]);
    assert.ok(!shown.includes(path) && !shown.includes(token), shown);
    assert.match(deliveries[0]?.error ?? '', /^HTTP 404 no_service: no webhook at <webhook url> \(token <webhook url>\)$/);
  });

  test('a dropped connection is retried', async () => {
    fake.reply({ hangUp: true });
    const n = notifier();
    n.incident(makeRecord());
    await n.flush(10_000);

    assert.equal(fake.requests.length, 2);
    assert.deepEqual(deliveries.map((d) => [d.ok, d.attempts]), [[true, 2]]);
  });

  test('a slow answer times out and is retried', async () => {
    fake.reply({ delayMs: 3000 });
    const n = notifier({ timeoutMs: 200 });
    n.incident(makeRecord());
    await n.flush(10_000);

    assert.equal(fake.requests.length, 2);
    assert.deepEqual(deliveries.map((d) => [d.ok, d.attempts]), [[true, 2]]);
  });

  test('an unreachable Slack is reported without leaking the webhook URL', async () => {
    const url = fake.url;
    await fake.close();
    fake = await FakeSlack.start();
    const n = notifier({ url, maxAttempts: 2 });
    n.incident(makeRecord());
    await n.flush(10_000);

    assert.equal(deliveries.length, 1);
    assert.equal(deliveries[0]?.ok, false);
    assert.match(deliveries[0]?.error ?? '', /^gave up after 2 attempts: request failed: fetch failed \(ECONNREFUSED\)$/);
    assert.ok(!JSON.stringify(n.stats()).includes(url));
  });

  test('a storm of 30 incidents becomes 10 messages and one digest of the rest', async () => {
    const n = notifier({ maxPerMinute: 10 });
    for (let i = 0; i < 30; i++) {
      n.incident(makeRecord({ incidentId: `inc-${i}`, name: `svc-${i}`, diagnosis: { root_cause: `cause ${i}` } }));
    }
    await n.flush(10_000);

    assert.equal(fake.requests.length, 11);
    const headers = fake.requests.map((r) => (r.body as { blocks: Array<{ text: { text: string } }> }).blocks[0]?.text.text);
    for (let i = 0; i < 10; i++) assert.equal(headers[i], `🔴 svc-${i}: OOM-killed`);
    assert.equal(headers[10], '⚠️ Alert storm: 20 incidents on 20 containers');
    const digest = fake.requests[10]?.raw ?? '';
    for (let i = 10; i < 30; i++) assert.ok(digest.includes(`\`svc-${i}\` high: cause ${i} _(restarted)_`), `svc-${i} in digest`);
    assert.deepEqual(
      deliveries.map((d) => d.kind),
      [...Array<string>(10).fill('incident'), 'digest'],
    );
    assert.deepEqual(deliveries[10]?.incidentIds, Array.from({ length: 20 }, (_, i) => `inc-${i + 10}`));
    assert.equal(n.stats().digests, 1);
  });

  test('flush sends a digest that was waiting for the next minute', async () => {
    const n = notifier({ maxPerMinute: 1 });
    n.incident(makeRecord({ incidentId: 'a', name: 'a' }));
    n.incident(makeRecord({ incidentId: 'b', name: 'b' }));
    n.incident(makeRecord({ incidentId: 'c', name: 'c' }));
    await n.flush(10_000);
    assert.deepEqual(deliveries.map((d) => d.incidentIds), [['a'], ['b', 'c']]);

    // The minute's budget and its one extra message are spent: `d` waits for the next minute...
    n.incident(makeRecord({ incidentId: 'd', name: 'd' }));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(fake.requests.length, 2);
    // ...unless the doctor shuts down.
    await n.flush(10_000);
    assert.deepEqual(deliveries.map((d) => d.incidentIds), [['a'], ['b', 'c'], ['d']]);
  });

  test('incidents below the minimum severity are not posted, unless the container is down or escalated', async () => {
    const n = notifier({ minSeverity: 'medium' });
    const quiet = makeRecord({ incidentId: 'quiet', diagnosis: { severity: 'low' }, evidence: { status: 'running' }, decision: { action: 'none' } });
    n.incident(quiet);
    n.recovered(quiet, '2025-03-01T12:01:00.000Z');
    n.incident(makeRecord({ incidentId: 'down', diagnosis: { severity: 'low' }, evidence: { status: 'exited' }, decision: { action: 'none' } }));
    n.incident(makeRecord({ incidentId: 'escalated', diagnosis: { severity: 'low' }, evidence: { status: 'running' }, decision: { action: 'escalate' } }));
    await n.flush(10_000);

    assert.deepEqual(deliveries.map((d) => d.incidentId), ['down', 'escalated']);
    assert.equal(fake.requests.length, 2);
    assert.equal(n.stats().skipped, 1);
  });

  test('posts a recovery with the time to recovery', async () => {
    const record = makeRecord();
    const n = notifier();
    n.recovered(record, '2025-03-01T12:03:12.000Z');
    await n.flush(10_000);

    assert.deepEqual(fake.requests[0]?.body, JSON.parse(JSON.stringify(buildRecoveryMessage(record, '2025-03-01T12:03:12.000Z', alert))));
    assert.equal((fake.requests[0]?.body as { text: string }).text, '✅ web-1 recovered after 3m 12s (incident inc-0001)');
    assert.deepEqual(deliveries.map((d) => d.kind), ['recovery']);
  });

  test('never blocks the caller, even while Slack answers slowly', async () => {
    fake.reply({ delayMs: 1500 });
    const n = notifier();
    assert.equal(n.incident(makeRecord({ incidentId: 'first' })), undefined);
    await fake.waitForRequests(1);
    // Slack holds the first request; the caller keeps going.
    n.incident(makeRecord({ incidentId: 'second' }));
    n.recovered(makeRecord({ incidentId: 'first' }), '2025-03-01T12:05:00.000Z');
    assert.equal(deliveries.length, 0);
    assert.equal(n.stats().queued, 2);
    await n.flush(10_000);
    assert.deepEqual(deliveries.map((d) => [d.incidentId, d.kind, d.ok]), [
      ['first', 'incident', true],
      ['second', 'incident', true],
      ['first', 'recovery', true],
    ]);
  });

  test('a full queue drops the oldest and reports each drop', async () => {
    const n = notifier({ maxQueue: 3 });
    for (let i = 0; i < 10; i++) n.incident(makeRecord({ incidentId: `inc-${i}` }));
    await n.flush(10_000);

    assert.deepEqual(
      deliveries.filter((d) => d.attempts === 0).map((d) => d.incidentId),
      ['inc-0', 'inc-1', 'inc-2', 'inc-3', 'inc-4', 'inc-5', 'inc-6'],
    );
    assert.deepEqual(deliveries.filter((d) => d.ok).map((d) => d.incidentId), ['inc-7', 'inc-8', 'inc-9']);
    assert.equal(n.stats().dropped, 7);
  });

  test('keeps the default pacing between posts', async () => {
    const n = notifier({ paceMs: 1000 });
    n.incident(makeRecord({ incidentId: 'a' }));
    n.incident(makeRecord({ incidentId: 'b' }));
    await n.flush(10_000);

    assert.equal(fake.requests.length, 2);
    assert.equal(sleeps.length, 1);
    assert.ok((sleeps[0] ?? 0) > 900 && (sleeps[0] ?? 0) <= 1000, `paced ${sleeps.join(', ')}`);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-03-01T12:00:00Z');
  const cases: Array<[string | null, number | null]> = [
    ['1', 1000],
    ['30', 30_000],
    [' 2 ', 2000],
    ['Sat, 01 Mar 2025 12:00:05 GMT', 5000],
    ['Sat, 01 Mar 2025 11:00:00 GMT', 0],
    ['soon', null],
    ['', null],
    [null, null],
  ];
  for (const [value, expected] of cases) test(JSON.stringify(value), () => assert.equal(parseRetryAfter(value, now), expected));
});
