/**
 * A one-shot command keeps V8's compiled code of its file for the next run
 * (src/cli/compiled-require.ts): where, when it is used, rewritten or refused, and that a watch
 * never keeps any. Against the built binary.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requireBuild, runCli } from '../helpers/doctor-harness.js';
import { removeAllTestContainers, requireEngine, runContainer, testDockerHost } from '../helpers/engine.js';

let dir: string;
let n = 0;

before(async () => {
  requireBuild();
  await requireEngine();
  dir = await mkdtemp(path.join(tmpdir(), 'doctor-compiled-'));
});
after(async () => {
  await removeAllTestContainers();
  await rm(dir, { recursive: true, force: true });
});

/** A fresh cache root and state directory for one test. */
async function fresh(): Promise<{ cache: string; env: Record<string, string> }> {
  const root = path.join(dir, `case-${++n}`);
  await mkdir(root);
  const cache = path.join(root, 'cache');
  return { cache, env: { NODE_COMPILE_CACHE: cache, STATE_DIR: path.join(root, 'state'), DOCKER_HOST: testDockerHost() } };
}

async function codeFiles(cache: string): Promise<string[]> {
  return (await readdir(path.join(cache, 'container-doctor')).catch(() => [] as string[])).sort();
}

describe('compiled code of one-shot commands', () => {
  test('the first run writes it, owner-only; the next reads it back and prints the same', async () => {
    const { cache, env } = await fresh();
    const { name } = await runContainer({ name: 'cc-crash', cmd: 'echo "fatal: cannot open queue: state is corrupt" >&2; exit 3' });
    const first = await runCli(['diagnose', name, '--json'], env);
    assert.equal(first.code, 1, first.stderr);
    const files = await codeFiles(cache);
    assert.equal(files.length, 1, files.join(', '));
    assert.match(files[0]!, /^diagnose-[0-9a-f]{16}\.code$/);
    const file = path.join(cache, 'container-doctor', files[0]!);
    assert.equal((await stat(path.join(cache, 'container-doctor'))).mode & 0o777, 0o700);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const written = await readFile(file);

    const second = await runCli(['diagnose', name, '--json'], env);
    assert.equal(second.code, 1, second.stderr);
    const strip = (out: string) => JSON.parse(out, (key, value: unknown) => (key === 'at' || key === 'durationMs' ? undefined : value)) as unknown;
    assert.deepEqual(strip(second.stdout), strip(first.stdout));
    // V8 took the code: nothing was written again.
    assert.deepEqual(await readFile(file), written);
    assert.deepEqual(await codeFiles(cache), files);
  });

  test('code V8 refuses (a damaged file) is replaced, and the command runs as ever', async () => {
    const { cache, env } = await fresh();
    const args = ['history', '--json'];
    const clean = await runCli(args, env);
    assert.equal(clean.code, 0, clean.stderr);
    const [name] = await codeFiles(cache);
    assert.ok(name, 'history kept its code');
    const file = path.join(cache, 'container-doctor', name);
    await writeFile(file, Buffer.alloc(4096, 0x5a));
    const damaged = await runCli(args, env);
    assert.equal(damaged.code, 0, damaged.stderr);
    assert.equal(damaged.stdout, clean.stdout);
    assert.equal(damaged.stderr, '');
    const now = await readFile(file);
    assert.ok(now.length > 4096 && !now.equals(Buffer.alloc(now.length, 0x5a)), 'written afresh');
  });

  test('each command keeps one file; a folder others can write to is not used', async () => {
    const { cache, env } = await fresh();
    assert.equal((await runCli(['history'], env)).code, 0);
    assert.equal((await runCli(['config'], env)).code, 0);
    assert.deepEqual((await codeFiles(cache)).map((f) => f.replace(/-[0-9a-f]{16}\.code$/, '')), ['config', 'history']);

    const open = await fresh();
    await mkdir(path.join(open.cache, 'container-doctor'), { recursive: true });
    await chmod(path.join(open.cache, 'container-doctor'), 0o777);
    const r = await runCli(['history'], open.env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(await codeFiles(open.cache), []);
  });

  test('NODE_DISABLE_COMPILE_CACHE=1 keeps none; a watch never keeps any', async () => {
    const off = await fresh();
    assert.equal((await runCli(['history'], { ...off.env, NODE_DISABLE_COMPILE_CACHE: '1' })).code, 0);
    assert.deepEqual(await codeFiles(off.cache), []);

    const watch = await fresh();
    const { name } = await runContainer({ name: 'cc-idle', cmd: 'sleep 600' });
    const r = await runCli(['watch', '--once', '--targets', name], watch.env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await codeFiles(watch.cache), []);
  });
});
