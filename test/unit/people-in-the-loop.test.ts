import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { refuseFromFacts, refuseFromRecord, type Proposal } from '../../src/core/approval.js';
import { buildActions, parseButtonValue, ACTION_RESTART, ACTION_SNOOZE, ACTION_NEVER } from '../../src/core/approval-blocks.js';
import { parseDuration } from '../../src/core/duration.js';
import { judgeIncident, readStoryView, type JudgeInput } from '../../src/core/judge.js';
import type { PeopleInput } from '../../src/core/people-gate.js';
import { activeQuietHours, activeWindow, labelMaintenance, parseMaintenanceWindows, parseQuietHours } from '../../src/core/quiet-periods.js';
import type { AuditRecord, ContainerFacts, ContainerHistory, Policy, RulesVerdict, Trigger } from '../../src/core/types.js';
import { HOUR, MIN, NOW, SEC, ago, makeEvidence, makeFacts, makeHistory, makePolicy, makeRunningFacts, makeTrigger, makeVerdict } from '../helpers/facts.js';

// NOW is Sunday 2025-06-01 12:00 UTC.
const at = (iso: string) => Date.parse(iso);

describe('maintenance windows and quiet hours (TZ)', () => {
  const rows: Array<[string, string, string, string, string | undefined]> = [
    // name, windows, zone, now, until (undefined = not in a window)
    ['inside a Sunday window, UTC', 'sun 02:00-04:00', 'UTC', '2025-06-01T03:00:00Z', '2025-06-01T04:00:00.000Z'],
    ['before it', 'sun 02:00-04:00', 'UTC', '2025-06-01T01:59:00Z', undefined],
    ['its end is outside', 'sun 02:00-04:00', 'UTC', '2025-06-01T04:00:00Z', undefined],
    ['another day', 'sun 02:00-04:00', 'UTC', '2025-06-02T03:00:00Z', undefined],
    ['in the zone written: 02:00 Berlin is 00:00 UTC in summer', 'sun 02:00-04:00', 'Europe/Berlin', '2025-06-01T00:30:00Z', '2025-06-01T02:00:00.000Z'],
    ['Berlin 03:00 UTC is 05:00 local: outside', 'sun 02:00-04:00', 'Europe/Berlin', '2025-06-01T03:00:00Z', undefined],
    ['past midnight: started Saturday 23:00', 'sat 23:00-01:00', 'UTC', '2025-06-01T00:30:00Z', '2025-06-01T01:00:00.000Z'],
    ['a weekday range', 'mon-fri 12:00-13:00', 'UTC', '2025-06-03T12:10:00Z', '2025-06-03T13:00:00.000Z'],
    ['a weekday range on Sunday', 'mon-fri 12:00-13:00', 'UTC', '2025-06-01T12:10:00Z', undefined],
    ['daily, the later of two overlapping', 'daily 11:00-12:30, sun 11:30-13:00', 'UTC', '2025-06-01T12:00:00Z', '2025-06-01T13:00:00.000Z'],
  ];
  for (const [name, text, zone, now, until] of rows) {
    test(name, () => {
      const active = activeWindow(parseMaintenanceWindows(text), at(now), zone);
      assert.equal(active ? new Date(active.until).toISOString() : undefined, until);
    });
  }

  test('bad windows are refused with the entry named', () => {
    assert.throws(() => parseMaintenanceWindows('sunday'), /"sunday"/);
    assert.throws(() => parseMaintenanceWindows('sun 2-4'), /HH:MM-HH:MM/);
    assert.throws(() => parseMaintenanceWindows('funday 02:00-04:00'), /unknown day "funday"/);
    assert.throws(() => parseQuietHours('22:00-25:00'), /QUIET_HOURS/);
  });

  test('quiet hours across midnight', () => {
    const q = parseQuietHours('22:00-07:00');
    assert.equal(new Date(activeQuietHours(q, at('2025-06-01T23:15:30Z'), 'UTC')!.until).toISOString(), '2025-06-02T07:00:00.000Z');
    assert.equal(new Date(activeQuietHours(q, at('2025-06-02T06:59:00Z'), 'UTC')!.until).toISOString(), '2025-06-02T07:00:00.000Z');
    assert.equal(activeQuietHours(q, at('2025-06-02T07:00:00Z'), 'UTC'), undefined);
    assert.equal(activeQuietHours(q, at('2025-06-01T12:00:00Z'), 'UTC'), undefined);
  });

  test('the doctor.maintenance label: until an RFC 3339 time with a zone', () => {
    assert.equal(labelMaintenance({ 'doctor.maintenance': '2025-06-01T13:00:00Z' }, NOW)?.until, at('2025-06-01T13:00:00Z'));
    assert.equal(labelMaintenance({ 'doctor.maintenance': '2025-06-01T14:00:00+02:00' }, NOW)?.until, at('2025-06-01T12:00:00Z') === NOW ? undefined : 0);
    assert.equal(labelMaintenance({ 'doctor.maintenance': '2025-06-01T11:00:00Z' }, NOW), undefined, 'past');
    assert.equal(labelMaintenance({ 'doctor.maintenance': '2025-06-01 13:00' }, NOW), undefined, 'no zone: not RFC 3339');
    assert.equal(labelMaintenance({ 'doctor.maintenance': 'tomorrow' }, NOW), undefined);
  });

  test('durations for --for and ?for=', () => {
    assert.equal(parseDuration('2h'), 2 * HOUR);
    assert.equal(parseDuration('1h30m'), 90 * MIN);
    assert.equal(parseDuration('45s'), 45 * SEC);
    assert.equal(parseDuration('1d'), 24 * HOUR);
    for (const bad of ['', '2', 'h', '-1h', '0m', '2 hours']) assert.equal(parseDuration(bad), undefined, bad);
  });
});

