import { restartLoop, exitError, errorsLogged, noProblem } from '../../src/core/rules/generic.js';
import { HOUR, MIN, ago, makeFacts, makeHistory, makeRunningFacts, makeTrigger } from '../helpers/facts.js';
import { exited, logs, testRuleRows, type RuleRow } from '../helpers/rule-rows.js';

const rows: RuleRow[] = [
  {
    name: 'ENOSPC for inotify watchers is not a full disk',
    facts: exited(1),
    evidence: logs('Error: ENOSPC: System limit for number of file watchers reached, watch /app/src'),
    expect: { rule: 'exit-error', settled: false },
  },
  {
    name: 'a database privilege error is not a file permission problem',
    facts: exited(1),
    evidence: logs('psycopg2.errors.InsufficientPrivilege: permission denied for table users'),
    expect: { rule: 'exit-error' },
  },
  {
    name: 'a JSON SyntaxError is bad input, not bad code',
    facts: exited(1),
    evidence: logs('SyntaxError: Unexpected token < in JSON at position 0'),
    expect: { rule: 'exit-error' },
  },
  {
    name: 'a lower-case KeyError in app code is not configuration',
    facts: exited(1),
    evidence: logs('Traceback (most recent call last):', "KeyError: 'user_id'"),
    expect: { rule: 'exit-error' },
  },
  {
    name: 'a recovery line does not excuse an unrelated error',
    facts: makeRunningFacts(),
    trigger: makeTrigger('log-pattern'),
    evidence: { matchedLines: ['ERROR invoice 9 failed: template missing'], logTail: ['WARN request timed out, retrying', 'ERROR invoice 9 failed: template missing', 'INFO reconnected to broker'] },
    expect: { rule: 'errors-logged' },
  },
  {
    name: 'a log level is not a missing variable',
    facts: exited(1),
    evidence: logs('WARN not set: TZ, defaulting to UTC', 'Error: boom'),
    expect: { rule: 'exit-error' },
  },
  {
    name: 'errors logged by a running container: generic, not settled',
    facts: makeRunningFacts({ health: { status: 'healthy' } }),
    trigger: makeTrigger('log-pattern'),
    evidence: logs('ERROR failed to render invoice 4411: template missing'),
    expect: { rule: 'errors-logged', severity: 'medium', safe: false, settled: false, says: ['running and healthy', 'template missing'] },
  },
  {
    name: 'Docker restarting loop',
    facts: makeFacts({ status: 'restarting', exitCode: 1, restartCount: 7, restartPolicy: { name: 'always' } }),
    evidence: logs('boot: unexpected config schema v3'),
    expect: { rule: 'restart-loop', severity: 'high', safe: false, settled: false, recurring: true, says: ['restart loop', 'restart count 7', 'unexpected config schema'] },
  },
  {
    name: 'generic exit 1 quotes its last error line and is restart-safe the first time',
    facts: exited(1),
    evidence: logs('Traceback (most recent call last):', 'ValueError: invalid literal for int() with base 10: "abc"'),
    expect: { rule: 'exit-error', severity: 'high', safe: true, settled: false, says: ['exited with code 1', 'general application error', 'ValueError'] },
  },
  {
    name: 'generic exit 1 again after a doctor restart this hour: not restart-safe',
    facts: exited(1),
    history: makeHistory({
      restarts: [ago(20 * MIN)],
      deaths: [ago(21 * MIN)],
      incidents: [{ signature: 's', incidentId: 'i', firstSeen: ago(21 * MIN), lastSeen: ago(21 * MIN), count: 1, lastAction: 'restart', rule: 'exit-error' }],
    }),
    expect: { rule: 'exit-error', safe: false, recurring: true, says: ['seen 1 time before', 'exited with code 1'] },
  },
  {
    name: 'other signal exit codes are named (135 = SIGBUS)',
    facts: exited(135),
    expect: { rule: 'exit-error', says: ['signal 7 (SIGBUS)'] },
  },
  {
    name: 'a JSON log line is quoted by its message',
    facts: exited(2),
    evidence: logs('{"level":"fatal","msg":"cannot load plugin auth-ldap","ts":1717243200}'),
    expect: { rule: 'exit-error', says: ['fatal: cannot load plugin auth-ldap'] },
  },
  {
    name: 'a stale exit found by reconciliation says how long ago',
    facts: exited(1, { finishedAt: ago(5 * HOUR) }),
    trigger: makeTrigger('exited'),
    expect: { rule: 'exit-error', says: ['exited 5 h ago, before the doctor was watching'] },
  },
  { name: 'a healthy running container', facts: makeRunningFacts(), trigger: makeTrigger('manual'), expect: { rule: 'no-problem', severity: 'low', settled: true } },
  { name: 'a paused container', facts: makeRunningFacts({ status: 'paused' }), trigger: makeTrigger('manual'), expect: { rule: 'no-problem', says: ['paused'] } },
];

testRuleRows('generic', [restartLoop, exitError, errorsLogged, noProblem], rows);
