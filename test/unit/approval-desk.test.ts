import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuditLog, readAuditLog } from '../../src/adapters/audit/audit-log.js';
import { PeopleStore } from '../../src/adapters/state/people-store.js';
import { StateStore } from '../../src/adapters/state/state-store.js';
import { StoryStore } from '../../src/adapters/state/story-store.js';
import type { AuditRecord } from '../../src/core/types.js';
import { ApprovalDesk } from '../../src/pipeline/approvals.js';
import { IncidentBus, auditSubscriber } from '../../src/pipeline/incident-bus.js';
import type { IncidentHandler } from '../../src/pipeline/incident-handler.js';
import { MIN, NOW, ago, makeEvidence, makeFacts, makeTrigger } from '../helpers/facts.js';

/** Ask-first with an injected clock: proposal, persistence across a restart, expiry, snoozes. */
describe('the approval desk', () => {
  let dir: string;
  let now: number;
  const clock = { now: () => now };
  const alice = { id: 'U0ALICE', name: 'alice', via: 'slack' as const };

  async function open() {
    const ledger = await PeopleStore.open(dir);
    const audit = await AuditLog.open(path.join(dir, 'audit.jsonl'));
    const stories = await StoryStore.open(dir);
    const history = await StateStore.open(dir);
    const bus = new IncidentBus([auditSubscriber(audit)]);
    const desk = new ApprovalDesk({
      ledger, audit, stories, history, clock, feed: () => undefined,
      settings: { askFirst: true, approvalTimeoutMs: 15 * MIN, windows: [], quietFloor: 'high', timeZone: 'UTC' },
      // Expiry publishes through the handler's bus; approvals (which inspect the engine) are tested against a real one in integration.
      pipeline: () => ({ handler: { bus } as unknown as IncidentHandler, engineFor: () => undefined, exclusive: (_h, _id, fn) => fn(), hosts: ['local'] }),
    });
    return { desk, ledger, audit };
  }

  const facts = makeFacts({ exitCode: 1, finishedAt: ago(MIN) });
  const record: AuditRecord = {
    v: 1, incidentId: 'inc-20250601T120000Z-abcdef', occurrence: 1, time: ago(0), container: facts.ref, trigger: makeTrigger('die', ago(MIN)), evidence: makeEvidence(facts),
    signature: 'sig', diagnosis: { root_cause: 'x', severity: 'high', suggested_fix: 'x', auto_restart_safe: true, config_suggestions: [], likely_recurring: false, estimated_impact: 'x', source: 'rules' },
    decision: { action: 'escalate', guardrail: 'awaiting-approval', reason: 'would restart (x); AUTO_FIX=ask, so the restart waits for approval', executed: false, decidedBy: 'rules' },
    outcome: { status: 'not-acted', detail: 'no action taken', at: ago(0) },
  };

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'doctor-desk-'));
    now = NOW;
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  test('a proposal is kept, survives a restart of the doctor, and expires as not approved in time', async () => {
    const first = await open();
    await first.desk.subscriber()({ type: 'recorded', record, aheadWritten: false, gate: { proposal: { ask: true, expiresAt: NOW + 15 * MIN, startedAt: facts.startedAt } } });
    assert.deepEqual(first.desk.pending().map((p) => p.incidentId), [record.incidentId]);
    first.desk.stop();
    await first.audit.close();

    const second = await open();
    const [kept] = second.desk.pending();
    assert.equal(kept?.expiresAt, NOW + 15 * MIN, 'read back from STATE_DIR/people.json');
    now = NOW + 16 * MIN;
    await second.desk.expire(kept!);
    // The "not approved in time" escalation can itself be approved, until the timeout passes again.
    const [again] = second.desk.pending();
    assert.equal(again?.ask, false);
    assert.equal(again?.occurrence, 2);
    assert.equal(again?.guardrail, 'not-approved');
    now = NOW + 32 * MIN;
    await second.desk.expire(again!);
    assert.equal(second.desk.pending().length, 0);
    assert.equal(second.desk.proposal(record.incidentId)?.status, 'expired');
    const answer = await second.desk.approve(record.incidentId, alice);
    assert.equal(answer.status, 'refused');
    assert.match(answer.detail, /expired/);
    await second.audit.close();
    const lines = await readAuditLog(path.join(dir, 'audit.jsonl'));
    const late = lines.records.find((r) => r.decision.guardrail === 'not-approved');
    assert.ok(late, 'escalated as not approved in time');
    assert.equal(late.incidentId, record.incidentId);
    assert.equal(late.occurrence, 2);
    assert.match(late.decision.reason, /^not approved in time/);
  });

  test('a newer incident of the container supersedes its pending proposal', async () => {
    const { desk, audit } = await open();
    await desk.subscriber()({ type: 'recorded', record, aheadWritten: false, gate: { proposal: { ask: true, expiresAt: NOW + 15 * MIN, startedAt: null } } });
    await desk.subscriber()({ type: 'recorded', record: { ...record, incidentId: 'inc-20250601T120500Z-123456' }, aheadWritten: false });
    assert.equal(desk.proposal(record.incidentId)?.status, 'superseded');
    assert.match((await desk.approve(record.incidentId, alice)).detail, /superseded/);
    desk.stop();
    await audit.close();
  });

  test('a snooze holds until it ends; lifting says what was lifted', async () => {
    const { desk, audit } = await open();
    await desk.snooze('local', 'web', NOW + 60 * MIN, alice);
    assert.equal(desk.peopleInput('local', 'web').holds.snooze?.until, NOW + 60 * MIN);
    assert.equal(Object.keys(desk.holds()).length, 1);
    now = NOW + 61 * MIN;
    assert.equal(Object.keys(desk.holds()).length, 0, 'an ended snooze is not shown as in force');
    await desk.never('local', 'web', alice);
    assert.deepEqual(await desk.lift('local', 'web', 'all', alice), ['override']);
    assert.deepEqual(desk.peopleInput('local', 'web').holds, {});
    await audit.close();
    const events = (await import('node:fs/promises')).readFile(path.join(dir, 'audit.jsonl'), 'utf8');
    const actions = (await events).trim().split('\n').map((l) => JSON.parse(l) as { action: string; by: { id: string } });
    assert.deepEqual(actions.map((a) => a.action), ['snooze', 'never', 'allow']);
    assert.ok(actions.every((a) => a.by.id === 'U0ALICE'));
  });
});
