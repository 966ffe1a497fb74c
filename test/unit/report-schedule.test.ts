import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildReport } from '../../src/core/report/build-report.js';
import { buildReportDigest } from '../../src/core/report/report-digest.js';
import { nextReportAt, parseReportSchedule } from '../../src/core/report/report-schedule.js';
import type { Notifier } from '../../src/pipeline/ports.js';
import { runReportDigests } from '../../src/pipeline/report-digest.js';
import { makeRecord } from '../helpers/slack-records.js';

// Local time follows TZ; the suite runs in UTC unless TZ says otherwise, so pin it for this file.
process.env.TZ = 'UTC';

test('REPORT_SCHEDULE: weekday or daily and a time; anything else is refused with the setting named', () => {
  assert.deepEqual(parseReportSchedule('mon 09:00'), { ok: true, schedule: { weekday: 1, hour: 9, minute: 0, text: 'mon 09:00' } });
  assert.deepEqual(parseReportSchedule('Friday 17:30'), { ok: true, schedule: { weekday: 5, hour: 17, minute: 30, text: 'Friday 17:30' } });
  assert.equal(parseReportSchedule('daily 7:05').ok && (parseReportSchedule('daily 7:05') as { schedule: { weekday: null } }).schedule.weekday, null);
  for (const bad of ['monday', '09:00', 'mon 24:00', 'mon 9:60', 'someday 09:00']) {
    const p = parseReportSchedule(bad);
    assert.equal(p.ok, false, bad);
    assert.match((p as { message: string }).message, /^REPORT_SCHEDULE /);
  }
});

test('the next digest is the next matching local moment, strictly later', () => {
  const monday9 = parseReportSchedule('mon 09:00');
  assert.ok(monday9.ok);
  // 2026-12-01 is a Tuesday.
  assert.equal(new Date(nextReportAt(monday9.schedule, Date.parse('2026-12-01T10:00:00Z'))).toISOString(), '2026-12-07T09:00:00.000Z');
  assert.equal(new Date(nextReportAt(monday9.schedule, Date.parse('2026-12-07T08:59:00Z'))).toISOString(), '2026-12-07T09:00:00.000Z');
  assert.equal(new Date(nextReportAt(monday9.schedule, Date.parse('2026-12-07T09:00:00Z'))).toISOString(), '2026-12-14T09:00:00.000Z');
  const daily = parseReportSchedule('daily 06:30');
  assert.ok(daily.ok);
  assert.equal(new Date(nextReportAt(daily.schedule, Date.parse('2026-12-01T10:00:00Z'))).toISOString(), '2026-12-02T06:30:00.000Z');
});

test('at the scheduled moment every channel that takes notices gets the digest, once', async () => {
  const parsed = parseReportSchedule('tue 10:00');
  assert.ok(parsed.ok);
  let now = Date.parse('2026-12-01T09:59:00Z');
  const sent: Array<[string, string]> = [];
  const withNotice: Notifier = { incident() {}, recovered() {}, flush: async () => {}, notice: (t, m) => sent.push([t, m]) };
  const without: Notifier = { incident() {}, recovered() {}, flush: async () => {} };
  const stop = new AbortController();
  const windows: Array<[number, number]> = [];
  const handed: number[] = [];
  await runReportDigests({
    schedule: parsed.schedule,
    clock: { now: () => now },
    notifiers: [withNotice, without],
    compose: async (from, to) => {
      windows.push([from, to]);
      return buildReportDigest(buildReport({ records: [makeRecord({ time: '2026-11-30T02:00:00.000Z' })], notes: [], stories: [], fromMs: from, toMs: to }), '7d');
    },
    onSent: (_at, n) => {
      handed.push(n);
      stop.abort();
    },
    onError: (m) => assert.fail(m),
    sleep: async (ms) => {
      now += ms;
    },
  }, stop.signal);
  assert.deepEqual(handed, [1]);
  assert.deepEqual(windows, [[Date.parse('2026-11-24T10:00:00Z'), Date.parse('2026-12-01T10:00:00Z')]]);
  assert.equal(sent.length, 1);
  assert.equal(sent[0]![0], 'Doctor report: the last week');
  assert.match(sent[0]![1], /^\*What happened\*: 1 incident\(s\) on 1 container\(s\)/);
  assert.match(sent[0]![1], /\n\*Restarts\*: 1 made, 1 held, 0 did not help, 0 failed\n/);
  assert.match(sent[0]![1], /Full report: `doctor report --since 7d`$/);
});