const people = (overrides: Partial<PeopleInput> = {}): PeopleInput => ({
  askFirst: false, approvalTimeoutMs: 15 * MIN, holds: {}, windows: [], quietFloor: 'high', timeZone: 'UTC', ...overrides,
});

function input(o: { facts?: ContainerFacts; rules?: RulesVerdict; policy?: Partial<Policy>; history?: ContainerHistory; people?: PeopleInput; approved?: JudgeInput['approved']; trigger?: Trigger; now?: number } = {}): JudgeInput {
  const facts = o.facts ?? makeFacts({ exitCode: 1, finishedAt: ago(2 * MIN) });
  const trigger = o.trigger ?? makeTrigger('die', facts.finishedAt ?? ago(0));
  const history = o.history ?? makeHistory();
  const died = Date.parse(facts.finishedAt ?? '') || NOW;
  const story = { id: facts.ref.id, host: 'local', name: facts.ref.name, steps: facts.running ? [{ at: NOW - HOUR, kind: 'start' as const }] : [{ at: NOW - 10 * MIN, kind: 'start' as const }, { at: died, kind: 'die' as const, exitCode: facts.exitCode ?? 1 }] };
  return {
    trigger, facts, evidence: makeEvidence(facts), rules: o.rules ?? makeVerdict(), history, policy: makePolicy(o.policy),
    story: readStoryView(story, facts, trigger, history, o.now ?? NOW), manual: false, now: o.now ?? NOW,
    ...(o.people ? { people: o.people } : {}), ...(o.approved ? { approved: o.approved } : {}),
  };
}

const alice = { by: { id: 'U0ALICE', name: 'alice', via: 'slack' as const }, at: ago(0) };

