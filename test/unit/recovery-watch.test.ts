import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { awaitsRecovery, isWellAgain } from '../../src/pipeline/recovery-watch.js';
import { HOUR, MIN, NOW, SEC, ago, makeFacts, makeRunningFacts } from '../helpers/facts.js';
import { makeRecord } from '../helpers/slack-records.js';

describe('awaitsRecovery: which incidents get a follow-up', () => {
  const rows: Array<[string, Parameters<typeof makeRecord>[0], boolean]> = [
    ['an escalation', { decision: { action: 'escalate', executed: false } }, true],
    ['a restart that did not hold', { outcome: { status: 'not-running-after-restart' } }, true],
    ['a restart of a health-checked container (healthy tells)', { evidence: { health: 'unhealthy' } }, true],
    ['a restart that held, no health check (the incident message said so)', {}, false],
    ['a decision to do nothing', { decision: { action: 'none', executed: false }, outcome: { status: 'not-acted' } }, false],
  ];
  for (const [name, overrides, expected] of rows) {
    test(name, () => assert.equal(awaitsRecovery(makeRecord(overrides)), expected));
  }
});

describe('isWellAgain', () => {
  const judgedStart = ago(HOUR);
  const escalated = { record: makeRecord({ decision: { action: 'escalate' } }), startedAt: judgedStart };
  const unhealthy = { record: makeRecord({ evidence: { health: 'unhealthy', status: 'running' } }), startedAt: judgedStart };
  const stable = 30 * SEC;
  const rows: Array<[string, typeof escalated, ReturnType<typeof makeFacts>, boolean]> = [
    ['still exited', escalated, makeFacts({ status: 'exited', running: false }), false],
    ['started again and up longer than the stable time', escalated, makeRunningFacts({ startedAt: ago(MIN) }), true],
    ['started again, but only just (a crash loop is running half the time)', escalated, makeRunningFacts({ startedAt: ago(5 * SEC) }), false],
    ['running all along, never started again', escalated, makeRunningFacts({ startedAt: judgedStart }), false],
    ['restarting', escalated, makeFacts({ status: 'restarting', running: true, startedAt: ago(MIN) }), false],
    ['health check passes after a restart', unhealthy, makeRunningFacts({ startedAt: ago(5 * SEC), health: { status: 'healthy' } }), true],
    ['a failing health check passes again without a restart', unhealthy, makeRunningFacts({ startedAt: judgedStart, health: { status: 'healthy' } }), true],
    ['health check still starting', unhealthy, makeRunningFacts({ startedAt: ago(MIN), health: { status: 'starting' } }), false],
  ];
  for (const [name, pending, facts, expected] of rows) {
    test(name, () => assert.equal(isWellAgain(pending, facts, NOW, stable), expected));
  }
});
