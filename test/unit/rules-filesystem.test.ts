import { diskFull, readOnlyFilesystem, permissionDenied } from '../../src/core/rules/filesystem.js';
import { exited, logs, testRuleRows, type RuleRow } from '../helpers/rule-rows.js';

const rows: RuleRow[] = [
  {
    name: 'disk full names the path',
    facts: exited(1),
    evidence: logs("OSError: [Errno 28] No space left on device: '/data/uploads/tmp123'"),
    expect: { rule: 'disk-full', severity: 'high', safe: false, cannotFix: true, says: ['disk it writes to is full', '/data/uploads/tmp123'] },
  },
  {
    name: 'disk full from Postgres (could not extend file) outranks the cascade of connection errors',
    facts: exited(1),
    evidence: logs('ERROR: could not extend file "base/16384/2619": No space left on device', 'Error: connect ECONNREFUSED 172.18.0.2:5432'),
    expect: { rule: 'disk-full' },
  },
  {
    name: 'permission denied on a volume names the path',
    facts: exited(1),
    evidence: logs("Error: EACCES: permission denied, open '/var/lib/app/state.json'"),
    expect: { rule: 'permission-denied', cannotFix: true, safe: false, says: ['/var/lib/app/state.json'] },
  },
  {
    name: 'Python PermissionError',
    facts: exited(1),
    evidence: logs("PermissionError: [Errno 13] Permission denied: '/data/db.sqlite'"),
    expect: { rule: 'permission-denied', says: ['/data/db.sqlite'] },
  },
  {
    name: 'read-only filesystem',
    facts: exited(1),
    evidence: logs("Error: EROFS: read-only file system, open '/app/cache/x.json'"),
    expect: { rule: 'read-only-filesystem', cannotFix: true, says: ['/app/cache/x.json'] },
  },
  {
    name: 'a bare "Permission denied" about loading a file is a permission problem',
    facts: exited(1),
    evidence: logs('1:M 01 Jan 2025 00:00:00.000 # Fatal error loading the DB: Permission denied. Exiting.'),
    expect: { rule: 'permission-denied', cannotFix: true },
  },

  {
    name: 'a data directory with the wrong owner is a file permission problem',
    facts: exited(1),
    evidence: logs('FATAL:  data directory "/var/lib/postgresql/data" has wrong ownership', 'HINT:  The server must be started by the user that owns the data directory.'),
    expect: { rule: 'permission-denied', cannotFix: true, failureClass: 'filesystem' },
  },
];

testRuleRows('filesystem', [diskFull, readOnlyFilesystem, permissionDenied], rows);
