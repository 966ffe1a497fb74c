import { oomKill, outOfMemory } from '../../src/core/rules/memory.js';
import { HOUR, SEC, ago, makeHistory, makeRunningFacts, makeTrigger } from '../helpers/facts.js';
import { exited, logs, MiB, testRuleRows, type RuleRow } from '../helpers/rule-rows.js';

const rows: RuleRow[] = [
  {
    name: 'a third heap exhaustion in a day: not restart-safe, and the fix does not say to restart',
    facts: exited(1),
    evidence: logs('FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory'),
    history: makeHistory({ incidents: [{ signature: 's', incidentId: 'i', firstSeen: ago(5 * HOUR), lastSeen: ago(2 * HOUR), count: 2, lastAction: 'restart', rule: 'out-of-memory' }] }),
    expect: { rule: 'out-of-memory', safe: false },
  },
  {
    name: 'OOM kill: exit 137 with OOMKilled names the limit',
    facts: exited(137, { oomKilled: true, memoryLimit: 256 * MiB }),
    expect: { rule: 'oom-kill', severity: 'high', safe: true, cannotFix: false, settled: true, recurring: false, says: ['web', 'OOM killer', '256 MiB', 'exit 137'] },
  },
  {
    name: 'OOM kill: 3rd in 24 h is a leak, not restart-safe, and says so',
    facts: exited(137, { oomKilled: true, memoryLimit: 512 * MiB }),
    history: makeHistory({ ooms: [ago(5 * HOUR), ago(HOUR)] }),
    expect: { rule: 'oom-kill', safe: false, recurring: true, says: ['3rd OOM kill in 24 h', 'leak'] },
  },
  {
    name: 'OOM kill: 2nd in 24 h is recurring but still restart-safe',
    facts: exited(137, { oomKilled: true }),
    history: makeHistory({ ooms: [ago(HOUR)] }),
    expect: { rule: 'oom-kill', safe: true, recurring: true, says: ['2nd OOM kill in 24 h', 'no memory limit'] },
  },
  {
    name: 'OOM kill: the oom event on a running container (a child process killed)',
    facts: makeRunningFacts({ memoryLimit: 128 * MiB }),
    trigger: makeTrigger('oom'),
    expect: { rule: 'oom-kill', says: ['A process in web', 'still running'] },
  },
  {
    name: 'OOM kill: exit 137 without the flag but an oom event recorded moments before',
    facts: exited(137),
    history: makeHistory({ ooms: [ago(6 * SEC)] }),
    expect: { rule: 'oom-kill' },
  },
  {
    name: 'Node heap exhaustion (134) is out-of-memory, not a plain abort',
    facts: exited(134),
    evidence: logs('FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory'),
    expect: { rule: 'out-of-memory', severity: 'high', safe: true, says: ['JavaScript heap out of memory'] },
  },
  {
    name: 'JVM OutOfMemoryError',
    facts: exited(3),
    evidence: logs('Exception in thread "main" java.lang.OutOfMemoryError: Java heap space'),
    expect: { rule: 'out-of-memory' },
  },
];

testRuleRows('memory', [oomKill, outOfMemory], rows);
