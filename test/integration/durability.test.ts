/**
 * A doctor that keeps dying never loses an action: with `kill -9` at random moments while
 * containers crash, every restart Docker made (counted from the engine's own start events) is in
 * the audit log and in the restart throttle's count, because both are written before the call.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readAuditLog } from '../../src/adapters/audit/audit-log.js';
import { historyKey } from '../../src/core/history.js';
import { startDoctorProcess } from '../helpers/doctor-process.js';
import { removeAllTestContainers, requireEngine, runContainer, testDocker, testDockerHost, waitFor, type TestContainer } from '../helpers/engine.js';
import { countStarts, failOnceThenRun, statusOf } from '../helpers/scenes.js';
import { processAlive } from '../helpers/process-alive.js';
import { openHarness } from '../helpers/doctor-harness.js';
import { StateError } from '../../src/core/errors.js';

before(requireEngine);
after(removeAllTestContainers);

const KILLS = 20;
const CONTAINERS = 8;


describe('kill -9 durability', () => {
  test(`${KILLS} kill -9s at random moments: every restart is in the audit log and the throttle`, async () => {
    const scope = randomBytes(4).toString('hex');
    const containers: TestContainer[] = [];
    for (let i = 0; i < CONTAINERS; i += 1) {
      // Each crashes once, at its own moment, and stays up after a restart.
      const delay = (0.3 + i * 1.7).toFixed(1);
      containers.push(await runContainer({ name: `durable-${i}`, cmd: failOnceThenRun(`sleep ${delay}; echo "Error: worker ${i} crashed" >&2; exit 1`), labels: { 'doctor.scene': scope }, start: false }));
    }
    const starts = await countStarts(containers.map((c) => c.id));
    const stateDir = await mkdtemp(path.join(tmpdir(), 'doctor-durable-'));
    const doctors: number[] = [];
    const env = {
      DOCKER_HOST: testDockerHost(),
      STATE_DIR: stateDir,
      TARGET_LABEL: `doctor.scene=${scope}`,
      CHECK_INTERVAL: '1',
      RESTART_SETTLE_TIME: '2',
      MIN_DEAD_TIME: '1',
      MAX_RESTARTS_PER_HOUR: '50',
    };
    try {
      await Promise.all(containers.map((c) => testDocker().getContainer(c.id).start()));
      for (let i = 0; i < KILLS; i += 1) {
        const doctor = await startDoctorProcess(env);
        doctors.push(doctor.pid);
        await new Promise((r) => setTimeout(r, randomInt(100, 1_500)));
        process.kill(doctor.pid, 'SIGKILL');
        await waitFor(() => !processAlive(doctor.pid), { what: 'the killed doctor to be gone' });
      }
      // One doctor that is left alone finishes what the others began.
      const last = await startDoctorProcess(env);
      doctors.push(last.pid);
      try {
        await waitFor(async () => (await Promise.all(containers.map((c) => statusOf(c.id)))).every((s) => s === 'running'), { what: 'every container running again', timeoutMs: 90_000 });
      } catch (error) {
        const { records } = await readAuditLog(path.join(stateDir, 'audit.jsonl'));
        const states = await Promise.all(containers.map(async (c) => `${c.name}: ${await statusOf(c.id)}`));
        throw new Error(`${(error as Error).message}\n${states.join('\n')}\n${JSON.stringify(records.map((r) => [r.container.name, r.trigger.kind, r.decision.action, r.decision.guardrail, r.decision.reason, r.outcome.status, r.outcome.detail]), null, 1)}`);
      }
      await waitFor(async () => {
        const { records } = await readAuditLog(path.join(stateDir, 'audit.jsonl'));
        return records.every((r) => r.outcome.status !== 'pending' || !/no outcome was recorded/.test(r.outcome.detail));
      }, { what: 'every pending restart resolved', timeoutMs: 30_000 });
      await new Promise((r) => setTimeout(r, 3_000));
      process.kill(last.pid, 'SIGTERM');
      await waitFor(() => !processAlive(last.pid), { what: 'the last doctor to stop', timeoutMs: 20_000 });

      const { records } = await readAuditLog(path.join(stateDir, 'audit.jsonl'));
      const state = JSON.parse(await readFile(path.join(stateDir, 'state.json'), 'utf8')) as { containers: Record<string, { restarts: string[] }> };
      for (const c of containers) {
        const byEngine = starts.count(c.id) - 1;
        const issued = records.filter((r) => r.container.id === c.id && r.decision.action === 'restart' && r.decision.executed);
        const counted = state.containers[historyKey(testDockerHost(), c.name)]?.restarts.length ?? 0;
        const summary = JSON.stringify(records.filter((r) => r.container.id === c.id).map((r) => [r.decision.action, r.decision.executed, r.outcome.status, r.outcome.detail]));
        assert.ok(byEngine >= 1, `${c.name} was restarted: ${summary}`);
        assert.equal(issued.length, byEngine, `${c.name}: Docker restarted it ${byEngine} times; the audit log: ${summary}`);
        assert.ok(counted >= byEngine, `${c.name}: the throttle counts ${counted} of ${byEngine} restarts`);
      }
    } finally {
      // A failed assertion must not leave a doctor behind (it would keep the test process alive).
      for (const pid of doctors) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
      starts.close();
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});

describe('a state file that cannot be written', () => {
  test('does not keep an incident out of the audit log, and the failure is reported', async () => {
    const h = await openHarness();
    try {
      const c = await runContainer({ name: 'unsaved', cmd: 'echo "fatal: cannot open queue: state is corrupt" >&2; exit 3', labels: { 'doctor.restart': 'never' } });
      await waitFor(async () => (await statusOf(c.id)) === 'exited', { what: 'the container to exit' });
      // A non-empty directory where state.json goes: every save's rename onto it fails.
      await mkdir(path.join(h.stateDir, 'state.json', 'in-the-way'), { recursive: true });
      const at = (await testDocker().getContainer(c.id).inspect()).State.FinishedAt;
      await assert.rejects(
        h.handler().handle({ engine: h.engine, id: c.id, trigger: { kind: 'die', at, event: 'die' }, act: true, record: true, askAi: false }),
        (e: unknown) => e instanceof StateError,
      );
      const records = await h.records(c.name);
      assert.equal(records.length, 1, 'the incident is in the audit log');
      assert.equal(records[0]!.evidence.exitCode, 3);
      assert.equal(records[0]!.decision.action, 'escalate');
    } finally {
      await rm(path.join(h.stateDir, 'state.json'), { recursive: true, force: true });
      await h.close();
    }
  });
});
