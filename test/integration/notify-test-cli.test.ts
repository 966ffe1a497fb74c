/** `doctor notify test`, the built binary: one line per channel, exit 1 naming the failures (autoheal #90). */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/doctor-harness.js';
import { FakeService, GOTIFY_TOKEN, NTFY_TOKEN, services } from '../helpers/fake-services.js';
import { FakeSlack } from '../helpers/fake-slack.js';

describe('doctor notify test', { timeout: 60_000 }, () => {
  let ntfy: FakeService;
  let gotify: FakeService;
  let slack: FakeSlack;
  before(async () => {
    ntfy = await FakeService.start(services.ntfy);
    gotify = await FakeService.start(services.gotify);
    slack = await FakeSlack.start();
  });
  after(async () => {
    await Promise.all([ntfy.close(), gotify.close(), slack.close()]);
  });

  test('reports each channel; a wrong token fails that channel only, exit 1, no secret printed', async () => {
    const urls = [`ntfy://:${NTFY_TOKEN}@${ntfy.host}/doctor?scheme=http`, `gotify://${gotify.host}/gotify/WrongToken12345?scheme=http`].join(',');
    const r = await runCli(['notify', 'test'], { NOTIFY_URLS: urls, SLACK_WEBHOOK_URL: slack.url, STATE_DIR: '/tmp/doctor-notify-test-unused' });
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^ok +slack \(status 200, 1 attempt\)$/);
    assert.match(lines[1]!, /^ok +ntfy:\/\/127\.0\.0\.1:\d+\/… \(status 200, 1 attempt\)$/);
    assert.match(lines[2]!, /^FAILED +gotify:\/\/127\.0\.0\.1:\d+\/…: HTTP 401 .*you need to provide a valid access token/);
    assert.match(r.stderr, /^doctor: 1 of 3 channels failed: gotify:\/\/127\.0\.0\.1:\d+\/…\n$/);
    assert.equal(slack.requests.length, 1);
    assert.match(JSON.stringify(slack.requests[0]!.body), /Test message from container-doctor/);
    assert.ok(!(r.stdout + r.stderr).includes('WrongToken12345') && !(r.stdout + r.stderr).includes(NTFY_TOKEN));
  });

  test('--channel tests one URL; --json prints one array', async () => {
    const r = await runCli(['notify', 'test', '--json', '--channel', `gotify://${gotify.host}/gotify/${GOTIFY_TOKEN}?scheme=http`], { STATE_DIR: '/tmp/doctor-notify-test-unused' });
    assert.equal(r.code, 0, r.stderr);
    const results = JSON.parse(r.stdout) as Array<{ channel: string; ok: boolean; attempts: number }>;
    assert.deepEqual(results.map((x) => [x.ok, x.attempts]), [[true, 1]]);
    assert.match((gotify.requests.at(-1)!.body as { title: string }).title, /^Test message from container-doctor on \S+/);
  });

  test('a channel nobody answers is reported FAILED after its retries, exit 1 (the process waits for them)', async () => {
    // A port with no listener: every attempt is refused, and the retries wait between them.
    const closed = await FakeService.start(services.ntfy);
    const port = new URL(`http://${closed.host}`).port;
    await closed.close();
    const r = await runCli(['notify', 'test', '--channel', `ntfy://127.0.0.1:${port}/doctor?scheme=http`], { STATE_DIR: '/tmp/doctor-notify-test-unused' });
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /^FAILED +ntfy:\/\/127\.0\.0\.1:\d+\/…: .*\(3 attempts\)\n$/);
    assert.match(r.stderr, /^doctor: 1 of 1 channel failed/);
  });

  test('bad input: a one-line error and exit 2', async () => {
    const none = await runCli(['notify', 'test'], { STATE_DIR: '/tmp/doctor-notify-test-unused' });
    assert.equal(none.code, 2);
    assert.equal(none.stderr, 'doctor: no channel configured: set NOTIFY_URLS or SLACK_WEBHOOK_URL, or pass --channel URL\n');
    const bad = await runCli(['notify', 'test', '--channel', 'ntfy://ntfy.sh/x?min_severity=loud'], { STATE_DIR: '/tmp/doctor-notify-test-unused' });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^doctor: --channel: ntfy:\/\/ntfy\.sh\/… min_severity must be low, medium or high/);
    assert.equal(bad.stderr.split('\n').length, 2, 'one line');
  });
});
