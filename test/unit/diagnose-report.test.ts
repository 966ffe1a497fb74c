import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Chalk } from 'chalk';
import { formatDiagnoseReport, seenBefore, toDiagnoseJson } from '../../src/cli/render/diagnose-report.js';
import type { Finding } from '../../src/core/types.js';
import type { IncidentResult } from '../../src/pipeline/incident-handler.js';
import { ago, makeEvidence, makeFacts, makeHistory, makeVerdict, MIN, NOW, SEC } from '../helpers/facts.js';

const plain = new Chalk({ level: 0 });

function result(overrides: Partial<IncidentResult> = {}): IncidentResult {
  const facts = makeFacts();
  const rules = makeVerdict({ rule: 'exit-error' });
  return {
    facts,
    logs: [],
    findings: [],
    evidence: makeEvidence(facts, { matchedLines: ['Error: boom'] }),
    signature: 'sig-a',
    rules,
    diagnosis: rules.diagnosis,
    decision: { action: 'restart', reason: 'exit 1', guardrail: null, executed: false, decidedBy: 'rules' },
    outcome: { status: 'not-acted', detail: 'no action taken', at: new Date(NOW).toISOString() },
    history: makeHistory(),
    ...overrides,
  } as IncidentResult;
}

test('one failure gets one count: two signatures of the rule, one of them already holding this exit', () => {
  const history = makeHistory({
    incidents: [
      // This exit (finished 5 s ago) was judged already: 2 sightings, one of them this exit.
      { signature: 'sig-a', incidentId: 'i1', firstSeen: ago(30 * MIN), lastSeen: ago(2 * SEC), count: 2, lastAction: 'restart', rule: 'exit-error' },
      { signature: 'sig-b', incidentId: 'i2', firstSeen: ago(60 * MIN), lastSeen: ago(50 * MIN), count: 2, lastAction: 'none', rule: 'exit-error' },
      { signature: 'sig-c', incidentId: 'i3', firstSeen: ago(60 * MIN), lastSeen: ago(50 * MIN), count: 5, lastAction: 'none', rule: 'oom-kill' },
    ],
  });
  const r = result({ history });
  assert.equal(seenBefore(r, NOW)?.count, 3);
  const text = formatDiagnoseReport(plain, r);
  const counts = [...text.matchAll(/seen before: (\d+)x/g)].map((m) => m[1]);
  assert.deepEqual(counts, ['3'], text);
});

test('--json lists each error line once', () => {
  const f = (pattern: string): Finding => ({ line: 'Error: boom', stream: 'stderr', pattern, ts: ago(6 * SEC) }) as Finding;
  const json = toDiagnoseJson(result({ findings: [f('error'), f('boom'), f('fatal'), { ...f('error'), ts: ago(4 * SEC) } as Finding] }));
  assert.equal(json.findings.length, 2, JSON.stringify(json.findings));
});

test('a restart that did not hold is RESTART FAILED, not RESTARTED', () => {
  const r = result({
    decision: { action: 'restart', reason: 'exit 1', guardrail: null, executed: true, decidedBy: 'rules' } as IncidentResult['decision'],
    outcome: { status: 'not-running-after-restart', detail: 'exited again within 10 s', at: new Date(NOW).toISOString() },
  });
  const text = formatDiagnoseReport(plain, r);
  assert.match(text, /Decision {2}RESTART FAILED/);
  assert.doesNotMatch(text, /RESTARTED/);
});
