/**
 * A reader that closes the pipe (`doctor history --json | head -1`, quitting `less`) ends a
 * one-shot command quietly: its own exit status, nothing on stderr (src/cli/closed-output.ts).
 * `doctor watch` keeps watching and recording to STATE_DIR, and says so once on stderr.
 * Real processes and real pipes: the child's stdout is destroyed by this (the reading) end.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readAuditLog } from '../../src/adapters/audit/audit-log.js';
import { fastEnv, repoRoot } from '../helpers/doctor-harness.js';
import { makeRecord } from '../helpers/slack-records.js';
import { TEST_IMAGE, TEST_LABEL, removeContainers, requireEngine, testDocker, testDockerHost, waitFor } from '../helpers/engine.js';

let dir: string;
const containers: string[] = [];

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'doctor-closed-output-'));
});
after(async () => {
  await removeContainers(containers);
  await rm(dir, { recursive: true, force: true });
});

interface Spawned {
  readonly child: ReturnType<typeof spawn>;
  readonly stderr: () => string;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnDoctor(args: readonly string[], env: Record<string, string>): Spawned {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'doctor.js'), ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', HEALTH_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, stderr: () => stderr, exit };
}

/** Resolves with the first line the child prints, then closes the pipe as `head -1` would. */
function headOne(s: Spawned): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const out = s.child.stdout!;
    out.on('data', (d: Buffer) => {
      text += d.toString();
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      out.destroy();
      resolve(text.slice(0, nl));
    });
    out.on('error', reject);
    s.exit.then(() => reject(new Error(`exited before a whole line: ${s.stderr()}`)), reject);
  });
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

describe('a reader that closes the pipe', () => {
  test('history --json | head -1: exit 0, nothing on stderr (output far beyond the pipe buffer)', async () => {
    const stateDir = path.join(dir, 'history-state');
    await (await import('node:fs/promises')).mkdir(stateDir, { recursive: true });
    const base = makeRecord({ name: 'hpipe-web' });
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) lines.push(JSON.stringify({ ...base, incidentId: `inc-${i}`, time: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString() }));
    await writeFile(path.join(stateDir, 'audit.jsonl'), `${lines.join('\n')}\n`);
    assert.ok(lines.join('\n').length > 1_000_000, 'far more than a 64 KiB pipe buffer');

    const s = spawnDoctor(['history', '--json', '-n', '3000'], { STATE_DIR: stateDir });
    const first = await headOne(s);
    assert.equal((JSON.parse(first) as { incidentId: string }).incidentId, 'inc-2999', 'newest first');
    const { code, signal } = await withTimeout(s.exit, 30_000, 'history to exit');
    assert.deepEqual({ code, signal, stderr: s.stderr() }, { code: 0, signal: null, stderr: '' });
  });

  // The reader gone before the first write: each command's output path, commander's own too.
  for (const args of [['--help'], ['--version'], ['history', '--help'], ['config'], ['config', '--json'], ['completion', 'bash'], ['report', '--json'], ['history']]) {
    test(`doctor ${args.join(' ')} with its stdout closed: exit 0, nothing on stderr`, async () => {
      const s = spawnDoctor(args, { STATE_DIR: path.join(dir, 'empty-state'), DOCKER_HOST: 'unix:///nonexistent.sock' });
      s.child.stdout!.destroy();
      const { code, signal } = await withTimeout(s.exit, 30_000, `${args.join(' ')} to exit`);
      assert.deepEqual({ code, signal, stderr: s.stderr() }, { code: 0, signal: null, stderr: '' });
    });
  }

  test('watch --json with its stdout closed keeps watching and records the next incident', async () => {
    await requireEngine();
    const name = `hpipe-crash-${randomBytes(4).toString('hex')}`;
    // Created, not started: it dies only once the pipe is closed, so its feed lines hit a closed stdout.
    const created = await testDocker().createContainer({ name, Image: TEST_IMAGE, Cmd: ['sh', '-c', 'echo "FATAL: boom"; exit 3'], Labels: { [TEST_LABEL]: '1' } });
    containers.push(created.id);
    const stateDir = path.join(dir, 'watch-state');
    const s = spawnDoctor(['watch', '--json'], { ...fastEnv, STATE_DIR: stateDir, DOCKER_HOST: testDockerHost(), TARGET_CONTAINERS: name, AUTO_FIX: 'false' });
    try {
      const first = await withTimeout(headOne(s), 30_000, 'the started line');
      assert.equal((JSON.parse(first) as { type: string }).type, 'started');
      await created.start();
      const { records } = await waitFor(
        async () => {
          const r = await readAuditLog(path.join(stateDir, 'audit.jsonl'), { container: name });
          return r.records.length > 0 ? r : undefined;
        },
        { timeoutMs: 30_000, what: `an audit record for ${name}; stderr: ${s.stderr()}` },
      );
      assert.equal(records[0]!.container.name, name);
      assert.equal(s.child.exitCode, null, `the watcher is still running: ${s.stderr()}`);
      s.child.kill('SIGTERM');
      const { code, signal } = await withTimeout(s.exit, 30_000, 'watch to stop on SIGTERM');
      assert.deepEqual(
        { code, signal, stderr: s.stderr() },
        { code: 0, signal: null, stderr: 'doctor: stdout is closed; watching and recording to STATE_DIR go on, the feed is no longer printed\n' },
      );
    } finally {
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    }
  });
});
