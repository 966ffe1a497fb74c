/**
 * Every NOTIFY_URLS channel, built the way `doctor watch` builds it (buildNotifiers), against a
 * look-alike of its service on 127.0.0.1: the native format that arrives, and the service's error
 * answers (4xx, 5xx, 429 with Retry-After, a timeout) handled by the channel's own queue.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNotifiers, type ChannelNotifierLike } from '../../src/adapters/notify/build-notifiers.js';
import type { DeliveryResult } from '../../src/adapters/notify/delivery-queue.js';
import { CUT_MARKER } from '../../src/core/alert-blocks.js';
import {
  APPRISE_KEY,
  DISCORD_PATH,
  FakeService,
  GOTIFY_TOKEN,
  NTFY_TOKEN,
  services,
  TEAMS_PATH,
  TEAMS_SIG,
  TELEGRAM_TOKEN,
  type ServiceRequest,
} from '../helpers/fake-services.js';
import { makeRecord } from '../helpers/slack-records.js';

const SECRET_IN_LOG = 'hunter2-db-password';
const redact = (s: string) => s.replaceAll(SECRET_IN_LOG, '[REDACTED]');

interface ChannelCase {
  readonly name: keyof typeof services;
  readonly url: (fake: FakeService) => string;
  /** What must hold for the request the service received for the standard incident. */
  readonly check: (req: ServiceRequest) => void;
  /** A secret of the URL that must never appear in an error. */
  readonly secret: string;
}

const cases: ChannelCase[] = [
  {
    name: 'discord',
    url: (f) => `discord://${f.host}${DISCORD_PATH}?scheme=http`,
    secret: 'discord-token-abcdefghijklmnop',
    check: (req) => {
      const embed = (req.body as any).embeds[0];
      assert.match(embed.title, /web-1: OOM-killed/);
      assert.equal(embed.color, 0xe01e5a, 'red for high severity');
      assert.ok(embed.fields.some((f: any) => f.name === 'Root cause' && /ran out of memory/.test(f.value)));
      assert.match(embed.description, /```[\s\S]*heap out of memory[\s\S]*```/);
    },
  },
  {
    name: 'teams',
    url: (f) => `teams://${f.host}${TEAMS_PATH}?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${TEAMS_SIG}&scheme=http`,
    secret: TEAMS_SIG,
    check: (req) => {
      assert.ok(req.path.includes('api-version=2016-06-01'), 'the workflow query is kept');
      assert.ok(!req.path.includes('scheme='), 'routing parameters are not sent');
      const att = (req.body as any).attachments[0];
      assert.equal(att.contentType, 'application/vnd.microsoft.card.adaptive');
      assert.equal(att.content.type, 'AdaptiveCard');
      const facts = att.content.body.find((b: any) => b.type === 'FactSet').facts;
      assert.ok(facts.some((f: any) => f.title === 'Fix'));
    },
  },
  {
    name: 'ntfy',
    url: (f) => `ntfy://:${NTFY_TOKEN}@${f.host}/doctor-alerts?scheme=http`,
    secret: NTFY_TOKEN,
    check: (req) => {
      assert.equal(req.path, '/');
      const b = req.body as any;
      assert.equal(b.topic, 'doctor-alerts');
      assert.equal(b.priority, 5, 'high severity is ntfy priority 5');
      assert.ok(b.tags.includes('rotating_light'));
      assert.match(b.title, /web-1/);
      assert.match(b.message, /Root cause: The process ran out of memory/);
    },
  },
  {
    name: 'gotify',
    url: (f) => `gotify://${f.host}/gotify/${GOTIFY_TOKEN}?scheme=http`,
    secret: GOTIFY_TOKEN,
    check: (req) => {
      const b = req.body as any;
      assert.equal(b.priority, 8);
      assert.match(b.message, /What the doctor did: Restarted the container/);
    },
  },
  {
    name: 'telegram',
    url: (f) => `telegram://${TELEGRAM_TOKEN}@${f.host}?chats=-1001234&scheme=http`,
    secret: TELEGRAM_TOKEN,
    check: (req) => {
      const b = req.body as any;
      assert.equal(b.parse_mode, 'HTML');
      assert.match(b.text, /^<b>🔴 web-1: OOM-killed/);
      assert.match(b.text, /<code>FATAL: JavaScript heap out of memory<\/code>/);
    },
  },
  {
    name: 'apprise',
    url: (f) => `apprise://${f.host}/${APPRISE_KEY}`,
    secret: APPRISE_KEY,
    check: (req) => {
      const b = req.body as any;
      assert.equal(b.type, 'failure');
      assert.equal(b.format, 'text');
      assert.match(b.body, /Fix: Raise the memory limit/);
    },
  },
  {
    name: 'json',
    url: (f) => `json://hookuser:hook-password-123@${f.host}/hooks/doctor`,
    secret: 'hook-password-123',
    check: (req) => {
      assert.equal(req.path, '/hooks/doctor');
      assert.equal(req.headers.authorization, `Basic ${Buffer.from('hookuser:hook-password-123').toString('base64')}`);
      const b = req.body as any;
      assert.equal(b.version, 1);
      assert.equal(b.kind, 'incident');
      assert.equal(b.severity, 'high');
      assert.deepEqual(b.incidentIds, ['inc-0001']);
      assert.equal(b.records[0].container.name, 'web-1');
      assert.ok(!JSON.stringify(b).includes(SECRET_IN_LOG), 'records are redacted');
    },
  },
];

