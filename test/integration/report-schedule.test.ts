/**
 * REPORT_SCHEDULE end to end: the built `doctor watch` (TZ=UTC, so the test knows when `daily
 * HH:MM` falls) watches a container that crashes once and that a person then starts again; the
 * schedule comes due a minute or so later, the digest arrives at a local generic JSON webhook over
 * real HTTP, and what it says is what `doctor report` says for the same window.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildReportDigest } from '../../src/core/report/report-digest.js';
import type { Report } from '../../src/core/report/report-types.js';
import { fastEnv, runCli } from '../helpers/doctor-harness.js';
import { startDoctorProcess, type DoctorProcess } from '../helpers/doctor-process.js';
import { FakeService, isObject, services } from '../helpers/fake-services.js';
import { removeAllTestContainers, requireEngine, runContainer, testDocker, testDockerHost, waitFor } from '../helpers/engine.js';
import { failOnceThenRun, statusOf } from '../helpers/scenes.js';

before(requireEngine);
after(removeAllTestContainers);

const MIN = 60_000;
const pad = (n: number) => String(n).padStart(2, '0');

/** The first whole UTC minute at least `leadMs` away, as `daily HH:MM`, and its time. */
function dailyScheduleAfter(leadMs: number): { schedule: string; atMs: number } {
  const atMs = Math.ceil((Date.now() + leadMs) / MIN) * MIN;
  const at = new Date(atMs);
  return { schedule: `daily ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}`, atMs };
}

describe('REPORT_SCHEDULE from a running doctor', () => {
  let hook: FakeService;
  let doctor: DoctorProcess | undefined;
  before(async () => {
    hook = await FakeService.start(services.json);
  });
  after(async () => {
    await doctor?.stop();
    await hook.close();
  });

  test('the digest comes when the schedule is due and says what `doctor report` says for its window', { timeout: 240_000 }, async () => {
    const c = await runContainer({ name: 'digest-once', cmd: failOnceThenRun('echo "Error: worker crashed" >&2; exit 1') });
    await waitFor(async () => (await statusOf(c.id)) === 'exited', { what: `${c.name} to exit` });
    // Time for the crash to be judged and for a person to start it again before the digest is due.
    const due = dailyScheduleAfter(40_000);
    doctor = await startDoctorProcess({
      ...fastEnv,
      TZ: 'UTC',
      DOCKER_HOST: testDockerHost(),
      TARGET_CONTAINERS: c.name,
      AUTO_FIX: 'false',
      CHECK_INTERVAL: '1',
      NOTIFY_URLS: `json://${hook.host}/hook`,
      REPORT_SCHEDULE: due.schedule,
    });
    await doctor.waitForFeed((l) => l.type === 'incident', { timeoutMs: 30_000, what: 'the crash judged' });
    await testDocker().getContainer(c.id).start();
    await waitFor(async () => (await statusOf(c.id)) === 'running', { what: `${c.name} started by a person` });
    // The stories are flushed every second; the person's start must be on file before the digest.
    const reportNow = async () => JSON.parse((await runCli(['report', '--json', '--since', '1d'], { STATE_DIR: doctor!.stateDir })).stdout) as Report;
    await waitFor(async () => (await reportNow()).recoveries[0]?.by === 'person', { what: 'the start on file', timeoutMs: 20_000 });
    assert.ok(Date.now() < due.atMs - 2_000, 'the scene was over before the digest was due');
    assert.equal(hook.requests.filter((r) => isObject(r.body) && r.body.kind === 'notice').length, 0, 'nothing before the schedule');

    await waitFor(() => hook.requests.some((r) => isObject(r.body) && r.body.kind === 'notice'), { what: 'the digest', timeoutMs: due.atMs - Date.now() + 30_000 });
    const receivedAt = Date.now();
    const digest = hook.requests.find((r) => isObject(r.body) && r.body.kind === 'notice')!.body as { title: string; lines: string[]; time: string };
    const sentAt = Date.parse(digest.time);
    assert.ok(sentAt >= due.atMs && sentAt <= receivedAt, `sent at ${digest.time}, due at ${new Date(due.atMs).toISOString()}`);

    // `doctor report` for the same window: the past day up to when it was sent (nothing happened since).
    const r = await runCli(['report', '--json', '--since', '1d', '--until', new Date(sentAt).toISOString()], { STATE_DIR: doctor.stateDir });
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.total.incidents, 1);
    assert.equal(report.containers.length, 1);
    assert.equal(report.observeOnly.incidents, 1);
    assert.equal(report.recoveries[0]?.by, 'person');

    assert.equal(digest.title, 'Doctor report: the last day');
    assert.deepEqual(digest.lines, buildReportDigest(report, '1d').markdown.split('\n'));
    assert.match(digest.lines[0]!, /^\*What happened\*: 1 incident\(s\) on 1 container\(s\); escalated: observe-only 1$/);
    assert.equal(digest.lines.at(-1), 'Full report: `doctor report --since 1d`');
    assert.equal(hook.requests.filter((x) => isObject(x.body) && x.body.kind === 'notice').length, 1, 'one digest per scheduled moment');
  });
});
