/**
 * Bad input, through the built binary: every case is one line on stderr naming what to change,
 * exit 2, no stack trace; and what was only odd (a messy .env, one engine of two down, a damaged
 * state file) is a warning line while the run goes on. `npm test` builds first.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, runCli, type CliResult } from '../helpers/doctor-harness.js';
import { removeAllTestContainers, requireEngine, runContainer, testDockerHost, type TestContainer } from '../helpers/engine.js';

const STACK = /^\s+at /m;
const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'doctor-inputs-'));
  dirs.push(dir);
  return dir;
}

let running: TestContainer;
before(async () => {
  await requireEngine();
  running = await runContainer({ name: 'inputs-running', cmd: 'echo "listening on :8080"; exec sleep 3600' });
});
after(async () => {
  await removeAllTestContainers();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function doctor(args: readonly string[], env: Record<string, string> = {}, cwd?: string): Promise<CliResult> {
  const dir = cwd ?? (await tempDir());
  return runCli(args, { DOCKER_HOST: testDockerHost(), STATE_DIR: dir, HEALTH_PORT: '0', ...env }, { cwd: dir });
}

/** The executable itself, as `doctor` on PATH runs it (not `node bin/doctor.js`). */
function doctorExecutable(args: readonly string[], env: Record<string, string>, cwd: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(repoRoot, 'bin', 'doctor.js'), args, { cwd, env: { PATH: process.env.PATH ?? '', HOME: '/root', NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function oneLine(r: CliResult, pattern: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.doesNotMatch(r.stderr, STACK);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, pattern);
}

describe('bad input: one line, exit 2', { concurrency: 4 }, () => {
  test("diagnose '' names the empty container", async () => {
    oneLine(await doctor(['diagnose', '']), /^doctor: container "" is not a container name or id: it is empty$/);
  });

  test('diagnose ../../containers/json is refused before any Engine API call', async () => {
    oneLine(await doctor(['diagnose', '../../containers/json']), /^doctor: container "\.\.\/\.\.\/containers\/json" is not a container name or id/);
  });

  test('a name with control bytes is an invalid name, not "cannot reach the Docker Engine"', async () => {
    oneLine(await doctor(['diagnose', 'web\u0001x']), /^doctor: container "web\\u0001x" is not a container name or id: it contains control characters$/);
  });

  test('--env-file with a missing file: our message on Node 20 too (not "node: /missing: not found")', async () => {
    const dir = await tempDir();
    for (const args of [['history', '--env-file', '/missing/doctor.env'], ['history', '--env-file=/missing/doctor.env']]) {
      oneLine(await doctorExecutable(args, { STATE_DIR: dir }, dir), /^doctor: cannot read env file \/missing\/doctor\.env: no such file \(ENOENT\)$/);
    }
    await writeFile(path.join(dir, 'my.env'), 'LOG_LINES=7\n');
    const ok = await doctorExecutable(['history', '--env-file', path.join(dir, 'my.env')], { STATE_DIR: dir }, dir);
    assert.equal(ok.code, 0, ok.stderr);
  });

  test('HEALTH_PORT already in use names HEALTH_PORT', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as AddressInfo).port;
    try {
      oneLine(await doctor(['watch', '--json'], { HEALTH_PORT: String(port), TARGET_CONTAINERS: running.name }), new RegExp(`^doctor: HEALTH_PORT ${port} is already in use on 127\\.0\\.0\\.1`));
    } finally {
      busy.close();
    }
  });

  test('HEALTH_HOST that does not resolve, or is not an address here, names HEALTH_HOST', async () => {
    oneLine(await doctor(['watch', '--json'], { HEALTH_PORT: '18089', TARGET_CONTAINERS: running.name, HEALTH_HOST: 'no-such-host.invalid' }), /^doctor: HEALTH_HOST "no-such-host\.invalid" does not resolve/);
    oneLine(await doctor(['watch', '--json'], { HEALTH_PORT: '18090', TARGET_CONTAINERS: running.name, HEALTH_HOST: '203.0.113.7' }), /^doctor: HEALTH_HOST "203\.0\.113\.7" is not an address of this machine/);
  });

  test('ERROR_PATTERNS with thousands of phrases is one short line', async () => {
    const many = Array.from({ length: 5000 }, (_, i) => `custom failure ${i}`).join(',');
    const r = await doctor(['watch', '--once', '--json'], { ERROR_PATTERNS: many, TARGET_CONTAINERS: running.name });
    oneLine(r, /^doctor: ERROR_PATTERNS has 5000 phrases; at most 200 are accepted/);
    assert.ok(r.stderr.length < 300);
  });
});

describe('odd input: warning lines, and the run goes on', { concurrency: 4 }, () => {
  test('.env.example copied to .env works as its first line says', async () => {
    const dir = await tempDir();
    await copyFile(path.join(repoRoot, '.env.example'), path.join(dir, '.env'));
    const r = await runCli(['history'], { XDG_STATE_HOME: dir }, { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
  });

  test('a .env line without "=", binary garbage, a near-miss name: one warning each; other variables silent', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, '.env'), Buffer.concat([Buffer.from('PGHOST=db\nCHECK_INTERVALL=5\nLOG_LINES\n'), Buffer.from([0x00, 0xff, 0x0a])]));
    const r = await doctor(['history'], {}, dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stderr.split('\n').filter((l) => l !== ''), [
      'doctor: warning: .env line 2: CHECK_INTERVALL is not a setting; did you mean CHECK_INTERVAL? (ignored)',
      'doctor: warning: .env line 3 ("LOG_LINES") is not NAME=value; ignored',
      'doctor: warning: .env line 4 is not text (binary data?); ignored',
    ]);
  });

  test('DOCKER_HOST=ssh:// prints no Node deprecation warning', async () => {
    const r = await doctor(['watch', '--once', '--json'], { DOCKER_HOST: 'ssh://nobody@127.0.0.1:1' });
    assert.equal(r.code, 3, r.stderr);
    assert.doesNotMatch(r.stderr, /DeprecationWarning|DEP0\d+/);
  });

  test('--once with one engine of two down exits 0 and says which one was not checked', async () => {
    const r = await doctor(['watch', '--once', '--json'], { DOCKER_HOST: `${testDockerHost()},unix:///nonexistent/docker.sock`, TARGET_CONTAINERS: running.name });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^doctor: warning: engine unix:\/\/\/nonexistent\/docker\.sock was not checked: /m);
  });

  test('state.json with valid JSON but wrong types, and a damaged diagnoses.json: moved aside by a writing run (--fix), one warning line each', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'state.json'), '{"v":1,"containers":{"local/web":{"deaths":"zzz","ooms":[],"restarts":[],"incidents":[]}},"lastEventMs":{}}');
    await writeFile(path.join(dir, 'diagnoses.json'), '{"v":1,"takes":[1,');
    const r = await doctor(['diagnose', running.name, '--json', '--fix'], {}, dir);
    assert.equal(r.code, 0, r.stderr);
    const warnings = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(warnings.length, 2, r.stderr);
    assert.match(warnings[0]!, /^doctor: warning: state file was damaged \(wrong content at containers\.local\/web\.deaths: .*\); moved aside to .*state\.json\.corrupt-\d+/);
    assert.match(warnings[1]!, /^doctor: warning: diagnosis budget file was damaged \(not valid JSON\); moved aside to .*diagnoses\.json\.corrupt-\d+/);
    JSON.parse(r.stdout);
  });
});