describe('the judge with people in the loop', () => {
  test('AUTO_FIX=ask: the restart is proposed, escalated, and waits until APPROVAL_TIMEOUT', () => {
    const j = judgeIncident(input({ people: people({ askFirst: true }) }));
    assert.equal(j.decision.action, 'escalate');
    assert.equal(j.decision.guardrail, 'awaiting-approval');
    assert.match(j.decision.reason, /would restart .*AUTO_FIX=ask.*2025-06-01T12:15:00.000Z/);
    assert.deepEqual(j.gate?.proposal, { ask: true, expiresAt: NOW + 15 * MIN, startedAt: ago(10 * MIN) });
  });

  test('asked once: the same open incident is not proposed again after it was not approved', () => {
    const open = { signature: 's', incidentId: 'inc-1', firstSeen: ago(20 * MIN), lastSeen: ago(5 * MIN), count: 2, lastAction: 'escalate' as const, lastGuardrail: 'not-approved' as const };
    const j = judgeIncident({ ...input({ people: people({ askFirst: true }) }), open });
    assert.equal(j.decision.guardrail, 'not-approved');
    assert.notEqual(j.gate?.proposal?.ask, true, 'not asked again; a person may still approve it');
    assert.equal(j.repeat?.incidentId, 'inc-1');
  });

  test('an escalation a restart could resolve can be approved; one it cannot fix cannot', () => {
    const stateful = judgeIncident(input({ policy: { stateful: true }, people: people() }));
    assert.equal(stateful.decision.guardrail, 'stateful-image');
    assert.equal(stateful.gate?.proposal?.ask, false);
    const disk = judgeIncident(input({ rules: makeVerdict({ rule: 'disk-full', restartCannotFix: true }), people: people() }));
    assert.equal(disk.decision.guardrail, 'restart-cannot-fix');
    assert.equal(disk.gate?.proposal, undefined);
  });

  test('an approval lifts the guardrails that protect people: stateful, crash loop, throttle, label, observe-only, give-up', () => {
    const cases: Array<[string, Parameters<typeof input>[0]]> = [
      ['stateful-image', { policy: { stateful: true } }],
      ['crash-loop', { history: makeHistory({ deaths: [ago(8 * MIN), ago(4 * MIN)] }) }],
      ['restart-throttle', { history: makeHistory({ restarts: [ago(50 * MIN), ago(30 * MIN), ago(10 * MIN)] }) }],
      ['label-never', { policy: { restartNever: true } }],
      ['observe-only', { policy: { autoFix: false } }],
      ['not-safe', { rules: makeVerdict({ severity: 'medium', safe: false }) }],
      ['restart-did-not-help', { history: makeHistory({ attemptsEnded: { at: ago(5 * MIN), incidentId: 'inc-0' } }) }],
    ];
    for (const [guardrail, o] of cases) {
      const without = judgeIncident(input(o)).decision;
      assert.equal(without.guardrail, guardrail, `${guardrail} holds without approval: ${without.reason}`);
      const approved = judgeIncident(input({ ...o, approved: alice, people: people({ askFirst: true }) })).decision;
      assert.equal(approved.action, 'restart', `${guardrail}: ${approved.reason}`);
      assert.deepEqual(approved.approvedBy, alice);
      assert.match(approved.reason, /approved by alice \(U0ALICE\)/);
    }
  });

  test('an approval never lifts the facts: a restart cannot fix it, a job, a person stopped it, it finished', () => {
    const disk = judgeIncident(input({ rules: makeVerdict({ rule: 'disk-full', restartCannotFix: true }), approved: alice })).decision;
    assert.equal(disk.action, 'escalate');
    assert.equal(disk.guardrail, 'restart-cannot-fix');
    const done = makeFacts({ exitCode: 0, finishedAt: ago(MIN) });
    assert.equal(judgeIncident(input({ facts: done, approved: alice })).decision.guardrail, 'completed');
  });

  test('maintenance (label or window) and snoozes hold actions and alerts back, and say when to look again', () => {
    const labelled = makeFacts({ exitCode: 1, finishedAt: ago(2 * MIN), labels: { 'doctor.maintenance': '2025-06-01T13:00:00Z' } });
    const m = judgeIncident(input({ facts: labelled, people: people() }));
    assert.equal(m.decision.action, 'none');
    assert.equal(m.decision.guardrail, 'maintenance');
    assert.match(m.decision.reason, /would restart .*maintenance until 2025-06-01T13:00:00.000Z/);
    assert.equal(m.gate?.lookAgainAt, at('2025-06-01T13:00:00Z'));
    assert.ok(m.gate?.silenced);

    const w = judgeIncident(input({ people: people({ windows: parseMaintenanceWindows('sun 11:00-12:30') }) }));
    assert.equal(w.decision.guardrail, 'maintenance');
    assert.equal(w.gate?.lookAgainAt, at('2025-06-01T12:30:00Z'));

    const snooze = { until: NOW + HOUR, by: alice.by, at: NOW - MIN };
    const s = judgeIncident(input({ people: people({ holds: { snooze } }) }));
    assert.equal(s.decision.guardrail, 'snoozed');
    assert.equal(s.gate?.lookAgainAt, NOW + HOUR);
    const over = judgeIncident(input({ people: people({ holds: { snooze: { ...snooze, until: NOW - 1 } } }) }));
    assert.equal(over.decision.action, 'restart', 'an ended snooze holds nothing back');
  });

  test('never auto-restart: a restart becomes an escalation that can be approved', () => {
    const j = judgeIncident(input({ people: people({ holds: { never: { by: alice.by, at: NOW - HOUR } } }) }));
    assert.equal(j.decision.action, 'escalate');
    assert.equal(j.decision.guardrail, 'override-never');
    assert.equal(j.gate?.proposal?.ask, false);
    assert.equal(judgeIncident(input({ approved: alice, people: people({ holds: { never: { by: alice.by, at: NOW - HOUR } } }) })).decision.action, 'restart');
  });

  test('quiet hours hold alerts below the floor until they end; actions go on', () => {
    const quiet = people({ quietHours: parseQuietHours('11:00-13:00'), quietFloor: 'high' });
    const low = judgeIncident(input({ rules: makeVerdict({ severity: 'medium', safe: false }), people: quiet }));
    assert.equal(low.gate?.alertAfter, at('2025-06-01T13:00:00Z'));
    const high = judgeIncident(input({ people: quiet }));
    assert.equal(high.decision.action, 'restart');
    assert.equal(high.gate?.alertAfter, undefined, 'high severity is at the floor: sent now');
  });
});

