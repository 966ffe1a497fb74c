/**
 * The audit log file: appends that are on disk when they resolve, a torn last line sealed on open,
 * readers that skip damage, filters, and newest-first order. Real files in a temporary directory.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuditLog, readAuditLog } from '../../src/adapters/audit/audit-log.js';
import { StateError } from '../../src/core/errors.js';
import { makeRecord } from '../helpers/slack-records.js';

let dir: string;
let n = 0;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'doctor-audit-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function freshFile(): string {
  n += 1;
  return path.join(dir, `audit-${n}.jsonl`);
}

const at = (minute: number) => `2025-03-01T12:${String(minute).padStart(2, '0')}:00.000Z`;

describe('AuditLog.append', () => {
  test('each append is one complete JSON line, in the file when the promise resolves', async () => {
    const file = freshFile();
    const log = await AuditLog.open(file);
    await log.append(makeRecord({ incidentId: 'inc-1' }));
    // Read while the log is still open: the line must already be there, whole.
    const text = await readFile(file, 'utf8');
    assert.ok(text.endsWith('\n'));
    assert.equal(text.split('\n').length, 2);
    assert.equal((JSON.parse(text.trim()) as { incidentId: string }).incidentId, 'inc-1');
    await log.close();
  });

  test('concurrent appends never interleave and keep their call order', async () => {
    const file = freshFile();
    const log = await AuditLog.open(file);
    const ids = Array.from({ length: 50 }, (_, i) => `inc-${i}`);
    await Promise.all(ids.map((id) => log.append(makeRecord({ incidentId: id, evidence: { logTail: ['x'.repeat(5000)] } }))));
    await log.close();
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as { incidentId: string }).incidentId), ids);
  });

  test('a failed write rejects with a StateError naming the file; opening where it cannot be created too', async () => {
    const file = freshFile();
    const log = await AuditLog.open(file);
    await log.append(makeRecord({ incidentId: 'before' }));
    await log.close();
    await assert.rejects(log.append(makeRecord({ incidentId: 'after-close' })), (e: unknown) => e instanceof StateError && e.message.includes(file));
    assert.doesNotMatch(await readFile(file, 'utf8'), /after-close/);
    await assert.rejects(AuditLog.open(path.join(dir, 'no-such-dir', 'audit.jsonl')), (e: unknown) => e instanceof StateError && /no-such-dir/.test((e as Error).message));
  });

  const torn = [
    { name: 'half a JSON object', tail: '{"v":1,"incidentId":"inc-torn","time":"2025-' },
    { name: 'a complete object without its newline', tail: JSON.stringify(makeRecord({ incidentId: 'inc-no-newline' })) },
  ];
  for (const row of torn) {
    test(`open seals a torn last line (${row.name}) so the next record starts on its own line`, async () => {
      const file = freshFile();
      await writeFile(file, `${JSON.stringify(makeRecord({ incidentId: 'inc-ok' }))}\n${row.tail}`);
      const log = await AuditLog.open(file);
      await log.append(makeRecord({ incidentId: 'inc-next' }));
      await log.close();
      const lines = (await readFile(file, 'utf8')).split('\n');
      assert.equal(lines[1], row.tail, 'the torn line is kept as it was');
      assert.equal((JSON.parse(lines[2]!) as { incidentId: string }).incidentId, 'inc-next');
    });
  }

  test('opening a clean log adds nothing', async () => {
    const file = freshFile();
    const content = `${JSON.stringify(makeRecord())}\n`;
    await writeFile(file, content);
    await (await AuditLog.open(file)).close();
    assert.equal(await readFile(file, 'utf8'), content);
  });
});

describe('readAuditLog', () => {
  let file: string;
  before(async () => {
    file = freshFile();
    const records = [
      makeRecord({ incidentId: 'a1', name: 'api', time: at(1) }),
      makeRecord({ incidentId: 'w1', name: 'web', time: at(2) }),
      makeRecord({ incidentId: 'a2', name: 'api', time: at(3) }),
      makeRecord({ incidentId: 'w2', name: 'web', time: at(4) }),
    ];
    const damaged = ['not json at all', '{"some":"object","but":"no record"}', '[1,2,3]', '', '   '];
    const event = { v: 1, kind: 'delivery', time: at(5), message: 'incident', incidentIds: ['w2'] };
    const lines = [
      JSON.stringify(records[0]),
      damaged[0],
      JSON.stringify(records[1]),
      damaged[1],
      JSON.stringify(event),
      JSON.stringify(records[2]),
      damaged[2],
      damaged[3],
      damaged[4],
      JSON.stringify(records[3]),
    ];
    await writeFile(file, `${lines.join('\n')}\n`);
    await appendFile(file, '{"v":1,"incidentId":"torn","ti');
  });

  test('skips damaged and torn lines and counts them; events are not damage', async () => {
    const { records, skipped } = await readAuditLog(file);
    assert.deepEqual(records.map((r) => r.incidentId), ['w2', 'a2', 'w1', 'a1']);
    assert.equal(skipped, 4, 'three damaged lines and the torn one; blank lines and events are not counted');
  });

  const rows: Array<{ name: string; query: Parameters<typeof readAuditLog>[1]; expect: string[] }> = [
    { name: 'newest first', query: {}, expect: ['w2', 'a2', 'w1', 'a1'] },
    { name: 'limit keeps the newest', query: { limit: 3 }, expect: ['w2', 'a2', 'w1'] },
    { name: 'limit 1', query: { limit: 1 }, expect: ['w2'] },
    { name: 'container by name', query: { container: 'api' }, expect: ['a2', 'a1'] },
    { name: 'container by id', query: { container: 'c0ffee', limit: 2 }, expect: ['w2', 'a2'] },
    { name: 'container and limit', query: { container: 'web', limit: 1 }, expect: ['w2'] },
    { name: 'an unknown container', query: { container: 'db' }, expect: [] },
    { name: 'since', query: { sinceMs: Date.parse(at(3)) }, expect: ['w2', 'a2'] },
  ];
  for (const row of rows) {
    test(`filters: ${row.name}`, async () => {
      const { records } = await readAuditLog(file, row.query);
      assert.deepEqual(records.map((r) => r.incidentId), row.expect);
    });
  }

  test('orders by the incident time, not by when the line was written', async () => {
    const f = freshFile();
    // A restart waits for its settle time, so an earlier incident can be written after a later one.
    await writeFile(f, [makeRecord({ incidentId: 'late-written', time: at(1) }), makeRecord({ incidentId: 'early-written', time: at(2) })].map((r) => JSON.stringify(r)).join('\n') + '\n');
    const { records } = await readAuditLog(f);
    assert.deepEqual(records.map((r) => r.incidentId), ['early-written', 'late-written']);
  });

  test('a missing file is an empty log', async () => {
    assert.deepEqual(await readAuditLog(path.join(dir, 'never-written.jsonl')), { records: [], skipped: 0 });
  });

  test('a large log with a small limit keeps only what is asked', async () => {
    const f = freshFile();
    const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify(makeRecord({ incidentId: `r${i}`, time: new Date(Date.parse(at(0)) + i * 1000).toISOString() })));
    await writeFile(f, `${lines.join('\n')}\n`);
    const { records } = await readAuditLog(f, { limit: 5 });
    assert.deepEqual(records.map((r) => r.incidentId), ['r1999', 'r1998', 'r1997', 'r1996', 'r1995']);
  });
});
