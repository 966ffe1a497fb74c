/**
 * One doctor, two real engines on two sockets (DOCKER_HOST comma-separated). The second engine
 * is a private dockerd started by scripts/test-engine.sh for this test; it is stopped and started
 * again mid-test. Everything the doctor writes must name the engine it came from, and losing one
 * engine must leave the other watched.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { freePort } from '../helpers/free-port.js';
import path from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { createDockerodeClient } from '../helpers/dockerode-client.js';
import { repoRoot } from '../helpers/doctor-harness.js';
import { startDoctorProcess, type DoctorProcess, type FeedLine } from '../helpers/doctor-process.js';
import { requireEngine, TEST_IMAGE, TEST_LABEL, testDockerHost, waitFor } from '../helpers/engine.js';

const run = promisify(execFile);
const SECOND_ENGINE = 'doctor-test-2';
const script = path.join(repoRoot, 'scripts', 'test-engine.sh');

/** Starts the second engine; fails (never skips) when it cannot, with dockerd's own words. */
async function startSecondEngine(): Promise<string> {
  try {
    const { stdout } = await run(script, ['start', SECOND_ENGINE], { timeout: 180_000 });
    const host = stdout.trim().split('\n').at(-1)!;
    assert.match(host, /^unix:\/\//, `test-engine.sh printed no DOCKER_HOST: ${stdout}`);
    return host;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`cannot start the second test engine (${script} start ${SECOND_ENGINE}); the multi-host test needs root and dockerd: ${(error as Error).message}\n${stderr}`);
  }
}

async function stopSecondEngine(): Promise<void> {
  await run(script, ['stop', SECOND_ENGINE], { timeout: 60_000 });
}

interface EngineHealth {
  host: string;
  connected: boolean;
  eventsStreaming: boolean;
  lastError: string | null;
}

async function health(port: number): Promise<{ status: number; engines: EngineHealth[]; problems: string[] }> {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5_000) });
  const body = (await res.json()) as { docker: EngineHealth[]; problems: string[] };
  return { status: res.status, engines: body.docker, problems: body.problems };
}

function engineIn(list: EngineHealth[], host: string): EngineHealth {
  const found = list.find((e) => e.host === host);
  assert.ok(found, `/health names no engine ${host}: ${JSON.stringify(list)}`);
  return found;
}

const names = Array.from({ length: 4 }, (_, i) => `dt-mh-${i}-${randomBytes(3).toString('hex')}`);
const [crash1Before, crash2Before, crash1WhileDown, crash2After] = names as [string, string, string, string];

/** A container that logs a fatal line and exits 3; labelled so the doctor escalates, not restarts. */
async function crash(docker: Docker, name: string): Promise<void> {
  const container = await docker.createContainer({
    name,
    Image: TEST_IMAGE,
    Cmd: ['sh', '-c', 'sleep 1; echo "fatal: cannot open queue: state is corrupt" >&2; exit 3'],
    Labels: { [TEST_LABEL]: '1', 'doctor.restart': 'never' },
  });
  await container.start();
}

