/**
 * People in the loop against the real engine and the real Slack SDKs: the built doctor with
 * AUTO_FIX=ask posts through @slack/web-api to a local Slack, takes clicks over @slack/socket-mode,
 * and answers the control endpoints and `doctor approve|snooze|unsnooze|pending`. Each scene
 * asserts on the engine's own start events, the audit log and the messages Slack was sent.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { repoRoot } from '../helpers/doctor-harness.js';
import { startDoctorProcess, type DoctorProcess } from '../helpers/doctor-process.js';
import { removeAllTestContainers, requireEngine, runContainer, testDocker, testDockerHost, waitFor, type TestContainer } from '../helpers/engine.js';
import { startFakeSlackApp, type ApiCall, type FakeSlackApp } from '../helpers/fake-slack-app.js';
import { freePort } from '../helpers/free-port.js';
import { countStarts, failOnceThenRun } from '../helpers/scenes.js';

before(requireEngine);
after(removeAllTestContainers);

const BOT = `xoxb-test-${randomBytes(4).toString('hex')}`;
const APP = `xapp-test-${randomBytes(4).toString('hex')}`;
const TOKEN = `control-${randomBytes(6).toString('hex')}`;
const ALICE = 'U0ALICE';
const MALLORY = 'U0MALLORY';

interface Doctor {
  readonly proc: DoctorProcess;
  readonly slack: FakeSlackApp;
  readonly url: string;
  readonly scope: string;
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

async function startDoctor(extra: Record<string, string> = {}): Promise<Doctor> {
  const slack = await startFakeSlackApp({ botToken: BOT, appToken: APP });
  const port = await freePort();
  const scope = randomBytes(4).toString('hex');
  const env = {
    DOCKER_HOST: testDockerHost(), TARGET_LABEL: `doctor.scene=${scope}`, CHECK_INTERVAL: '1', MIN_DEAD_TIME: '0', RESTART_SETTLE_TIME: '1',
    // One doctor serves every scene, whose containers fail a few seconds apart: without a higher
    // threshold the fifth would make a storm (issue 12), and a storm holds every proposal.
    AUTO_FIX: 'ask', APPROVAL_TIMEOUT: '600', HEALTH_PORT: String(port), HEALTH_TOKEN: TOKEN, STORM_THRESHOLD: '100',
    SLACK_BOT_TOKEN: BOT, SLACK_APP_TOKEN: APP, SLACK_CHANNEL: 'C0OPS', SLACK_API_URL: slack.apiUrl, SLACK_APPROVERS: ALICE, SLACK_MIN_SEVERITY: 'low',
    ...extra,
  };
  const proc = await startDoctorProcess(env);
  await waitFor(() => slack.connections() > 0, { what: 'the Socket Mode connection' });
  // The health server (and its control routes) comes up after the Slack app has connected.
  await waitFor(() => fetch(`http://127.0.0.1:${port}/health`).then(() => true, () => false), { what: 'the health server' });
  return { proc, slack, url: `http://127.0.0.1:${port}`, scope, env, async close() {
    await proc.stop();
    await slack.close();
  } };
}

const scene = (d: Doctor, name: string, cmd: string) => runContainer({ name, cmd, labels: { 'doctor.scene': d.scope } });

async function api(d: Doctor, method: string, p: string, token: string | null = TOKEN): Promise<{ status: number; body: any }> {
  const res = await fetch(`${d.url}${p}`, { method, headers: token ? { authorization: `Bearer ${token}`, 'x-doctor-user': 'ops-bob' } : {} });
  return { status: res.status, body: await res.json() };
}

function cli(d: Doctor, args: string[], control = true): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'doctor.js'), ...args, ...(control ? ['--url', d.url] : [])], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', HEALTH_TOKEN: TOKEN, STATE_DIR: d.proc.stateDir, DOCKER_HOST: testDockerHost(), USER: 'ops-carol', NO_COLOR: '1' },
      cwd: d.proc.stateDir,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function proposalFor(d: Doctor, c: TestContainer): Promise<{ record: Record<string, any>; message: ApiCall }> {
  const record = await waitFor(async () => (await d.proc.auditRecords()).find((r) => r.container?.name === c.name && r.decision?.guardrail === 'awaiting-approval'), { what: `the proposal for ${c.name}`, timeoutMs: 30_000 });
  const message = await d.slack.waitForCall('chat.postMessage', (m) => JSON.stringify(m.args.blocks ?? []).includes(record.incidentId));
  return { record, message };
}

const personEvents = async (d: Doctor, name: string) => (await d.proc.auditRecords()).filter((r) => r.kind === 'person' && r.container?.name === name);

describe('people in the loop (AUTO_FIX=ask, Slack app, control endpoints)', { concurrency: 1 }, () => {
  let d: Doctor;
  before(async () => {
    d = await startDoctor();
  });
  after(async () => d?.close());

  test('a restart is proposed with buttons; a non-approver is told no, an approver restarts it in one click', async () => {
    const c = await scene(d, 'h10-ask', failOnceThenRun('sleep 1; echo "Error: worker crashed" >&2; exit 1'));
    const starts = await countStarts([c.id]);
    try {
      const { record, message } = await proposalFor(d, c);
      assert.equal(record.decision.action, 'escalate');
      assert.match(record.decision.reason, /AUTO_FIX=ask/);
      const buttons = (message.args.blocks as any[]).find((b) => b.type === 'actions').elements.map((e: any) => e.action_id);
      assert.deepEqual(buttons, ['doctor_restart', 'doctor_snooze', 'doctor_never']);
      assert.equal(message.token, BOT);

      const pending = await api(d, 'GET', '/pending');
      assert.equal(pending.status, 200);
      assert.ok(pending.body.pending.some((p: any) => p.incidentId === record.incidentId && p.askFirst === true));

      await d.slack.click({ user: MALLORY, message, actionId: 'doctor_restart' });
      const ephemeral = await d.slack.waitForCall('chat.postEphemeral', (e) => e.args.user === MALLORY);
      assert.match(ephemeral.args.text, /Not allowed/);
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal(starts.count(c.id), 0, 'no restart for a non-approver');

      await d.slack.click({ user: ALICE, userName: 'alice', message, actionId: 'doctor_restart' });
      assert.ok(d.slack.acks.length >= 2, 'both clicks were acknowledged');
      const update = await d.slack.waitForCall('chat.update', (u) => u.args.ts === message.args.__ts && /approved by alice/.test(u.args.text)).catch((error: Error) => {
        throw new Error(`${error.message}; updates: ${JSON.stringify(d.slack.calls.filter((c) => c.method === 'chat.update').map((c) => [c.args.ts, message.args.__ts, c.args.text]))}`);
      });
      assert.match(update.args.text, /restarted/);
      assert.equal((update.args.blocks as any[]).some((b) => b.type === 'actions'), false, 'the buttons are gone');
      await waitFor(() => starts.count(c.id) === 1, { what: 'the engine start of the approved restart' });
      const done = (await d.proc.auditRecords()).find((r) => r.incidentId === record.incidentId && r.decision?.approvedBy);
      assert.ok(done, 'the restart record carries who approved it');
      assert.equal(done.decision.approvedBy.by.id, ALICE);
      assert.equal(done.decision.action, 'restart');
      const events = await personEvents(d, c.name);
      assert.ok(events.some((e) => e.action === 'approved' && e.by?.id === ALICE && e.by?.via === 'slack'));
      // A second click on the same message: already answered, nothing more happens.
      await d.slack.click({ user: ALICE, userName: 'alice', message, actionId: 'doctor_restart' });
      await new Promise((r) => setTimeout(r, 1_000));
      assert.equal(starts.count(c.id), 1);
    } finally {
      starts.close();
    }
  });

  test('running again: approving from the terminal is refused with the reason, and nothing is restarted', async () => {
    const c = await scene(d, 'h10-again', failOnceThenRun('sleep 1; echo "Error: worker crashed" >&2; exit 1'));
    const { record } = await proposalFor(d, c);
    await testDocker().getContainer(c.id).start();
    const starts = await countStarts([c.id]);
    try {
      const r = await cli(d, ['approve', record.incidentId]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /refused: .*running again/);
      await new Promise((res) => setTimeout(res, 1_000));
      assert.equal(starts.count(c.id), 0);
      const events = await personEvents(d, c.name);
      assert.ok(events.some((e) => e.action === 'refused' && e.by?.id === 'ops-carol' && /running again/.test(e.detail)));
    } finally {
      starts.close();
    }
  });

  test('gone: the endpoint refuses an approval for a removed container (409)', async () => {
    const c = await scene(d, 'h10-gone', 'sleep 1; echo "Error: worker crashed" >&2; exit 1');
    const { record, message } = await proposalFor(d, c);
    await testDocker().getContainer(c.id).remove({ force: true });
    const r = await api(d, 'POST', `/incidents/${record.incidentId}/approve`);
    assert.equal(r.status, 409);
    assert.equal(r.body.status, 'refused');
    assert.match(r.body.detail, /is gone/);
    await d.slack.waitForCall('chat.update', (u) => u.args.ts === message.args.__ts && /Not restarted/.test(u.args.text));
  });

  test('snooze from Slack: the message says so, /pending shows it, and the next death is recorded but not posted', async () => {
    const c = await scene(d, 'h10-snooze', 'sleep 1; echo "Error: worker crashed" >&2; exit 1');
    const { message } = await proposalFor(d, c);
    await d.slack.click({ user: ALICE, userName: 'alice', message, actionId: 'doctor_snooze' });
    await d.slack.waitForCall('chat.update', (u) => u.args.ts === message.args.__ts && /Snoozed by alice/.test(u.args.text));
    const pending = await api(d, 'GET', '/pending');
    assert.ok(pending.body.holds.some((h: any) => h.container === c.name && h.snoozedUntil && h.snoozedBy.id === ALICE));
    const posts = () => d.slack.calls.filter((m) => m.method === 'chat.postMessage' && JSON.stringify(m.args.blocks ?? '').includes(c.name)).length;
    const before = posts();
    await testDocker().getContainer(c.id).start();
    const snoozed = await waitFor(async () => (await d.proc.auditRecords()).find((r) => r.container?.name === c.name && r.decision?.guardrail === 'snoozed'), { what: 'the snoozed incident', timeoutMs: 30_000 });
    assert.equal(snoozed.decision.action, 'none');
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(posts(), before, 'nothing posted while snoozed');
    const dx = await cli(d, ['diagnose', c.name, '--no-ai'], false);
    assert.match(dx.stdout, /People: snoozed by alice \(U0ALICE\) until/, dx.stderr);
    const lifted = await cli(d, ['unsnooze', c.name]);
    assert.equal(lifted.code, 0, lifted.stderr);
    assert.match(lifted.stdout, /lifted snooze/);
    assert.ok((await personEvents(d, c.name)).some((e) => e.action === 'unsnooze' && e.by?.id === 'ops-carol'));
  });

  test('never auto-restart from Slack, lifted from the terminal', async () => {
    const c = await scene(d, 'h10-never', 'sleep 1; echo "Error: worker crashed" >&2; exit 1');
    const { message } = await proposalFor(d, c);
    await d.slack.click({ user: ALICE, userName: 'alice', message, actionId: 'doctor_never' });
    await d.slack.waitForCall('chat.update', (u) => u.args.ts === message.args.__ts && /never auto-restart/.test(u.args.text));
    const pending = await cli(d, ['pending', '--json']);
    assert.ok(JSON.parse(pending.stdout).holds.some((h: any) => h.container === c.name && h.neverAutoRestart === true));
    const lifted = await cli(d, ['unsnooze', c.name, '--override']);
    assert.match(lifted.stdout, /lifted override/);
  });

  test('Slack answers 429 with Retry-After: the Web API client waits and posts again; an ok:false answer shows on /health', async () => {
    d.slack.rateLimit('chat.postMessage', 1, 2);
    const c = await scene(d, 'h10-ratelimit', 'sleep 1; echo "Error: worker crashed" >&2; exit 1');
    const { message } = await proposalFor(d, c);
    const limited = d.slack.calls.find((m) => m.method === 'chat.postMessage#429');
    assert.ok(limited, 'the first post was rate limited');
    assert.ok(message.at - limited.at >= 1_900, `posted again after Retry-After (${message.at - limited.at} ms)`);
    d.slack.failNext('chat.update', 'message_not_found');
    await d.slack.click({ user: ALICE, userName: 'alice', message, actionId: 'doctor_never' });
    const health = await waitFor(async () => {
      const h = await api(d, 'GET', '/health');
      return h.body.slackApp?.posting.failed >= 1 ? h.body : undefined;
    }, { what: 'the failed update on /health' });
    assert.match(health.slackApp.posting.lastError, /message_not_found/);
    await cli(d, ['unsnooze', c.name, '--all']);
  });

  test('the control endpoints want the bearer token', async () => {
    assert.equal((await api(d, 'GET', '/pending', null)).status, 401);
    assert.equal((await api(d, 'GET', '/pending', 'wrong')).status, 401);
    assert.equal((await api(d, 'POST', '/containers/web/snooze?for=forever')).status, 400);
  });

  test('/health shows the Socket Mode connection and a reconnect', async () => {
    const before = d.slack.connections();
    d.slack.disconnect();
    await waitFor(() => d.slack.connections() > before, { what: 'the reconnect' });
    const health = await waitFor(async () => {
      const h = await api(d, 'GET', '/health');
      return h.body.slackApp?.socket.connected && h.body.slackApp.socket.reconnects >= 1 ? h.body : undefined;
    }, { what: 'a connected socket after a reconnect' });
    assert.equal(health.slackApp.socket.enabled, true);
  });
});

describe('ask-first timeout and refusals without a token', { concurrency: 1 }, () => {
  test('a proposal nobody answers is escalated as not approved in time, and its message says so', async () => {
    const d = await startDoctor({ APPROVAL_TIMEOUT: '10' });
    try {
      const c = await scene(d, 'h10-timeout', 'sleep 1; echo "Error: worker crashed" >&2; exit 1');
      const { record, message } = await proposalFor(d, c);
      const late = await waitFor(async () => (await d.proc.auditRecords()).find((r) => r.incidentId === record.incidentId && r.decision?.guardrail === 'not-approved'), { what: 'the not-approved escalation', timeoutMs: 30_000 });
      assert.match(late.decision.reason, /not approved in time/);
      await d.slack.waitForCall('chat.update', (u) => u.args.ts === message.args.__ts && /Not approved in time/.test(u.args.text));
      // The escalation is posted with its own buttons and stays approvable for one more APPROVAL_TIMEOUT, then expires.
      const again = await d.slack.waitForCall('chat.postMessage', (m) => m !== message && JSON.stringify(m.args.blocks ?? []).includes(record.incidentId) && /doctor_restart/.test(JSON.stringify(m.args.blocks)));
      assert.match(JSON.stringify(again.args), /not approved in time/i);
      await waitFor(async () => (await api(d, 'GET', '/pending')).body.pending.every((p: any) => p.incidentId !== record.incidentId), { what: 'the second expiry', timeoutMs: 30_000 });
      const r = await api(d, 'POST', `/incidents/${record.incidentId}/approve`);
      assert.equal(r.status, 409);
      assert.match(r.body.detail, /expired/);
    } finally {
      await d.close();
    }
  });

  test('a doctor restarted after posting still updates the original message when the terminal approves', async () => {
    const first = await startDoctor();
    let second: DoctorProcess | undefined;
    try {
      const c = await scene(first, 'h10-restarted', failOnceThenRun('sleep 1; echo "Error: worker crashed" >&2; exit 1'));
      const { record, message } = await proposalFor(first, c);
      await first.proc.stop(undefined, { keepStateDir: true });
      // The same STATE_DIR, Slack and port: the doctor came back (an upgrade, a host reboot).
      const connections = first.slack.connections();
      second = await startDoctorProcess({ ...first.env, STATE_DIR: first.proc.stateDir });
      await waitFor(() => first.slack.connections() > connections, { what: 'the Socket Mode connection again' });
      await waitFor(() => fetch(`${first.url}/health`).then(() => true, () => false), { what: 'the health server again' });
      const r = await cli(first, ['approve', record.incidentId]);
      assert.equal(r.code, 0, `${r.stdout} ${r.stderr}`);
      const update = await first.slack.waitForCall('chat.update', (u) => u.args.ts === message.args.__ts && /approved by .*ops-carol/.test(u.args.text));
      assert.equal((update.args.blocks as any[]).some((b) => b.type === 'actions'), false, 'the buttons are gone');
      assert.ok(JSON.stringify(update.args.blocks).includes(c.name), 'the update keeps what the message said');
    } finally {
      await second?.stop();
      await first.close();
    }
  });

  test('without HEALTH_TOKEN the control endpoints are off', async () => {
    const d = await startDoctor({ HEALTH_TOKEN: '' });
    try {
      const r = await api(d, 'GET', '/pending');
      assert.equal(r.status, 403);
      assert.match(r.body.error, /HEALTH_TOKEN/);
    } finally {
      await d.close();
    }
  });
});
