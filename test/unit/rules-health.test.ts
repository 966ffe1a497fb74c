import { transientRecovered, unhealthy } from '../../src/core/rules/health.js';
import { makeRunningFacts, makeTrigger } from '../helpers/facts.js';
import { testRuleRows, type RuleRow } from '../helpers/rule-rows.js';

const rows: RuleRow[] = [
  {
    name: 'transient timeout that recovered: low, nothing to do',
    facts: makeRunningFacts(),
    trigger: makeTrigger('log-pattern'),
    evidence: { matchedLines: ['WARN upstream request timed out after 5000ms, retrying (1/3)'], logTail: ['INFO serving', 'WARN upstream request timed out after 5000ms, retrying (1/3)', 'INFO upstream reconnected, request succeeded'] },
    expect: { rule: 'transient-recovered', severity: 'low', safe: false, settled: true, says: ['recovered', 'reconnected'] },
  },
  {
    name: 'unhealthy: quotes the probe output and the streak',
    facts: makeRunningFacts({ health: { status: 'unhealthy', failingStreak: 4, lastOutput: 'curl: (7) Failed to connect to localhost port 8080 after 0 ms: Couldn\'t connect to server' } }),
    trigger: makeTrigger('unhealthy'),
    expect: { rule: 'unhealthy', severity: 'high', safe: true, says: ['4 failures in a row', 'Failed to connect to localhost port 8080'] },
  },
];

testRuleRows('health', [transientRecovered, unhealthy], rows);