async function removeOurs(docker: Docker): Promise<void> {
  for (const name of names) {
    try {
      await docker.getContainer(name).remove({ force: true });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
  }
}

function incidentOf(doctor: DoctorProcess, name: string): Promise<FeedLine> {
  return doctor.waitForFeed((l) => l.type === 'incident' && (l['record'] as { container: { name: string } }).container.name === name, {
    timeoutMs: 60_000,
    what: `the incident of ${name}`,
  });
}

describe('one doctor watching two Docker engines', () => {
  const host1 = testDockerHost();
  let host2 = '';
  let docker1: Docker;
  let docker2: Docker;
  let doctor: DoctorProcess | undefined;

  before(async () => {
    await requireEngine();
    host2 = await startSecondEngine();
    assert.notEqual(host2, host1);
    docker1 = createDockerodeClient(host1);
    docker2 = createDockerodeClient(host2);
  });

  after(async () => {
    await doctor?.stop();
    await removeOurs(docker1);
    // The second engine may be down if the test failed midway; bring it back to clean up, then stop it.
    await startSecondEngine().then(() => removeOurs(createDockerodeClient(host2))).catch(() => undefined);
    await stopSecondEngine();
  });

  test('names the host everywhere, survives one engine going away, and catches up when it returns', async () => {
    const port = await freePort();
    doctor = await startDoctorProcess({
      DOCKER_HOST: `${host1},${host2}`,
      TARGET_CONTAINERS: names.join(','),
      CHECK_INTERVAL: '2',
      HEALTH_PORT: String(port),
      RESTART_SETTLE_TIME: '1',
    });
    const started = doctor.feed.find((l) => l.type === 'started')!;
    assert.deepEqual(started['hosts'], [host1, host2]);
    await waitFor(async () => {
      const h = await health(port);
      return h.engines.length === 2 && h.engines.every((e) => e.connected && e.eventsStreaming);
    }, { timeoutMs: 30_000, what: 'both engines connected in /health' });

    // Both engines watched: each incident names its own engine, in the feed and the audit log.
    await crash(docker1, crash1Before);
    await crash(docker2, crash2Before);
    const first1 = await incidentOf(doctor, crash1Before);
    const first2 = await incidentOf(doctor, crash2Before);
    assert.equal((first1['record'] as { container: { host: string } }).container.host, host1);
    assert.equal((first2['record'] as { container: { host: string } }).container.host, host2);

    // Engine 2 goes away; engine 1 must not notice.
    await stopSecondEngine();
    await docker1.ping();
    const down = await waitFor(async () => {
      const h = await health(port);
      return !engineIn(h.engines, host2).connected ? h : undefined;
    }, { timeoutMs: 30_000, what: `/health to show ${host2} down` });
    assert.equal(down.status, 503);
    assert.ok(down.problems.some((p) => p.includes(host2)), `problems name the down engine: ${JSON.stringify(down.problems)}`);
    assert.ok(!down.problems.some((p) => p.includes(host1)), `engine 1 is not reported: ${JSON.stringify(down.problems)}`);
    assert.equal(engineIn(down.engines, host1).connected, true);
    assert.ok(engineIn(down.engines, host2).lastError, 'the down engine carries its error');
    await doctor.waitForFeed((l) => l.type === 'engine-down' && l['host'] === host2, { timeoutMs: 30_000, what: 'engine-down for engine 2' });

    await crash(docker1, crash1WhileDown);
    const whileDown = await incidentOf(doctor, crash1WhileDown);
    assert.equal((whileDown['record'] as { container: { host: string } }).container.host, host1);

    // Engine 2 comes back: the doctor reconnects by itself and handles what happens there.
    const feedMark = doctor.feed.length;
    await startSecondEngine();
    await doctor.waitForFeed((l) => l.type === 'engine-up' && l['host'] === host2, { after: feedMark, timeoutMs: 90_000, what: 'engine 2 to reconnect' });
    await waitFor(async () => {
      const h = await health(port);
      return h.status === 200 && h.engines.every((e) => e.connected && e.eventsStreaming);
    }, { timeoutMs: 30_000, what: '/health healthy again' });
    await crash(docker2, crash2After);
    const after2 = await incidentOf(doctor, crash2After);
    assert.equal((after2['record'] as { container: { host: string } }).container.host, host2);

    // A cycle on each engine after the reconnect, then the audit log: one record per crash, each
    // naming its engine (the replayed events of engine 2 did not judge the old exit again).
    const mark = doctor.feed.length;
    for (const h of [host1, host2]) {
      await doctor.waitForFeed((l) => l.type === 'cycle' && l['host'] === h, { after: mark, timeoutMs: 30_000, what: `a cycle on ${h}` });
    }
    const records = await doctor.auditRecords();
    const byName = (name: string) => records.filter((r) => r['container'].name === name);
    for (const [name, host] of [[crash1Before, host1], [crash2Before, host2], [crash1WhileDown, host1], [crash2After, host2]] as const) {
      assert.equal(byName(name).length, 1, `${name}: exactly one audit record, got ${byName(name).length}`);
      assert.equal(byName(name)[0]!['container'].host, host);
    }
  });
});
