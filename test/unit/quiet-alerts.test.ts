import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HeldAlertsStore } from '../../src/adapters/state/held-alerts-store.js';
import type { AuditRecord } from '../../src/core/types.js';
import { MAX_HELD_ALERTS, QuietAlerts } from '../../src/pipeline/quiet-alerts.js';
import type { FeedEvent } from '../../src/pipeline/feed.js';
import type { Notifier } from '../../src/pipeline/ports.js';
import { makeRecord } from '../helpers/slack-records.js';

const T0 = Date.parse('2025-06-01T23:30:00Z');
const QUIET_END = Date.parse('2025-06-02T07:00:00Z');

function channel() {
  const sent: string[] = [];
  const notices: string[] = [];
  const n: Notifier = {
    incident: (r) => sent.push(r.incidentId),
    recovered: () => undefined,
    flush: async () => undefined,
    notice: (title) => notices.push(title),
  };
  return { n, sent, notices };
}

/** One doctor's QuietAlerts over STATE_DIR, at `now`, with quiet hours until QUIET_END (or none). */
async function doctor(stateDir: string, opts: { now: number; quiet: boolean }) {
  const ch = channel();
  const warnings: string[] = [];
  const store = await HeldAlertsStore.open(stateDir);
  const quiet = new QuietAlerts({
    notifiers: [ch.n],
    clock: { now: () => opts.now },
    ledger: store,
    quietUntil: () => (opts.quiet ? QUIET_END : undefined),
    feed: (e: FeedEvent) => (e.type === 'warning' ? warnings.push(e.message) : undefined),
  });
  const hold = (record: AuditRecord) => quiet.subscriber()({ type: 'recorded', record, aheadWritten: false, gate: { alertAfter: QUIET_END } });
  return { quiet, store, hold, ...ch, warnings };
}

async function withStateDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'doctor-quiet-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('quiet hours: held alerts survive the doctor', () => {
  test('held alerts are written as they are held, not sent at stop, and a doctor started during quiet hours keeps holding them', async () => {
    await withStateDir(async (dir) => {
      const first = await doctor(dir, { now: T0, quiet: true });
      first.hold(makeRecord({ incidentId: 'inc-a' }));
      first.hold(makeRecord({ incidentId: 'inc-b', name: 'worker' }));
      await first.quiet.stop();
      assert.deepEqual(first.sent, [], 'stopping during quiet hours sends nothing');
      const file = JSON.parse(await readFile(path.join(dir, 'held-alerts.json'), 'utf8')) as { records: AuditRecord[] };
      assert.deepEqual(file.records.map((r) => r.incidentId), ['inc-a', 'inc-b']);

      // Killed or restarted: the next doctor, still inside the quiet hours, holds them on.
      const second = await doctor(dir, { now: T0 + 60_000, quiet: true });
      second.quiet.resume();
      assert.equal(second.quiet.waiting, 2);
      assert.deepEqual(second.sent, []);
      // The quiet hours end (the timer's own call).
      second.quiet.flushNow();
      assert.deepEqual(second.sent, ['inc-a', 'inc-b']);
      await second.quiet.stop();
      const after = JSON.parse(await readFile(path.join(dir, 'held-alerts.json'), 'utf8')) as { records: AuditRecord[] };
      assert.deepEqual(after.records, [], 'sent alerts leave the file');

      // A third doctor has nothing to send.
      const third = await doctor(dir, { now: QUIET_END + 1, quiet: false });
      third.quiet.resume();
      assert.deepEqual(third.sent, []);
    });
  });

  test('a doctor started after the quiet hours ended sends what an earlier one held, at once', async () => {
    await withStateDir(async (dir) => {
      const first = await doctor(dir, { now: T0, quiet: true });
      first.hold(makeRecord({ incidentId: 'inc-late' }));
      await first.quiet.stop();
      const next = await doctor(dir, { now: QUIET_END + 3_600_000, quiet: false });
      next.quiet.resume();
      assert.deepEqual(next.sent, ['inc-late']);
      await next.quiet.stop();
    });
  });

  test('beyond the cap the oldest are dropped, and the count is sent with the rest', async () => {
    await withStateDir(async (dir) => {
      const d = await doctor(dir, { now: T0, quiet: true });
      for (let i = 0; i < MAX_HELD_ALERTS + 3; i++) d.hold(makeRecord({ incidentId: `inc-${i}` }));
      assert.equal(d.quiet.waiting, MAX_HELD_ALERTS);
      d.quiet.flushNow();
      assert.equal(d.sent.length, MAX_HELD_ALERTS);
      assert.equal(d.sent[0], 'inc-3', 'the three oldest were dropped');
      assert.equal(d.notices.length, 1);
      await d.quiet.stop();
    });
  });

  test('a damaged file is moved aside and the doctor starts with nothing held', async () => {
    await withStateDir(async (dir) => {
      await writeFile(path.join(dir, 'held-alerts.json'), '{"v":1,"records":[{"incidentId":7}]}\n');
      const d = await doctor(dir, { now: T0, quiet: false });
      assert.ok(d.store.recoveredFrom, 'moved aside');
      assert.equal(d.quiet.waiting, 0);
      assert.ok((await readdir(dir)).some((f) => f.startsWith('held-alerts.json.corrupt-')));
      await d.quiet.stop();
    });
  });
});
