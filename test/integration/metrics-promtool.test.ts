/**
 * /metrics of a real doctor (the built binary, the test engine) is clean for Prometheus's own
 * linter, `promtool check metrics`. promtool comes from Debian's `prometheus` package, which
 * .ci/run installs as it starts the engine; without it this test fails, it never skips.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { startDoctorProcess, type DoctorProcess } from '../helpers/doctor-process.js';
import { freePort } from '../helpers/free-port.js';
import { removeAllTestContainers, requireEngine, runContainer, testDocker, testDockerHost } from '../helpers/engine.js';

const execFileAsync = promisify(execFile);

/** Runs `promtool check metrics` on `text`; resolves with its exit code and output. */
function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

describe('/metrics against promtool', { timeout: 120_000 }, () => {
  let doctor: DoctorProcess;
  let port: number;

  before(async () => {
    await execFileAsync('promtool', ['--version']).catch((error: unknown) => {
      throw new Error(`promtool is missing (Debian package prometheus; .ci/run installs it): ${String(error)}`);
    });
    await requireEngine();
    // A crash the doctor records, so the labelled series and the histograms have samples.
    const crash = await runContainer({ name: 'prom-crash', cmd: "echo 'FATAL: out of memory'; exit 1", start: false });
    port = await freePort();
    doctor = await startDoctorProcess({ DOCKER_HOST: testDockerHost(), TARGET_CONTAINERS: crash.name, HEALTH_PORT: String(port), CHECK_INTERVAL: '1', AUTO_FIX: 'false' });
    const cycle = doctor.feed.length;
    await doctor.waitForFeed((l) => l.type === 'cycle', { after: cycle, what: 'a cycle' });
    await testDocker().getContainer(crash.id).start();
    await doctor.waitForFeed((l) => l.type === 'incident', { what: 'the incident' });
  });
  after(async () => {
    await doctor?.stop();
    await removeAllTestContainers();
  });

  test('promtool check metrics finds nothing to complain about', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /^doctor_incidents_total\{host="[^"]+",severity="\w+",class="[\w-]+"\} 1$/m);
    assert.match(text, /^doctor_incident_record_seconds_count\{host="[^"]+",trigger="\w+"\} 1$/m);
    const { code, output } = await promtoolCheck(text);
    assert.equal(output.trim(), '', 'promtool printed no lint problems');
    assert.equal(code, 0);
  });

  test('promtool itself fails on a broken exposition (the check can fail)', async () => {
    const { code } = await promtoolCheck('# TYPE doctor_things counter\ndoctor_things{a="1" 2\n');
    assert.notEqual(code, 0);
  });
});
