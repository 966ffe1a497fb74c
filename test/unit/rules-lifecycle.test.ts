import { manualStop, completed, sigint } from '../../src/core/rules/lifecycle.js';
import { exited, testRuleRows, type RuleRow } from '../helpers/rule-rows.js';

const rows: RuleRow[] = [
  { name: 'SIGINT (130)', facts: exited(130), expect: { rule: 'sigint', severity: 'medium', safe: false, says: ['SIGINT'] } },
  {
    name: 'stopped by a person',
    facts: exited(143),
    evidence: { stoppedByUser: true },
    expect: { rule: 'manual-stop', severity: 'low', safe: false, says: ['stopped on purpose', 'code 143'] },
  },
  { name: 'exit 0 is a completed job', facts: exited(0), expect: { rule: 'completed', severity: 'low', safe: false, settled: true } },

  {
    name: 'Ctrl-C in an interactive session (docker run -it) is a person: nothing to do',
    facts: exited(130, { tty: true, openStdin: true }),
    expect: { rule: 'sigint', severity: 'low', safe: false, failureClass: 'person', says: ['interactive session', 'Ctrl-C'] },
  },
];

testRuleRows('lifecycle', [manualStop, completed, sigint], rows);
