import { segfault, abort, sigkill, sigterm } from '../../src/core/rules/signals.js';
import { HOUR, SEC, ago, makeHistory } from '../helpers/facts.js';
import { exited, logs, testRuleRows, type RuleRow } from '../helpers/rule-rows.js';

const rows: RuleRow[] = [
  {
    name: 'SIGKILL without OOM (137)',
    facts: exited(137),
    expect: { rule: 'sigkill', severity: 'high', safe: true, cannotFix: false, says: ['exited with code 137', 'SIGKILL'] },
  },
  {
    name: 'SIGTERM (143) with no stop seen: medium, not restart-safe',
    facts: exited(143),
    expect: { rule: 'sigterm', severity: 'medium', safe: false, says: ['SIGTERM', '143'] },
  },
  {
    name: 'segfault (139) quotes the crash line, restart-safe the first time',
    facts: exited(139),
    evidence: logs('Fatal Python error: Segmentation fault'),
    expect: { rule: 'segfault', severity: 'high', safe: true, says: ['segmentation fault', '"Fatal Python error: Segmentation fault"'] },
  },
  {
    name: 'segfault seen before: not restart-safe',
    facts: exited(139),
    history: makeHistory({ incidents: [{ signature: 's', incidentId: 'i', firstSeen: ago(HOUR), lastSeen: ago(HOUR), count: 1, lastAction: 'restart', rule: 'segfault' }] }),
    expect: { rule: 'segfault', safe: false, recurring: true, says: ['seen 1 time before'] },
  },
  {
    name: 'segfault already judged for this same exit (a second look) is not "seen before"',
    facts: exited(139),
    history: makeHistory({ incidents: [{ signature: 's', incidentId: 'i', firstSeen: ago(2 * SEC), lastSeen: ago(2 * SEC), count: 1, lastAction: 'restart', rule: 'segfault' }] }),
    expect: { rule: 'segfault', safe: true },
  },
  {
    name: 'segfault by text with another exit code',
    facts: exited(1),
    evidence: logs('worker[12]: segfault at 0 ip 00007f sp 00007ffd error 4 in libfoo.so'),
    expect: { rule: 'segfault' },
  },
  {
    name: 'SIGABRT (134)',
    facts: exited(134),
    evidence: logs("terminate called after throwing an instance of 'std::runtime_error'", 'Aborted (core dumped)'),
    expect: { rule: 'abort', severity: 'high', safe: true, says: ['Aborted (core dumped)'] },
  },

  {
    name: 'a segfault two seconds after the start is escalated: every start crashes the same way',
    facts: exited(139, { startedAt: ago(7 * SEC), finishedAt: ago(5 * SEC) }),
    expect: { rule: 'segfault', cannotFix: true, safe: false, failureClass: 'code', says: ['while starting'] },
  },
  {
    name: 'an abort at start-up is escalated too',
    facts: exited(134, { startedAt: ago(6 * SEC), finishedAt: ago(5 * SEC) }),
    evidence: logs("terminate called after throwing an instance of 'std::runtime_error'"),
    expect: { rule: 'abort', cannotFix: true, safe: false },
  },
];

testRuleRows('signals', [segfault, abort, sigkill, sigterm], rows);
