/**
 * Delivery failures in the audit log: a second, typed kind of line that readers of incident
 * records pass over without calling it damage, and the recorder that writes them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuditLog, readAuditLog } from '../../src/adapters/audit/audit-log.js';
import type { DeliveryResult } from '../../src/adapters/slack/slack-notifier.js';
import { recordDeliveryFailures, toDeliveryFailureEvent } from '../../src/cli/delivery-recorder.js';
import type { AuditEvent, DeliveryFailureEvent } from '../../src/core/types.js';
import type { FeedEvent } from '../../src/pipeline/feed.js';
import { makeRecord } from '../helpers/slack-records.js';
import { createRedactor } from '../../src/core/redact.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'doctor-audit-delivery-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const failure: DeliveryFailureEvent = {
  v: 1,
  kind: 'delivery',
  time: '2025-03-01T12:00:05.000Z',
  message: 'incident',
  incidentIds: ['inc-1'],
  ok: false,
  error: 'HTTP 404 no_service',
  attempts: 1,
  status: 404,
};

async function logWith(name: string, write: (log: AuditLog) => Promise<void>): Promise<string> {
  const file = path.join(dir, `${name}.jsonl`);
  const log = await AuditLog.open(file);
  await write(log);
  await log.close();
  return file;
}

describe('AuditLog.appendEvent', () => {
  test('writes the event as one JSON line between the incident records, in order', async () => {
    const file = await logWith('order', async (log) => {
      await log.append(makeRecord({ incidentId: 'inc-1' }));
      await log.appendEvent(failure);
      await log.append(makeRecord({ incidentId: 'inc-2' }));
    });
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      lines.map((l) => l['kind'] ?? l['incidentId']),
      ['inc-1', 'delivery', 'inc-2'],
    );
    assert.deepEqual(lines[1], { ...failure });
  });
});

describe('readAuditLog with event lines', () => {
  const cases: Array<{ name: string; query: Parameters<typeof readAuditLog>[1]; ids: string[]; skipped: number }> = [
    { name: 'all records, newest first; events are not damage', query: {}, ids: ['inc-4', 'inc-3', 'inc-2', 'inc-1'], skipped: 1 },
    { name: 'limit counts records only', query: { limit: 2 }, ids: ['inc-4', 'inc-3'], skipped: 1 },
    { name: 'container filter', query: { container: 'db-1' }, ids: ['inc-3'], skipped: 1 },
    { name: 'since filter', query: { sinceMs: Date.parse('2025-03-01T12:02:00.000Z') }, ids: ['inc-4', 'inc-3'], skipped: 1 },
  ];
  let file: string;
  before(async () => {
    file = await logWith('mixed', async (log) => {
      await log.appendEvent({ ...failure, incidentIds: [] });
      await log.append(makeRecord({ incidentId: 'inc-1', time: '2025-03-01T12:00:00.000Z' }));
      await log.appendEvent(failure);
      await log.append(makeRecord({ incidentId: 'inc-2', time: '2025-03-01T12:01:00.000Z' }));
      await log.appendEvent({ ...failure, message: 'digest', incidentIds: ['inc-1', 'inc-2'], attempts: 5, error: 'gave up after 5 attempts: HTTP 500 internal_error', status: 500 });
      await log.append(makeRecord({ incidentId: 'inc-3', name: 'db-1', time: '2025-03-01T12:02:00.000Z' }));
      await log.append(makeRecord({ incidentId: 'inc-4', time: '2025-03-01T12:03:00.000Z' }));
      await log.appendEvent({ ...failure, message: 'recovery', incidentIds: ['inc-4'] });
    });
    // One really damaged line, so "events are not counted" is told apart from "nothing is counted".
    await writeFile(file, `${await readFile(file, 'utf8')}{"incidentId": "torn`, 'utf8');
  });

  for (const c of cases) {
    test(c.name, async () => {
      const { records, skipped } = await readAuditLog(file, c.query);
      assert.deepEqual(
        records.map((r) => r.incidentId),
        c.ids,
      );
      assert.equal(skipped, c.skipped);
      assert.ok(records.every((r) => !('kind' in r)));
    });
  }
});

describe('readAuditLog order', () => {
  test('newest first by incident time, even when a slower incident was written later', async () => {
    // inc-b (a restart that waited to settle) was detected before inc-c but written after it.
    const file = await logWith('order-by-time', async (log) => {
      await log.append(makeRecord({ incidentId: 'inc-a', time: '2025-03-01T12:00:00.000Z' }));
      await log.append(makeRecord({ incidentId: 'inc-c', time: '2025-03-01T12:00:02.000Z' }));
      await log.append(makeRecord({ incidentId: 'inc-b', time: '2025-03-01T12:00:01.000Z' }));
      await log.append(makeRecord({ incidentId: 'inc-d', time: '2025-03-01T12:00:02.000Z' }));
    });
    const cases: Array<{ limit?: number; ids: string[] }> = [
      { ids: ['inc-d', 'inc-c', 'inc-b', 'inc-a'] },
      { limit: 3, ids: ['inc-d', 'inc-c', 'inc-b'] },
    ];
    for (const c of cases) {
      const { records } = await readAuditLog(file, c.limit === undefined ? {} : { limit: c.limit });
      assert.deepEqual(
        records.map((r) => r.incidentId),
        c.ids,
      );
    }
  });
});

describe('recordDeliveryFailures', () => {
  const now = Date.parse('2025-03-01T12:10:00.000Z');
  const results: Array<{ name: string; result: DeliveryResult; event: DeliveryFailureEvent | null }> = [
    { name: 'a delivered message is not recorded', result: { ok: true, kind: 'incident', incidentId: 'inc-1', incidentIds: ['inc-1'], attempts: 1, status: 200 }, event: null },
    {
      name: 'a message given up on after retries',
      result: { ok: false, kind: 'incident', incidentId: 'inc-1', incidentIds: ['inc-1'], attempts: 5, error: 'gave up after 5 attempts: HTTP 500 internal_error', status: 500 },
      event: { v: 1, kind: 'delivery', time: '2025-03-01T12:10:00.000Z', message: 'incident', incidentIds: ['inc-1'], ok: false, error: 'gave up after 5 attempts: HTTP 500 internal_error', attempts: 5, status: 500 },
    },
    {
      name: 'a digest refused by Slack, every incident listed',
      result: { ok: false, kind: 'digest', incidentId: 'inc-1', incidentIds: ['inc-1', 'inc-2', 'inc-3'], attempts: 1, error: 'HTTP 404 no_service', status: 404 },
      event: { v: 1, kind: 'delivery', time: '2025-03-01T12:10:00.000Z', message: 'digest', incidentIds: ['inc-1', 'inc-2', 'inc-3'], ok: false, error: 'HTTP 404 no_service', attempts: 1, status: 404 },
    },
    {
      name: 'a message dropped from a full queue, never sent (no status)',
      result: { ok: false, kind: 'recovery', incidentId: 'inc-9', incidentIds: ['inc-9'], attempts: 0, error: 'dropped: more than 500 messages waiting' },
      event: { v: 1, kind: 'delivery', time: '2025-03-01T12:10:00.000Z', message: 'recovery', incidentIds: ['inc-9'], ok: false, error: 'dropped: more than 500 messages waiting', attempts: 0 },
    },
  ];

  for (const c of results) {
    test(c.name, async () => {
      const written: AuditEvent[] = [];
      const feed: FeedEvent[] = [];
      const onDelivery = recordDeliveryFailures({ audit: { appendEvent: async (e) => void written.push(e) }, feed: (e) => feed.push(e), clock: { now: () => now } });
      onDelivery(c.result);
      await Promise.resolve();
      assert.deepEqual(written, c.event ? [c.event] : []);
      assert.equal(feed.length, c.event ? 1 : 0);
      if (c.event) {
        assert.equal(feed[0]?.type, 'warning');
        assert.match((feed[0] as { message: string }).message, new RegExp(c.event.incidentIds.join(', ')));
        assert.deepEqual(toDeliveryFailureEvent(c.result, now), c.event);
      }
    });
  }

  test('an error that echoes a secret is redacted before the audit log and the feed', async () => {
    const written: AuditEvent[] = [];
    const feed: FeedEvent[] = [];
    const token = 'xoxb-1234567890123-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
    const onDelivery = recordDeliveryFailures({
      audit: { appendEvent: async (e) => void written.push(e) },
      feed: (e) => feed.push(e),
      clock: { now: () => now },
      redact: createRedactor(),
    });
    onDelivery({ ok: false, kind: 'incident', incidentId: 'inc-1', incidentIds: ['inc-1'], attempts: 1, error: `HTTP 403 invalid_auth for token=${token}`, status: 403 });
    await Promise.resolve();
    const shown = JSON.stringify([written, feed]);
    assert.ok(!shown.includes(token), shown);
    assert.match((written[0] as DeliveryFailureEvent).error, /^HTTP 403 invalid_auth for token=\[REDACTED:slack-token\]$/);
  });

  test('a failing audit log becomes a warning, never an exception on the notifier worker', async () => {
    const feed: FeedEvent[] = [];
    const onDelivery = recordDeliveryFailures({
      audit: { appendEvent: () => Promise.reject(new Error('EROFS: read-only file system')) },
      feed: (e) => feed.push(e),
      clock: { now: () => now },
    });
    assert.doesNotThrow(() => onDelivery(results[1]!.result));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      feed.map((e) => e.type),
      ['warning', 'warning'],
    );
    assert.match((feed[1] as { message: string }).message, /could not record the delivery failure.*EROFS/);
  });

  test('with the real AuditLog: the failure lands in the file and readers skip it', async () => {
    const file = path.join(dir, 'recorder.jsonl');
    const log = await AuditLog.open(file);
    await log.append(makeRecord({ incidentId: 'inc-1' }));
    recordDeliveryFailures({ audit: log, feed: () => undefined, clock: { now: () => now } })(results[1]!.result);
    await log.close();
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.deepEqual(JSON.parse(lines[1]!), results[1]!.event);
    const read = await readAuditLog(file);
    assert.deepEqual(
      read.records.map((r) => r.incidentId),
      ['inc-1'],
    );
    assert.equal(read.skipped, 0);
  });
});
