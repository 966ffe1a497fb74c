/**
 * The built `doctor` binary, spawned as a person or a service manager would run it, against the
 * test engine: exit codes, what goes to stdout (data) and stderr (people), colours, signals, and
 * what it leaves in STATE_DIR. `npm test` builds first; run `npm run build` before running this
 * file on its own.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, requireBuild, runCli, type CliResult } from '../helpers/doctor-harness.js';
import { removeAllTestContainers, requireEngine, runContainer, testDockerHost, waitFor, type TestContainer } from '../helpers/engine.js';
import { failOnceThenRun, startedAt, statusOf } from '../helpers/scenes.js';

const bin = path.join(repoRoot, 'bin', 'doctor.js');
const ANSI = /\x1b\[[0-9;]*m/;
const STACK = /^\s+at /m;

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'doctor-cli-'));
  dirs.push(dir);
  return dir;
}

before(async () => {
  requireBuild();
  await requireEngine();
});
after(async () => {
  await removeAllTestContainers();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Runs the binary on the test engine with a fresh STATE_DIR (or the one given), from that directory. */
async function doctor(args: readonly string[], env: Record<string, string> = {}, stateDir?: string): Promise<CliResult & { stateDir: string }> {
  const dir = stateDir ?? (await tempDir());
  const result = await runCli(args, { DOCKER_HOST: testDockerHost(), STATE_DIR: dir, HEALTH_PORT: '0', ...env }, { cwd: dir });
  return { ...result, stateDir: dir };
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}

function exitedContainer(name: string, cmd = 'echo "Error: boom: job 7 failed" >&2; exit 1'): Promise<TestContainer> {
  return runContainer({ name, cmd }).then(async (c) => {
    await waitFor(async () => (await statusOf(c.id)) === 'exited', { what: `${c.name} to exit` });
    return c;
  });
}

