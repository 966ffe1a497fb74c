/**
 * The scripts around the suite: `.ci/run` stops a private engine it started when it exits, and
 * `scripts/test-engine.sh stop` returns only once dockerd has exited. Runs a real engine of its
 * own (needs root, as every test engine does) with its own name, bridge and address range.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../helpers/doctor-harness.js';
import { processAlive } from '../helpers/process-alive.js';

const run = promisify(execFile);
const ENGINE = 'doctor-h9ci';
const script = path.join(repoRoot, 'scripts', 'test-engine.sh');


async function status(): Promise<number> {
  return run(script, ['status', ENGINE]).then(() => 0, (e: { code?: number }) => e.code ?? 1);
}

test('.ci/run stops the engine it started, and stop waits for dockerd to exit', { timeout: 240_000 }, async () => {
  assert.notEqual(await status(), 0, `engine ${ENGINE} must not be running before the test`);
  let pid = 0;
  // The "test command" records dockerd's pid while the engine is up.
  const probe = `/tmp/${ENGINE}-probe.sh`;
  await writeFile(probe, `#!/bin/sh\ncat /tmp/${ENGINE}/dockerd.pid > /tmp/${ENGINE}.pid\n`, { mode: 0o755 });
  const ci = await run(path.join(repoRoot, '.ci', 'run'), [], {
    cwd: repoRoot,
    env: { ...process.env, CI_ENGINE_NAME: ENGINE, CI_TEST_COMMAND: probe },
  });
  pid = Number((await readFile(`/tmp/${ENGINE}.pid`, 'utf8')).trim());
  assert.ok(pid > 0, 'the engine ran during the test command');
  assert.match(ci.stderr, new RegExp(`engine ${ENGINE} stopped`));
  assert.equal(processAlive(pid), false, 'dockerd has exited by the time "stopped" is printed');
  assert.notEqual(await status(), 0, 'the engine is not running after .ci/run');
});