const proposal = (o: Partial<Proposal> = {}): Proposal => ({
  incidentId: 'inc-1', occurrence: 1, host: 'local', containerId: 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2', containerName: 'web',
  trigger: makeTrigger('die', ago(2 * MIN)), startedAt: ago(10 * MIN), finishedAt: ago(2 * MIN), running: false,
  proposedAt: NOW - MIN, expiresAt: NOW + 14 * MIN, ask: true, reason: 'would restart', guardrail: 'awaiting-approval', status: 'pending',
  record: {} as AuditRecord, ...o,
});

describe('what an approval never overrides', () => {
  const down = makeFacts({ exitCode: 1, finishedAt: ago(2 * MIN) });
  test('still down as proposed: approvable', () => assert.equal(refuseFromFacts(proposal(), down), undefined));
  test('gone', () => assert.match(refuseFromFacts(proposal(), undefined)!, /is gone/));
  test('recreated (a new container has the name)', () => assert.match(refuseFromFacts(proposal(), undefined, makeFacts({ ref: { id: 'ffff00001111' } }))!, /recreated/));
  test('being recreated (compose renamed it first)', () => assert.match(refuseFromFacts(proposal(), makeFacts({ ref: { name: 'a1b2c3d4e5f6_web' }, finishedAt: ago(2 * MIN) }))!, /being recreated/));
  test('being removed', () => assert.match(refuseFromFacts(proposal(), makeFacts({ status: 'removing' }))!, /being removed/));
  test('running again', () => assert.match(refuseFromFacts(proposal(), makeRunningFacts({ startedAt: ago(MIN) }))!, /running again/));
  test('healthy again (an unhealthy proposal)', () => {
    const p = proposal({ trigger: makeTrigger('unhealthy'), running: true, startedAt: ago(HOUR), finishedAt: null });
    assert.match(refuseFromFacts(p, makeRunningFacts({ health: { status: 'healthy' } }))!, /healthy again/);
    assert.equal(refuseFromFacts(p, makeRunningFacts({ health: { status: 'unhealthy' } })), undefined);
  });
  test('superseded: it ran and died again since', () => assert.match(refuseFromFacts(proposal(), makeFacts({ startedAt: ago(MIN), finishedAt: ago(30 * SEC) }))!, /superseded/));
  test('expired, answered, superseded, unknown', () => {
    assert.match(refuseFromRecord(proposal({ expiresAt: NOW - 1 }), NOW)!, /expired/);
    assert.match(refuseFromRecord(proposal({ status: 'approved', answer: { by: alice.by, at: ago(0), detail: 'restarted' } }), NOW)!, /already approved by alice/);
    assert.match(refuseFromRecord(proposal({ status: 'superseded', answer: { at: ago(0), detail: 'a newer incident' } }), NOW)!, /superseded/);
    assert.match(refuseFromRecord(undefined, NOW)!, /no such incident/);
    assert.equal(refuseFromRecord(proposal(), NOW), undefined);
  });
});

describe('Slack buttons', () => {
  const record = (guardrail: AuditRecord['decision']['guardrail'], action: AuditRecord['decision']['action'] = 'escalate') =>
    ({ incidentId: 'inc-9', container: { id: 'x', name: 'web', image: 'i', host: 'local' }, decision: { action, guardrail, reason: 'r', executed: false, decidedBy: 'rules' } }) as AuditRecord;
  const ids = (r: AuditRecord) => {
    const b = buildActions(r);
    return b && b.type === 'actions' ? b.elements.map((e) => e.action_id) : [];
  };
  test('an escalation a restart could resolve: Restart now, Snooze 1 h, Never auto-restart', () => assert.deepEqual(ids(record('stateful-image')), [ACTION_RESTART, ACTION_SNOOZE, ACTION_NEVER]));
  test('one a restart cannot fix: Snooze only', () => assert.deepEqual(ids(record('restart-cannot-fix')), [ACTION_SNOOZE]));
  test('nothing to do: no buttons', () => assert.deepEqual(ids(record(null, 'restart')), []));
  test('the value names the incident and the container', () => {
    const b = buildActions(record('crash-loop'));
    assert.ok(b && b.type === 'actions');
    assert.deepEqual(parseButtonValue(b.elements[0]!.value), { incidentId: 'inc-9', host: 'local', name: 'web' });
    assert.equal(parseButtonValue('{"x":1}'), undefined);
    assert.equal(parseButtonValue('nope'), undefined);
  });
});
