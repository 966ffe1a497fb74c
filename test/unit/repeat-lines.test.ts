/**
 * Repeat lines are thinned (core/repeat-lines.ts) yet the report's figures stay exact: a day of a
 * container failing the same way every 30 s goes through the real audit subscriber into a real
 * audit log file, and `buildReport` over what was written counts every repeat.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuditLog, readAuditLog, readAuditNotes } from '../../src/adapters/audit/audit-log.js';
import { flushRepeats, isOneTwoFive, REPEAT_LINE_EVERY_MS, takeRepeat, type PendingRepeats } from '../../src/core/repeat-lines.js';
import { buildReport } from '../../src/core/report/build-report.js';
import { auditSubscriber, IncidentBus } from '../../src/pipeline/incident-bus.js';
import { makeRecord } from '../helpers/slack-records.js';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const HOUR = 60 * 60 * 1000;
const iso = (ms: number) => new Date(ms).toISOString();

test('1-2-5 series', () => {
  assert.deepEqual([...Array(1001).keys()].filter(isOneTwoFive), [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]);
  assert.equal(isOneTwoFive(0), false);
  assert.equal(isOneTwoFive(2.5), false);
});

test('the first repeat after start is written, then the 1-2-5 counts, and never more than an hour apart', () => {
  let pending: PendingRepeats | undefined;
  const written: Array<{ at: number; count: number; covered: number }> = [];
  // Times seen in all: 1 is the record; repeats bring it to 2, 3, ... once every 30 s for a day.
  for (let count = 2; count <= 2_881; count++) {
    const at = T0 + (count - 1) * 30_000;
    const r = takeRepeat(pending, count, at);
    pending = r.pending;
    if (r.line) written.push(r.line);
  }
  const tail = flushRepeats(pending);
  assert.ok(written.length < 40, `${written.length} lines for 2,880 repeats`);
  assert.deepEqual(written.slice(0, 5).map((l) => l.count), [2, 5, 10, 20, 50]);
  const all = tail ? [...written, tail] : written;
  assert.equal(all.reduce((n, l) => n + l.covered, 0), 2_880, 'every repeat is covered exactly once');
  for (let i = 1; i < written.length; i++) assert.ok(written[i]!.at - written[i - 1]!.at <= REPEAT_LINE_EVERY_MS, 'a line at least once an hour');
});

test('a repeat an hour or more after the last line is always written (a nightly failure keeps every time)', () => {
  let pending: PendingRepeats | undefined = takeRepeat(undefined, 2, T0).pending;
  const r = takeRepeat(pending, 3, T0 + 24 * HOUR);
  assert.deepEqual(r.line, { at: T0 + 24 * HOUR, count: 3, covered: 1, since: T0 + 24 * HOUR });
  pending = r.pending;
  assert.equal(flushRepeats(pending), undefined, 'nothing held back');
});

test('through the audit subscriber into a real log: far fewer lines, the report counts every repeat', async () => {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'doctor-repeats-')), 'audit.jsonl');
  const audit = await AuditLog.open(file);
  const bus = new IncidentBus([auditSubscriber(audit)]);
  const record = makeRecord({ time: iso(T0), outcome: { at: iso(T0) } });
  await bus.publish({ type: 'recorded', record, aheadWritten: false });
  const REPEATS = 2_880;
  for (let i = 1; i <= REPEATS; i++) {
    await bus.publish({ type: 'repeat', container: record.container, incidentId: record.incidentId, count: i + 1, at: T0 + i * 30_000 });
  }
  await bus.close();
  await audit.close();

  const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.includes('"kind":"repeat"'));
  assert.ok(lines.length < 40, `${lines.length} repeat lines`);
  const notes = await readAuditNotes(file);
  const last = notes[notes.length - 1]!;
  assert.equal(last.count, REPEATS + 1, 'the last line has the count so far');
  assert.equal(last.time, iso(T0 + REPEATS * 30_000), 'and the time of the last repeat');

  const { records } = await readAuditLog(file);
  const report = buildReport({ records, notes, stories: [], fromMs: T0 - HOUR, toMs: T0 + 25 * HOUR });
  assert.equal(report.total.repeats, REPEATS);
  assert.equal(report.containers[0]!.figures.repeats, REPEATS);
  const sig = report.didItHelp.repeatedSignatures[0]!;
  assert.equal(sig.count, REPEATS + 1, 'the record plus every repeat');
  assert.equal(sig.times[0], iso(T0));
  assert.equal(sig.times[sig.times.length - 1], iso(T0 + REPEATS * 30_000));
});

test('held-back repeats are written when the container recovers, before the recovery line', async () => {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'doctor-repeats-')), 'audit.jsonl');
  const audit = await AuditLog.open(file);
  const bus = new IncidentBus([auditSubscriber(audit)]);
  const record = makeRecord({ time: iso(T0), outcome: { at: iso(T0) } });
  await bus.publish({ type: 'recorded', record, aheadWritten: false });
  // Counts 2..4: 2 is written (first after start), 3 and 4 are held back.
  for (const count of [2, 3, 4]) await bus.publish({ type: 'repeat', container: record.container, incidentId: record.incidentId, count, at: T0 + count * 1_000 });
  await bus.publish({ type: 'recovered', record, at: T0 + 60_000, afterMs: 60_000 });
  await audit.close();
  const notes = await readAuditNotes(file);
  assert.deepEqual(
    notes.map((n) => [n.kind, n.count, n.covered, n.since]),
    [
      ['repeat', 2, undefined, undefined],
      ['repeat', 4, 2, iso(T0 + 3_000)],
      ['recovery', undefined, undefined, undefined],
    ],
  );
  const { records } = await readAuditLog(file);
  assert.equal(buildReport({ records, notes, stories: [], fromMs: T0 - HOUR, toMs: T0 + HOUR }).total.repeats, 3);
});

test('a log written before thinning (one line per repeat, no covered) still counts one per line', () => {
  const record = makeRecord({ time: iso(T0), outcome: { at: iso(T0) } });
  const notes = [2, 3, 4].map((count) => ({ v: 1 as const, kind: 'repeat' as const, time: iso(T0 + count * 1_000), container: record.container, incidentId: record.incidentId, detail: 'seen again', count }));
  const report = buildReport({ records: [record], notes, stories: [], fromMs: T0 - HOUR, toMs: T0 + HOUR });
  assert.equal(report.total.repeats, 3);
  assert.equal(report.didItHelp.repeatedSignatures[0]!.count, 4);
});
