/**
 * A full STATE_DIR, for real: a tmpfs limited to 64 KiB (needs root, as the test engine does).
 * Writes fail with ENOSPC; the failure shows in /health (503 with the reason) and through the
 * storage listener (the feed), no temporary file is left behind, and writing works again once
 * there is room.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildHealth, type HealthSources } from '../../src/adapters/http/health-server.js';
import { DiagnosisBudget } from '../../src/adapters/claude/diagnosis-budget.js';
import { StateStore } from '../../src/adapters/state/state-store.js';
import { readAuditLog } from '../../src/adapters/audit/audit-log.js';
import { StorageHealth } from '../../src/adapters/state/storage-health.js';
import { StateError } from '../../src/core/errors.js';

const run = promisify(execFile);
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'doctor-full-'));
  await run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
});
after(async () => {
  await run('umount', [dir]).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

function sources(storage: StorageHealth): HealthSources {
  return {
    version: 'test',
    history: async (query) => (await readAuditLog(path.join(dir, 'audit.jsonl'), query)).records,
    engines: () => [{ host: '', connected: true, eventsStreaming: true, lastError: null, lastCycleAt: null, lastCycleMs: null, targets: 0 }] as never,
    snapshot: () => ({ uptimeSeconds: 1, totals: {}, restartsPerContainer: {}, diagnoses: {}, slack: {} }) as never,
    failingChannels: () => [],
    storageProblems: () => storage.problems(),
    // /metrics is not what this test is about.
    metrics: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', text: '' }),
  };
}

describe('STATE_DIR full (ENOSPC on a 64 KiB tmpfs)', () => {
  test('writes fail visibly, leave no temporary files, and recover when there is room', async () => {
    const changes: Array<{ file: string; error: string | null }> = [];
    const storage = new StorageHealth((c) => changes.push(c));
    const store = await StateStore.open(dir, { health: storage });
    const budget = await DiagnosisBudget.open(path.join(dir, 'diagnoses.json'), { maxPerHour: 10, health: storage });
    assert.equal(buildHealth(sources(storage)).status, 200);

    // Fill the file system to the last byte.
    const filler = path.join(dir, 'filler');
    for (let full = false; !full; ) full = await appendFile(filler, Buffer.alloc(1024)).then(() => false, () => true);
    const many = Array.from({ length: 200 }, (_, i) => `2025-03-01T12:00:${String(i % 60).padStart(2, '0')}.000Z`);
    store.setHistory('local/web', { deaths: many, ooms: many, restarts: many, incidents: [] });
    await assert.rejects(store.save(), (e: unknown) => e instanceof StateError && /ENOSPC/.test((e as Error).message));
    budget.tryTake(Date.now());
    await budget.flush();
    assert.match(budget.lastError?.message ?? '', /ENOSPC/);

    const health = buildHealth(sources(storage));
    assert.equal(health.status, 503);
    assert.equal(health.body['status'], 'degraded');
    const problems = health.body['problems'] as string[];
    assert.ok(problems.some((p) => /^storage: cannot write .*state\.json: no space left on device \(ENOSPC\)$/.test(p)), problems.join('\n'));
    assert.ok(problems.some((p) => /diagnoses\.json: no space left on device \(ENOSPC\)$/.test(p)), problems.join('\n'));
    assert.deepEqual(changes.map((c) => [path.basename(c.file), c.error !== null]), [['state.json', true], ['diagnoses.json', true]], 'told once per file');
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left behind');

    // Room again: the retried writes work and health turns healthy.
    await rm(filler);
    await store.save();
    budget.tryTake(Date.now());
    await budget.flush();
    assert.equal(buildHealth(sources(storage)).status, 200);
    assert.deepEqual(changes.slice(2).map((c) => [path.basename(c.file), c.error]), [['state.json', null], ['diagnoses.json', null]]);
    assert.deepEqual((await StateStore.open(dir)).history('local/web').deaths.length, 200);
  });
});
