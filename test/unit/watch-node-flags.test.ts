import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WATCH_NODE_FLAGS } from '../../src/cli/long-running.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

test("the image's ENTRYPOINT gives node the watch's command-line flags, in both Dockerfiles", () => {
  for (const file of ['Dockerfile', path.join('test', 'fixtures', 'sidecar', 'Dockerfile.test')]) {
    const line = readFileSync(path.join(root, file), 'utf8').split('\n').find((l) => l.startsWith('ENTRYPOINT '));
    assert.ok(line, `${file} has an ENTRYPOINT`);
    assert.deepEqual(JSON.parse(line.slice('ENTRYPOINT '.length)), ['node', ...WATCH_NODE_FLAGS, 'bin/doctor.js'], file);
  }
});

test('this node accepts the flags on its command line (they must be safe on Node 20, 22 and 24)', () => {
  assert.equal(execFileSync(process.execPath, [...WATCH_NODE_FLAGS, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8' }), 'ok');
});