describe('doctor diagnose', { concurrency: 4 }, () => {
  let crashed: TestContainer;
  let healthy: TestContainer;
  before(async () => {
    [crashed, healthy] = await Promise.all([exitedContainer('cli-crashed'), runContainer({ name: 'cli-healthy', cmd: 'echo "listening on :8080"; exec sleep 3600' })]);
  });

  test('a crashed container: exit 1 and a readable report; nothing acted on or recorded without --fix', async () => {
    const before = await startedAt(crashed.id);
    const r = await doctor(['diagnose', crashed.name]);
    assert.equal(r.code, 1, r.stderr);
    for (const part of [crashed.name, 'exit code 1', 'Error: boom: job 7 failed', 'Diagnosis', 'Decision', 'RESTART', '--fix']) {
      assert.ok(r.stdout.includes(part), `report mentions ${part}:\n${r.stdout}`);
    }
    assert.doesNotMatch(r.stdout, ANSI);
    assert.equal(r.stderr, '');
    assert.equal(await startedAt(crashed.id), before, 'not restarted');
    assert.equal(await statusOf(crashed.id), 'exited');
    const audit = await readFile(path.join(r.stateDir, 'audit.jsonl'), 'utf8').catch(() => '');
    assert.equal(audit.trim(), '', 'nothing recorded');
  });

  test('--json prints exactly one JSON object with container, findings, signature, diagnosis, decision', async () => {
    const r = await doctor(['diagnose', crashed.name, '--json']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(lines(r.stdout).length, 1, r.stdout);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const key of ['container', 'findings', 'signature', 'diagnosis', 'decision']) assert.ok(key in out, `has ${key}`);
    const { container, findings, signature, diagnosis, decision } = out as {
      container: { name: string };
      findings: Array<{ line: string }>;
      signature: string;
      diagnosis: { rule: string; source: string };
      decision: { action: string; executed: boolean };
    };
    assert.equal(container.name, crashed.name);
    assert.ok(findings.some((f) => f.line.includes('Error: boom')));
    assert.match(signature, /^[0-9a-f]{16}$/);
    assert.equal(diagnosis.source, 'rules');
    assert.equal(decision.action, 'restart');
    assert.equal(decision.executed, false);
  });

  test('a healthy container: exit 0', async () => {
    const r = await doctor(['diagnose', healthy.name]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(r.stdout.includes(healthy.name));
    const j = await doctor(['diagnose', healthy.name, '--json']);
    assert.equal(j.code, 0);
    assert.equal((JSON.parse(j.stdout) as { decision: { action: string } }).decision.action, 'none');
  });

  test('--json names its compose neighbours both ways (depends_on with restart: true): what it depends on and what depends on it, with their states', async () => {
    const project = `cli-nb-${Date.now().toString(36)}`;
    const compose = (service: string, dependsOn?: string) => ({
      'com.docker.compose.project': project,
      'com.docker.compose.service': service,
      ...(dependsOn ? { 'com.docker.compose.depends_on': dependsOn } : {}),
    });
    const db = await runContainer({ name: 'cli-nb-db', cmd: 'exec sleep 3600', labels: compose('db') });
    const stranger = await runContainer({ name: 'cli-nb-other', cmd: 'exec sleep 3600' });
    const apiSvc = await runContainer({ name: 'cli-nb-api', cmd: 'echo "Error: boom" >&2; exit 1', labels: compose('api', 'db:service_started:true') });
    await waitFor(async () => (await statusOf(apiSvc.id)) === 'exited', { what: 'the api to exit' });
    const web = await runContainer({ name: 'cli-nb-web', cmd: 'exec sleep 3600', labels: compose('web', 'api:service_started:true') });
    const r = await doctor(['diagnose', apiSvc.name, '--json']);
    assert.equal(r.code, 1, r.stderr);
    const { neighbours } = JSON.parse(r.stdout) as { neighbours: Array<{ name: string; direction: string; status: string }> };
    const byName = new Map(neighbours.map((n) => [n.name, n]));
    assert.equal(byName.get(db.name)?.direction, 'depends-on', r.stdout);
    assert.equal(byName.get(db.name)?.status, 'running');
    assert.equal(byName.get(web.name)?.direction, 'dependent', r.stdout);
    assert.ok(!byName.has(stranger.name), 'a container outside the project is no neighbour');
  });

  test('an unknown container: exit 2 and one line', async () => {
    const r = await doctor(['diagnose', 'dt-no-such-container-anywhere']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(lines(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, /dt-no-such-container-anywhere/);
  });

  for (const host of ['unix:///tmp/doctor-cli-no-such.sock', 'tcp://127.0.0.1:1']) {
    test(`an unreachable DOCKER_HOST (${host}): exit 3, one line, no stack trace`, async () => {
      for (const args of [['diagnose', 'anything'], ['watch', '--once']]) {
        const r = await doctor(args, { DOCKER_HOST: host });
        assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, STACK);
        const errors = lines(r.stderr);
        assert.equal(errors.length, 1, r.stderr);
        assert.match(errors[0]!, /^doctor: .*(reach|Docker Engine)/);
      }
    });
  }

  test('bad configuration: exit 2 with one line naming the setting', async () => {
    const file = path.join(await tempDir(), 'plain-file');
    await writeFile(file, 'not a directory\n');
    const rows: Array<[string, string]> = [
      ['CHECK_INTERVAL', 'abc'],
      ['LOG_LINES', '-5'],
      ['STATE_DIR', file],
      ['AUTO_FIX', 'maybe'],
      ['MAX_RESTARTS_PER_HOUR', 'lots'],
      ['MIN_DEAD_TIME', '-1'],
    ];
    for (const [name, value] of rows) {
      for (const args of [['diagnose', crashed.name], ['watch', '--once']]) {
        const r = await doctor(args, { [name]: value });
        assert.equal(r.code, 2, `${name}=${value} ${args[0]}: ${r.stderr}`);
        const errors = lines(r.stderr);
        assert.equal(errors.length, 1, r.stderr);
        assert.ok(errors[0]!.includes(name), `names ${name}: ${errors[0]}`);
        assert.doesNotMatch(r.stderr, STACK);
      }
    }
    const flag = await doctor(['watch', '--once', '--log-lines', 'zero']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /--log-lines/);
  });

  test('--fix restarts it for real and records the incident', async () => {
    const c = await exitedContainer('cli-fix', failOnceThenRun('echo "Error: boom" >&2; exit 1'));
    const before = await startedAt(c.id);
    const r = await doctor(['diagnose', c.name, '--fix', '--json'], { RESTART_SETTLE_TIME: '1' });
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout) as { decision: { action: string; executed: boolean } };
    assert.equal(out.decision.action, 'restart');
    assert.equal(out.decision.executed, true);
    assert.notEqual(await startedAt(c.id), before, 'Docker started it again');
    assert.equal(await statusOf(c.id), 'running');
    // Written ahead: the decision before the restart call, its outcome after the settle check.
    const written = lines(await readFile(path.join(r.stateDir, 'audit.jsonl'), 'utf8')).map((l) => JSON.parse(l) as { kind?: string; incidentId: string; container?: { name: string }; outcome: { status: string } });
    assert.equal(written.length, 2);
    assert.equal(written[0]!.container?.name, c.name);
    assert.equal(written[0]!.outcome.status, 'pending');
    assert.deepEqual([written[1]!.kind, written[1]!.incidentId, written[1]!.outcome.status], ['outcome', written[0]!.incidentId, 'restarted']);
  });

  test('colours: none with NO_COLOR or off a terminal, some with FORCE_COLOR', async () => {
    const plain = await doctor(['diagnose', crashed.name], { NO_COLOR: '' });
    assert.doesNotMatch(plain.stdout, ANSI, 'stdout is not a terminal');
    const forced = await doctor(['diagnose', crashed.name], { NO_COLOR: '', FORCE_COLOR: '1' });
    assert.match(forced.stdout, ANSI);
    const both = await doctor(['diagnose', crashed.name], { NO_COLOR: '1', FORCE_COLOR: '1' });
    assert.doesNotMatch(both.stdout, ANSI, 'NO_COLOR wins');
    assert.equal(both.code, forced.code);
  });
});

describe('doctor watch and doctor history', { concurrency: 1 }, () => {
  let stateDir: string;
  let failed: TestContainer;
  let done: TestContainer;
  let env: Record<string, string>;

  before(async () => {
    stateDir = await tempDir();
    [failed, done] = await Promise.all([exitedContainer('cli-watch-failed'), exitedContainer('cli-watch-done', 'echo "all rows copied"; exit 0')]);
    env = { TARGET_CONTAINERS: `${failed.name},${done.name}`, AUTO_FIX: 'false' };
  });

  test('watch --once --json prints only JSON lines on stdout and records both containers', async () => {
    const r = await doctor(['watch', '--once', '--json'], env, stateDir);
    assert.equal(r.code, 0, r.stderr);
    const events = lines(r.stdout).map((l) => JSON.parse(l) as { type: string; record?: { container: { name: string } } });
    assert.ok(events.length >= 3, r.stdout);
    assert.equal(events[0]!.type, 'started');
    const recorded = events.filter((e) => e.type === 'incident').map((e) => e.record!.container.name).sort();
    assert.deepEqual(recorded, [failed.name, done.name].sort());
  });

  test('history shows the timeline; --json is JSON lines; --container and -n filter', async () => {
    const text = await doctor(['history'], {}, stateDir);
    assert.equal(text.code, 0, text.stderr);
    assert.ok(text.stdout.includes(failed.name) && text.stdout.includes(done.name), text.stdout);
    assert.doesNotMatch(text.stdout, ANSI);

    const json = await doctor(['history', '--json'], {}, stateDir);
    const records = lines(json.stdout).map((l) => JSON.parse(l) as { incidentId: string; time: string; container: { name: string }; decision: { guardrail: string | null } });
    assert.equal(records.length, 2);
    assert.ok(Date.parse(records[0]!.time) >= Date.parse(records[1]!.time), 'newest first');
    const byName = new Map(records.map((r) => [r.container.name, r]));
    assert.equal(byName.get(failed.name)?.decision.guardrail, 'observe-only');
    assert.equal(byName.get(done.name)?.decision.guardrail, 'completed');

    const one = await doctor(['history', '--json', '--container', failed.name], {}, stateDir);
    assert.deepEqual(lines(one.stdout).map((l) => (JSON.parse(l) as { container: { name: string } }).container.name), [failed.name]);

    const limited = await doctor(['history', '--json', '-n', '1'], {}, stateDir);
    assert.equal(lines(limited.stdout).length, 1);
    assert.equal((JSON.parse(limited.stdout) as { incidentId: string }).incidentId, records[0]!.incidentId);
  });

  test('a torn last line in audit.jsonl is skipped by history, and the next watch appends cleanly after it', async () => {
    const file = path.join(stateDir, 'audit.jsonl');
    await appendFile(file, '{"v":1,"incidentId":"inc-torn","time":"2026-');
    const h = await doctor(['history', '--json'], {}, stateDir);
    assert.equal(h.code, 0);
    assert.equal(lines(h.stdout).length, 2, 'the torn line is not a record');
    assert.match(h.stderr, /skipped 1 damaged line/);

    const c = await exitedContainer('cli-after-torn');
    const w = await doctor(['watch', '--once', '--json'], { TARGET_CONTAINERS: c.name, AUTO_FIX: 'false' }, stateDir);
    assert.equal(w.code, 0, w.stderr);
    const raw = lines(await readFile(file, 'utf8'));
    assert.equal(raw.length, 4);
    assert.equal(raw[2], '{"v":1,"incidentId":"inc-torn","time":"2026-', 'the torn line stays alone on its line');
    assert.equal((JSON.parse(raw[3]!) as { container: { name: string } }).container.name, c.name);
    const after = await doctor(['history', '--json'], {}, stateDir);
    assert.equal(lines(after.stdout).length, 3);
  });

  test('a damaged state.json is moved aside (not deleted) with a warning', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'state.json'), '{"v":1,"containers":{"local/x":');
    const r = await doctor(['watch', '--once', '--json'], { TARGET_CONTAINERS: done.name }, dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /state file was damaged \(not valid JSON\); moved aside to/);
    const moved = (await readdir(dir)).filter((f) => f.startsWith('state.json.corrupt-'));
    assert.equal(moved.length, 1);
    assert.equal(await readFile(path.join(dir, moved[0]!), 'utf8'), '{"v":1,"containers":{"local/x":');
    JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8'));
  });
});

