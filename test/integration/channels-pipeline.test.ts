/**
 * A real crash on the test engine, watched by the built `doctor watch`, delivered to every
 * channel at once (NOTIFY_URLS with Discord, Teams, ntfy, Gotify, Telegram, Apprise, a JSON
 * webhook, email, plus SLACK_WEBHOOK_URL), while one channel (Gotify) keeps failing: the others
 * deliver, the failure is in the audit log under that channel's name, and /health and /metrics
 * show each channel's state without any secret.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startDoctorProcess, type DoctorProcess } from '../helpers/doctor-process.js';
import { removeAllTestContainers, requireEngine, runContainer, testDocker, testDockerHost, waitFor } from '../helpers/engine.js';
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
} from '../helpers/fake-services.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { freePort } from '../helpers/free-port.js';
import { SMTP_PASSWORD, SMTP_USER, SmtpSink } from '../helpers/smtp-sink.js';

describe('every channel at once, one failing', { timeout: 180_000 }, () => {
  const fakes: Record<string, FakeService> = {};
  let slack: FakeSlack;
  let smtp: SmtpSink;
  let doctor: DoctorProcess | undefined;
  let port: number;

  before(async () => {
    await requireEngine();
    for (const name of ['discord', 'teams', 'ntfy', 'telegram', 'apprise', 'json'] as const) fakes[name] = await FakeService.start(services[name]);
    // Gotify is down for the whole test: every attempt gets a 503.
    fakes.gotify = await FakeService.start(() => ({ status: 503, body: { error: 'Service Unavailable', errorCode: 503 } }));
    slack = await FakeSlack.start();
    smtp = await SmtpSink.start();
    port = await freePort();
  });
  after(async () => {
    await doctor?.stop();
    await Promise.all(Object.values(fakes).map((f) => f.close()));
    await slack?.close();
    await smtp?.close();
    await removeAllTestContainers();
  });

  test('a crash reaches every working channel; the failing one is recorded, not fatal', async () => {
    const crashing = await runContainer({ name: 'chan-crash', cmd: "echo starting; echo 'FATAL: could not connect to postgres: connection refused'; exit 3", start: false });
    const f = fakes as Record<'discord' | 'teams' | 'ntfy' | 'telegram' | 'apprise' | 'json' | 'gotify', FakeService>;
    const urls = [
      `discord://${f.discord.host}${DISCORD_PATH}?scheme=http`,
      `teams://${f.teams.host}${TEAMS_PATH}?api-version=2016-06-01&sig=${TEAMS_SIG}&scheme=http`,
      `ntfy://:${NTFY_TOKEN}@${f.ntfy.host}/doctor?scheme=http`,
      `gotify://${f.gotify.host}/gotify/${GOTIFY_TOKEN}?scheme=http`,
      `telegram://${TELEGRAM_TOKEN}@${f.telegram.host}?chats=-1001234&scheme=http`,
      `apprise://${f.apprise.host}/${APPRISE_KEY}`,
      `json://${f.json.host}/hook`,
      `smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${smtp.port}/?from=doctor@example.com&to=ops@example.com&tls_verify=no`,
    ];
    doctor = await startDoctorProcess({
      DOCKER_HOST: testDockerHost(),
      TARGET_CONTAINERS: crashing.name,
      CHECK_INTERVAL: '2',
      MIN_DEAD_TIME: '1',
      RESTART_SETTLE_TIME: '1',
      HEALTH_PORT: String(port),
      AUTO_FIX: 'false',
      NOTIFY_URLS: urls.join(' '),
      NOTIFY_MIN_SEVERITY: 'low',
      SLACK_WEBHOOK_URL: slack.url,
      SLACK_MIN_SEVERITY: 'low',
    });
    const started = doctor.feed.find((l) => l.type === 'started')!;
    const channels = started['channels'] as string[];
    assert.equal(channels.length, 9);
    for (const secret of [DISCORD_PATH, TEAMS_SIG, NTFY_TOKEN, GOTIFY_TOKEN, TELEGRAM_TOKEN, APPRISE_KEY, SMTP_PASSWORD]) {
      assert.ok(!JSON.stringify(doctor.feed).includes(secret), `the feed never prints ${secret.slice(0, 6)}…`);
    }
    await doctor.waitForFeed((l) => l.type === 'cycle', { timeoutMs: 30_000, what: 'a first cycle' });
    await testDocker().getContainer(crashing.id).start();
    await doctor.waitForFeed((l) => l.type === 'incident', { timeoutMs: 60_000, what: 'the incident' });

    await waitFor(
      () =>
        ['discord', 'teams', 'ntfy', 'telegram', 'apprise', 'json'].every((n) => (fakes[n]!.requests.filter((r) => r.status < 300).length ?? 0) >= 1) &&
        slack.requests.length >= 1 &&
        smtp.mails.length >= 1,
      { timeoutMs: 60_000, what: 'the incident on every working channel' },
    );
    for (const n of ['discord', 'teams', 'ntfy', 'telegram', 'apprise', 'json']) {
      assert.match(fakes[n]!.requests[0]!.raw, /chan-crash/, `${n} names the container`);
    }
    assert.match(smtp.mails[0]!.raw, /chan-crash/);

    // Gotify gave up after its retries: an audit line under its own name, and /health says so.
    await waitFor(
      async () => {
        const lines = (await readFile(path.join(doctor!.stateDir, 'audit.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));
        return lines.some((l) => l.kind === 'delivery' && String(l.channel).startsWith('gotify://'));
      },
      { timeoutMs: 120_000, intervalMs: 500, what: 'the Gotify failure in the audit log' },
    );
    assert.ok(f.gotify.requests.length >= 2, 'Gotify was retried');
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    const body = (await health.json()) as { status: string; problems: string[]; channels: Array<{ channel: string; delivered: number; failing: boolean }> };
    assert.equal(health.status, 503);
    assert.ok(body.problems.some((p) => p.startsWith('gotify://') && p.endsWith('delivery failing')), JSON.stringify(body.problems));
    assert.equal(body.channels.filter((c) => c.failing).length, 1);
    assert.ok(body.channels.filter((c) => !c.failing).every((c) => c.delivered >= 1), JSON.stringify(body.channels));
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /doctor_channel_failing\{channel="gotify:\/\/127\.0\.0\.1:\d+\/…"\} 1/);
    assert.match(metrics, /doctor_notifications_total\{channel="discord:\/\/127\.0\.0\.1:\d+\/…",result="delivered"\} 1/);
    for (const secret of [DISCORD_PATH, TEAMS_SIG, NTFY_TOKEN, GOTIFY_TOKEN, TELEGRAM_TOKEN, APPRISE_KEY, SMTP_PASSWORD]) {
      assert.ok(!JSON.stringify(body).includes(secret) && !metrics.includes(secret), `no ${secret.slice(0, 6)}… in /health or /metrics`);
    }
  });
});
