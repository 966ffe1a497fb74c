import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildReport } from '../../src/core/report/build-report.js';
import { describeTimePattern } from '../../src/core/report/signature-times.js';
import { parseSince } from '../../src/core/report/report-window.js';
import type { ContainerStory, StoryStep } from '../../src/core/story.js';
import type { AuditRecord } from '../../src/core/types.js';
import { makeRecord } from '../helpers/slack-records.js';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const HOST = 'unix:///var/run/docker.sock';
const story = (steps: StoryStep[]): ContainerStory => ({ id: 'c0ffee', host: HOST, name: 'web-1', steps });
const report = (records: AuditRecord[], steps: StoryStep[], toMs = T0 + 60 * MIN) =>
  buildReport({ records, notes: [], stories: [story(steps)], fromMs: T0 - 60 * MIN, toMs });

test('a restart held when nothing failed in the 10 minutes after its settle check', () => {
  const r = makeRecord({ time: iso(T0), evidence: { finishedAt: iso(T0 - 1_000) }, outcome: { at: iso(T0 + 5_000) } });
  const steps: StoryStep[] = [
    { at: T0 - 1_000, kind: 'die', exitCode: 137 },
    { at: T0 + 2_000, kind: 'start', by: 'doctor' },
  ];
  const rep = report([r], steps);
  assert.deepEqual(rep.restarts.map((x) => x.verdict), ['held']);
  assert.deepEqual(rep.total.timeToRecovery, {
    count: 1, medianMs: 3_000, worstMs: 3_000,
    by: { doctor: { count: 1, medianMs: 3_000, worstMs: 3_000 }, docker: { count: 0, medianMs: null, worstMs: null }, person: { count: 0, medianMs: null, worstMs: null }, itself: { count: 0, medianMs: null, worstMs: null } },
  });
  assert.equal(rep.total.downMs, 3_000);
});

test('a crash 9 minutes after the restart is a relapse; one at 11 minutes is not', () => {
  const r = makeRecord({ time: iso(T0), outcome: { at: iso(T0) } });
  for (const [after, verdict] of [[9 * MIN, 'relapsed'], [11 * MIN, 'held']] as const) {
    const rep = report([r], [{ at: T0 + 1_000, kind: 'start', by: 'doctor' }, { at: T0 + after, kind: 'die', exitCode: 1 }]);
    assert.equal(rep.restarts[0]!.verdict, verdict, `crash after ${after / MIN} min`);
    assert.equal(rep.didItHelp.restartsNotHelped.length, verdict === 'relapsed' ? 1 : 0);
  }
});

test('a person stopping it after the restart is not a relapse', () => {
  const r = makeRecord({ time: iso(T0), outcome: { at: iso(T0) } });
  const rep = report([r], [{ at: T0 + MIN, kind: 'kill', signal: 'SIGTERM', by: 'person' }, { at: T0 + MIN + 500, kind: 'die', exitCode: 143 }]);
  assert.equal(rep.restarts[0]!.verdict, 'held');
});

test('a restart a person stopped, paused or restarted during its settle check is taken over, not failed', () => {
  for (const status of ['stopped-by-person', 'paused-by-person', 'restarted-by-person'] as const) {
    const r = makeRecord({ time: iso(T0), outcome: { status, at: iso(T0 + 5_000) } });
    const rep = report([r], [{ at: T0 + 1_000, kind: 'start', by: 'doctor' }]);
    assert.equal(rep.restarts[0]!.verdict, 'taken-over', status);
    assert.deepEqual([rep.total.restarts.failed, rep.total.restarts.takenOver, rep.didItHelp.restartsNotHelped.length], [0, 1, 0], status);
  }
});

test('an escalation a person fixed with a plain restart that then kept running', () => {
  const r = makeRecord({ time: iso(T0), decision: { action: 'escalate', guardrail: 'not-safe', executed: false }, outcome: { status: 'not-acted' } });
  const rep = report([r], [{ at: T0 - 500, kind: 'die', exitCode: 1 }, { at: T0 + 5 * MIN, kind: 'restart', by: 'person' }]);
  assert.deepEqual(rep.didItHelp.escalationsResolvedByPerson, [{ container: 'web-1', incidentId: 'inc-0001', at: iso(T0), guardrail: 'not-safe', resolvedAt: iso(T0 + 5 * MIN) }]);
  assert.equal(rep.recoveries[0]!.by, 'person');
  // Too soon to say it held: not counted yet.
  assert.deepEqual(report([r], [{ at: T0 + 5 * MIN, kind: 'restart', by: 'person' }], T0 + 10 * MIN).didItHelp.escalationsResolvedByPerson, []);
});

test('a nightly failure shows as one', () => {
  const day = 24 * 60 * MIN;
  assert.equal(describeTimePattern([T0 - 2 * day + 5 * MIN, T0 - day - 3 * MIN, T0 + 20 * MIN]), 'daily around 12:05 UTC');
  assert.equal(describeTimePattern([T0, T0 + day + 3 * 60 * MIN]), null, 'three hours apart is no pattern');
  assert.equal(describeTimePattern([T0, T0 + 10 * MIN]), null, 'one day is no pattern');
});

test('diagnosis cost per backend, and the decisions the AI changed', () => {
  const usage = { model: 'claude-x', inputTokens: 1000, outputTokens: 200, cacheReadTokens: 0, cacheWriteTokens: 0, estimatedCostUsd: 0.01 };
  const rules = makeRecord().diagnosis;
  const changed = { ...makeRecord({ incidentId: 'a', rulesDiagnosis: rules, diagnosis: { source: 'ai', backend: 'claude' }, decision: { action: 'escalate', guardrail: 'not-safe', decidedBy: 'claude', executed: false } }), aiUsage: { ...usage, backend: 'claude' } };
  const agreed = { ...makeRecord({ incidentId: 'b', time: iso(T0 + MIN), rulesDiagnosis: rules, diagnosis: { source: 'ai', backend: 'ollama' }, decision: { decidedBy: 'claude' } }), aiUsage: { ...usage, backend: 'ollama', estimatedCostUsd: null } };
  const rep = buildReport({ records: [changed, agreed, makeRecord({ incidentId: 'c' })], notes: [], stories: [], fromMs: 0, toMs: T0 + 60 * MIN });
  assert.deepEqual(rep.diagnosis.byBackend, [
    { backend: 'claude', calls: 1, inputTokens: 1000, outputTokens: 200, estimatedCostUsd: 0.01 },
    { backend: 'ollama', calls: 1, inputTokens: 1000, outputTokens: 200, estimatedCostUsd: null },
  ]);
  assert.equal(rep.diagnosis.calls, 2);
  assert.equal(rep.diagnosis.estimatedCostUsd, 0.01);
  assert.equal(rep.diagnosis.aiChangedDecision, 1);
  assert.equal(rep.diagnosis.rulesOnly, 1);
});

test('--since spans and dates', () => {
  assert.deepEqual(parseSince('7d', T0), { ok: true, ms: T0 - 7 * 24 * 60 * MIN });
  assert.deepEqual(parseSince('2025-02-28', T0), { ok: true, ms: Date.parse('2025-02-28T00:00:00Z') });
  for (const bad of ['0d', 'last week', '2025-02-30', '2030-01-01', '7']) assert.equal(parseSince(bad, T0).ok, false, bad);
});