/** A long-running `doctor watch`: its output so far, and its exit. */
interface Running {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startWatch(env: Record<string, string>, stateDir: string): Running {
  const child = spawn(process.execPath, [bin, 'watch', '--json'], {
    cwd: stateDir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', DOCKER_HOST: testDockerHost(), STATE_DIR: stateDir, HEALTH_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Waits for the exit, killing the process if it has not exited in `ms` (then the test fails). */
async function exitWithin(run: Running, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  const result = await Promise.race([run.exit, timeout]);
  clearTimeout(timer);
  if (result === 'timeout') {
    run.child.kill('SIGKILL');
    assert.fail(`doctor watch did not exit within ${ms} ms; stderr: ${run.stderr()}`);
  }
  return result;
}

describe('doctor watch signals', { concurrency: 2 }, () => {
  test('SIGTERM stops it cleanly: exit 0', async () => {
    const dir = await tempDir();
    const run = startWatch({ TARGET_CONTAINERS: 'dt-none-such', CHECK_INTERVAL: '1' }, dir);
    await waitFor(() => run.stdout().includes('"type":"cycle"'), { what: 'a first cycle' });
    run.child.kill('SIGTERM');
    const { code } = await exitWithin(run, 10_000);
    assert.equal(code, 0, run.stderr());
    assert.match(run.stdout(), /"type":"stopped","reason":"SIGTERM"/);
    assert.doesNotMatch(run.stderr(), STACK);
  });

  test('a second SIGINT forces the exit while the first waits for work in flight', async () => {
    const dir = await tempDir();
    const c = await runContainer({ name: 'cli-sigint', cmd: failOnceThenRun('echo "Error: boom" >&2; exit 1') });
    // A long settle wait after the restart keeps an incident in flight.
    const run = startWatch({ TARGET_CONTAINERS: c.name, CHECK_INTERVAL: '1', RESTART_SETTLE_TIME: '120' }, dir);
    await waitFor(() => run.stdout().includes('"type":"restarting"'), { timeoutMs: 30_000, what: 'the restart to begin' });
    run.child.kill('SIGINT');
    await waitFor(() => run.stdout().includes('"type":"stopped"'), { what: 'the first SIGINT to be seen' });
    assert.equal(run.child.exitCode, null, 'still draining the incident in flight');
    run.child.kill('SIGINT');
    const { code } = await exitWithin(run, 10_000);
    assert.equal(code, 130);
    assert.match(run.stderr(), /second SIGINT/);
  });
});
