import { portNotPermitted } from '../../src/core/rules/privileged-port.js';
import { exited, logs, testRuleRows, type RuleRow } from '../helpers/rule-rows.js';

const rows: RuleRow[] = [
  {
    name: 'nginx as a user may not bind port 80: escalate naming the port and the capability',
    facts: exited(1),
    evidence: logs('2026/12/01 03:12:44 [emerg] 1#1: bind() to 0.0.0.0:80 failed (13: Permission denied)', 'nginx: [emerg] bind() to 0.0.0.0:80 failed (13: Permission denied)'),
    expect: { rule: 'port-not-permitted', cannotFix: true, safe: false, failureClass: 'environment', says: ['port 80', 'privileged port', 'NET_BIND_SERVICE'] },
  },
  {
    name: 'Node: listen EACCES on port 443 is the port, not a file permission',
    facts: exited(1),
    evidence: logs('Error: listen EACCES: permission denied 0.0.0.0:443'),
    expect: { rule: 'port-not-permitted', cannotFix: true, says: ['port 443'] },
  },
  {
    name: 'Go: bind: permission denied',
    facts: exited(1, { networkMode: 'host' }),
    evidence: logs('2026/12/01 03:12:44 listen tcp :53: bind: permission denied'),
    expect: { rule: 'port-not-permitted', cannotFix: true, says: ['port 53', 'network_mode: host'] },
  },
  {
    name: 'Apache: make_sock permission denied',
    facts: exited(1),
    evidence: logs('(13)Permission denied: AH00072: make_sock: could not bind to address 0.0.0.0:80'),
    expect: { rule: 'port-not-permitted', cannotFix: true, says: ['port 80'] },
  },
];

testRuleRows('privileged port', [portNotPermitted], rows);
