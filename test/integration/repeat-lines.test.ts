/**
 * Repeat lines from the real `doctor watch`: a running container that keeps logging the same
 * error is seen again every cycle; the audit log gets far fewer `repeat` lines than there were
 * repeats, the ones held back are written when the doctor stops (SIGTERM), and `doctor report`
 * counts every repeat the live feed showed (repeats are in the feed at LOG_LEVEL=debug).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Report } from '../../src/core/report/report-types.js';
import { fastEnv, runCli } from '../helpers/doctor-harness.js';
import { startDoctorProcess, type DoctorProcess } from '../helpers/doctor-process.js';
import { removeAllTestContainers, requireEngine, runContainer, testDockerHost, waitFor } from '../helpers/engine.js';
import { processAlive } from '../helpers/process-alive.js';

before(requireEngine);
after(removeAllTestContainers);


describe('repeat lines from a running doctor', () => {
  let doctor: DoctorProcess | undefined;
  after(async () => {
    await doctor?.stop();
  });

  test('a failure seen again every cycle: few lines, the report counts every repeat, held-back ones written at stop', { timeout: 120_000 }, async () => {
    const c = await runContainer({ name: 'repeating', cmd: 'while true; do echo "ERROR: upstream 10.0.0.7:5432 refused the connection"; sleep 0.3; done' });
    doctor = await startDoctorProcess({ ...fastEnv, DOCKER_HOST: testDockerHost(), TARGET_CONTAINERS: c.name, AUTO_FIX: 'false', CHECK_INTERVAL: '1', LOG_LEVEL: 'debug' });
    const repeats = () => doctor!.feed.filter((l) => l.type === 'repeat' && l['container'] === c.name);
    await waitFor(() => repeats().length >= 12, { what: 'a dozen repeats', timeoutMs: 60_000 });
    process.kill(doctor.pid, 'SIGTERM');
    await waitFor(() => !processAlive(doctor!.pid), { what: 'the doctor to stop', timeoutMs: 20_000 });

    const seen = repeats();
    const file = path.join(doctor.stateDir, 'audit.jsonl');
    const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.includes('"kind":"repeat"')).map((l) => JSON.parse(l) as { count: number; covered?: number });
    assert.ok(lines.length < seen.length / 2, `${lines.length} repeat lines for ${seen.length} repeats`);
    assert.equal(lines.reduce((n, l) => n + (l.covered ?? 1), 0), seen.length, 'the lines stand for every repeat');
    assert.equal(lines.at(-1)!.count, seen.at(-1)!['count'], 'the last line has the count at stop');

    const r = await runCli(['report', '--json', '--since', '1h'], { STATE_DIR: doctor.stateDir });
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.total.repeats, seen.length);
    assert.equal(report.didItHelp.repeatedSignatures[0]?.count, report.total.incidents + seen.length);
  });
});