let sleeps: number[] = [];
function shortSleep(ms: number, signal?: AbortSignal): Promise<void> {
  sleeps.push(ms);
  return new Promise((resolve) => {
    const t = setTimeout(resolve, Math.min(ms, 20));
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

function channel(url: string, deliveries: DeliveryResult[], timeoutMs = 2_000): ChannelNotifierLike {
  const [n] = buildNotifiers(
    { doctorName: 'it-host', slack: { webhookUrl: undefined, minSeverity: 'medium', maxPerMinute: 10 }, notify: { urls: [url], minSeverity: 'medium', maxPerMinute: 10 } },
    { redact, onDelivery: (r) => deliveries.push(r), queue: { sleep: shortSleep, paceMs: 0, backoffBaseMs: 10, maxAttempts: 3, timeoutMs } },
  );
  assert.ok(n);
  return n;
}

const record = makeRecord({ evidence: { matchedLines: ['FATAL: JavaScript heap out of memory', `password=${SECRET_IN_LOG}`] } });

for (const c of cases) {
  describe(`${c.name}://`, () => {
    let fake: FakeService;
    let deliveries: DeliveryResult[];
    before(async () => {
      fake = await FakeService.start(services[c.name]);
    });
    after(async () => {
      await fake.close();
    });
    afterEach(() => {
      fake.requests.length = 0;
      sleeps = [];
    });

    test('delivers a notice (the report digest) in the service format, redacted', async () => {
      deliveries = [];
      const n = channel(c.url(fake), deliveries);
      assert.ok(n.notice, 'the channel takes notices');
      n.notice('Doctor report: the last week', `*Restarts*: 2 made, 1 held\n• repeated: web-1 oom-kill 3 times, daily around 02:00 UTC\npassword=${SECRET_IN_LOG}`);
      await n.flush(10_000);
      assert.equal(fake.requests.length, 1);
      const [req] = fake.requests;
      assert.ok(req && req.status >= 200 && req.status < 300, `accepted (status ${req?.status})`);
      assert.ok(req.raw.includes('Doctor report: the last week'), req.raw);
      assert.ok(req.raw.includes('daily around 02:00 UTC'), req.raw);
      assert.ok(!req.raw.includes(SECRET_IN_LOG), 'the secret is redacted');
      assert.deepEqual(deliveries.map((d) => [d.kind, d.ok]), [['notice', true]]);
    });

    test('delivers the incident in the service format, redacted', async () => {
      deliveries = [];
      const n = channel(c.url(fake), deliveries);
      n.incident(record);
      await n.flush(10_000);
      assert.equal(fake.requests.length, 1);
      const [req] = fake.requests;
      assert.ok(req && req.status >= 200 && req.status < 300, `accepted (status ${req?.status})`);
      assert.ok(!req.raw.includes(SECRET_IN_LOG), 'the log secret is redacted');
      c.check(req);
      assert.deepEqual(deliveries.map((d) => [d.ok, d.attempts, d.channel]), [[true, 1, n.channel]]);
      assert.ok(!n.channel.includes(c.secret), 'the channel label holds no secret');
    });

    test('a "back up" notice follows an incident it posted, and a test message says it is a test', async () => {
      deliveries = [];
      const n = channel(c.url(fake), deliveries);
      n.incident(record);
      n.recovered(record, '2025-03-01T12:03:00.000Z');
      await n.flush(10_000);
      const test = await n.sendTest();
      assert.equal(test.ok, true, test.error);
      assert.equal(fake.requests.length, 3);
      assert.match(fake.requests[1]!.raw, /back up after 3m 0s/);
      assert.match(fake.requests[2]!.raw, /Test message from container-doctor on it-host/);
    });

    test('a 4xx is not retried and the error never shows the secret', async () => {
      deliveries = [];
      fake.reply({ status: 403, body: { error: `forbidden for ${c.secret}` } });
      const n = channel(c.url(fake), deliveries);
      n.incident(record);
      await n.flush(10_000);
      assert.equal(fake.requests.length, 1);
      assert.equal(deliveries[0]?.ok, false);
      assert.equal(deliveries[0]?.status, 403);
      assert.ok(!String(deliveries[0]?.error).includes(c.secret), `secret hidden: ${deliveries[0]?.error}`);
      assert.equal(n.stats().failing, true);
    });

    test('a 5xx is retried with backoff, then delivered', async () => {
      deliveries = [];
      fake.reply({ status: 502, body: 'bad gateway' });
      const n = channel(c.url(fake), deliveries);
      n.incident(record);
      await n.flush(10_000);
      assert.equal(fake.requests.length, 2);
      assert.deepEqual(deliveries.map((d) => [d.ok, d.attempts]), [[true, 2]]);
    });

    test('a 429 waits for Retry-After before the retry', async () => {
      deliveries = [];
      fake.reply({ status: 429, body: { message: 'rate limited', retry_after: 7, parameters: { retry_after: 7 } }, headers: { 'retry-after': '7' } });
      const n = channel(c.url(fake), deliveries);
      n.incident(record);
      await n.flush(10_000);
      assert.equal(fake.requests.length, 2);
      assert.ok(sleeps.includes(7000), `waited Retry-After: ${sleeps.join(',')}`);
      assert.deepEqual(deliveries.map((d) => [d.ok, d.attempts]), [[true, 2]]);
    });

    test('a request that times out is retried', async () => {
      deliveries = [];
      fake.reply({ delayMs: 600, status: 200, body: {} });
      const n = channel(c.url(fake), deliveries, 200);
      n.incident(record);
      await n.flush(10_000);
      assert.deepEqual(deliveries.map((d) => [d.ok, d.attempts]), [[true, 2]]);
    });
  });
}

describe('routing and limits', () => {
  let fake: FakeService;
  before(async () => {
    fake = await FakeService.start(services.json);
  });
  after(async () => {
    await fake.close();
  });

  test('?containers= and ?min_severity= pick what a channel hears', async () => {
    const deliveries: DeliveryResult[] = [];
    const only = channel(`json://${fake.host}/db?containers=db-1,cache`, deliveries);
    const highOnly = channel(`json://${fake.host}/high?min_severity=high`, deliveries);
    const web = makeRecord({ name: 'web-1', diagnosis: { severity: 'medium' }, evidence: { status: 'running' }, outcome: { status: 'restarted' } });
    const db = makeRecord({ name: 'db-1', incidentId: 'inc-db', diagnosis: { severity: 'high' } });
    for (const n of [only, highOnly]) {
      n.incident(web);
      n.incident(db);
      await n.flush(10_000);
    }
    assert.deepEqual(
      fake.requests.map((r) => [r.path, (r.body as any).incidentIds[0]]),
      [
        ['/db', 'inc-db'],
        ['/high', 'inc-db'],
      ],
    );
  });

  test('a huge incident still fits Discord, Telegram and ntfy limits, with the cut marker', async () => {
    const huge = makeRecord({
      diagnosis: { root_cause: 'x'.repeat(20_000), suggested_fix: 'y'.repeat(20_000), config_suggestions: Array.from({ length: 30 }, (_, i) => `s${i} ${'z'.repeat(400)}`) },
      evidence: { matchedLines: Array.from({ length: 200 }, (_, i) => `line ${i} ${'e'.repeat(300)}`) },
    });
    const fakes = await Promise.all([FakeService.start(services.discord), FakeService.start(services.telegram), FakeService.start(services.ntfy)]);
    try {
      const [d, t, nt] = fakes as [FakeService, FakeService, FakeService];
      const notifiers = [
        channel(`discord://${d.host}${DISCORD_PATH}?scheme=http`, []),
        channel(`telegram://${TELEGRAM_TOKEN}@${t.host}?chats=-1001234&scheme=http`, []),
        channel(`ntfy://:${NTFY_TOKEN}@${nt.host}/big?scheme=http`, []),
      ];
      for (const n of notifiers) n.incident(huge);
      await Promise.all(notifiers.map((n) => n.flush(10_000)));
      const embed = (d.requests[0]!.body as any).embeds[0];
      const total = embed.title.length + (embed.description ?? '').length + embed.footer.text.length + embed.fields.reduce((n: number, f: any) => n + f.name.length + f.value.length, 0);
      assert.ok(total <= 6000, `Discord embed total ${total}`);
      assert.ok(embed.fields.every((f: any) => f.value.length <= 1024));
      assert.ok(JSON.stringify(embed).includes(CUT_MARKER));
      const text = (t.requests[0]!.body as any).text as string;
      assert.ok(text.length <= 4096, `Telegram text ${text.length}`);
      assert.ok(text.includes(CUT_MARKER));
      const message = (nt.requests[0]!.body as any).message as string;
      assert.ok(Buffer.byteLength(message) <= 4096, `ntfy message ${Buffer.byteLength(message)} bytes`);
      assert.ok(message.includes(CUT_MARKER));
      assert.ok(fakes.every((f) => f.requests[0]!.status < 300), 'every service accepted the cut message');
    } finally {
      await Promise.all(fakes.map((f) => f.close()));
    }
  });

  test('a stuck channel does not delay another', async () => {
    const stuck = await FakeService.start(() => ({ status: 503, body: 'down', delayMs: 5_000 }));
    try {
      const deliveries: DeliveryResult[] = [];
      const bad = channel(`json://${stuck.host}/stuck`, deliveries, 10_000);
      const good = channel(`json://${fake.host}/fast`, deliveries);
      fake.requests.length = 0;
      bad.incident(record);
      good.incident(record);
      await good.flush(10_000);
      await stuck.waitForRequests(0);
      assert.equal(fake.requests.length, 1);
      assert.deepEqual(deliveries.map((d) => [d.channel, d.ok]), [[good.channel, true]], 'the good channel delivered while the stuck one still waits');
      assert.equal(bad.stats().queued + (bad.stats().delivered + bad.stats().failed), 0, 'the stuck message is in flight, not done');
    } finally {
      await stuck.close();
    }
  });
});
