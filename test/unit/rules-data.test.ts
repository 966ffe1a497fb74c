import { dataLocked, schemaMismatch } from '../../src/core/rules/data.js';
import { exited, logs, testRuleRows, type RuleRow } from '../helpers/rule-rows.js';

const rows: RuleRow[] = [
  {
    name: 'a migration has not run',
    facts: exited(1),
    evidence: logs('django.db.utils.ProgrammingError: relation "users" does not exist'),
    expect: { rule: 'schema-mismatch', cannotFix: true, says: ['migration'] },
  },

  {
    name: 'a data path another node holds (or that is not writable) is locked data',
    facts: exited(1),
    evidence: logs('org.elasticsearch.bootstrap.StartupException: java.lang.IllegalStateException: failed to obtain node locks, tried [[/usr/share/elasticsearch/data/elasticsearch]] with lock id [0]; maybe these locations are not writable'),
    expect: { rule: 'data-locked', cannotFix: true, safe: false, failureClass: 'data', says: ['could not lock its data'] },
  },
  {
    name: 'a stale lock left by an unclean stop',
    facts: exited(100),
    evidence: logs('exception in initAndListen: 12596 old lock file, terminating'),
    expect: { rule: 'data-locked', cannotFix: true },
  },
  {
    name: "SQLite's busy writer is not a locked data directory",
    facts: exited(1),
    evidence: logs('sqlite3.OperationalError: database is locked'),
    expect: { rule: 'exit-error' },
  },
];

testRuleRows('data', [schemaMismatch, dataLocked], rows);
