import { hostNotAllowed } from '../../src/core/rules/access.js';
import { dataFormat } from '../../src/core/rules/data.js';
import { sharedMemory } from '../../src/core/rules/shared-memory.js';
import { makeRunningFacts, makeTrigger } from '../helpers/facts.js';
import { exited, logs, MiB, testRuleRows, type RuleRow } from '../helpers/rule-rows.js';

/** What database servers say about their configuration, access rules, shared memory and data. */
const rows: RuleRow[] = [
  {
    name: 'Postgres: its configuration file contains errors',
    facts: exited(1, { ref: { image: 'postgres:16' } }),
    evidence: logs('2026-12-01 03:12:44.120 UTC [1] LOG:  syntax error in file "/var/lib/postgresql/data/postgresql.conf" line 3, near token "="', '2026-12-01 03:12:44.120 UTC [1] FATAL:  configuration file "/var/lib/postgresql/data/postgresql.conf" contains errors'),
    expect: { rule: 'invalid-config', cannotFix: true, safe: false, says: ['/var/lib/postgresql/data/postgresql.conf'] },
  },
  {
    name: 'Postgres: invalid value for a parameter',
    facts: exited(1, { ref: { image: 'postgres:16' } }),
    evidence: logs('2026-12-01 03:12:44.120 UTC [1] FATAL:  invalid value for parameter "shared_buffers": "12XB"'),
    expect: { rule: 'invalid-config', cannotFix: true },
  },
  {
    name: 'a client refused by pg_hba.conf: the server\'s access rules, not a restart',
    facts: exited(1),
    evidence: logs('psycopg2.OperationalError: connection to server at "db" (172.18.0.2), port 5432 failed: FATAL:  no pg_hba.conf entry for host "172.18.0.5", user "app", database "app", no encryption'),
    expect: { rule: 'host-not-allowed', cannotFix: true, safe: false, failureClass: 'environment', says: ['172.18.0.5'] },
  },
  {
    name: 'MySQL: the host is not allowed to connect',
    facts: exited(1),
    evidence: logs("ERROR 1130 (HY000): Host '172.18.0.5' is not allowed to connect to this MySQL server"),
    expect: { rule: 'host-not-allowed', cannotFix: true, says: ['172.18.0.5'] },
  },
  {
    name: 'the database server itself logs a refused client and keeps serving: not its own failure',
    facts: makeRunningFacts({ ref: { image: 'postgres:16' } }),
    trigger: makeTrigger('log-pattern'),
    evidence: logs('2026-12-01 03:12:44.120 UTC [88] FATAL:  no pg_hba.conf entry for host "10.0.0.9", user "x", database "x", no encryption'),
    expect: { rule: 'errors-logged' },
  },
  {
    name: 'Postgres: /dev/shm is full (64 MB default), not the disk',
    facts: exited(1, { ref: { image: 'postgres:16' } }),
    evidence: logs('2026-12-01 03:12:44.120 UTC [61] ERROR:  could not resize shared memory segment "/PostgreSQL.1183" to 8388608 bytes: No space left on device'),
    expect: { rule: 'shared-memory', cannotFix: true, safe: false, failureClass: 'environment', says: ['/dev/shm', 'not the disk'] },
  },
  {
    name: 'Postgres: anonymous shared memory does not fit: not a heap OOM to restart',
    facts: exited(1, { ref: { image: 'postgres:16' }, memoryLimit: 512 * MiB }),
    evidence: logs('2026-12-01 03:12:44.120 UTC [1] FATAL:  could not map anonymous shared memory: Cannot allocate memory', "2026-12-01 03:12:44.120 UTC [1] HINT:  This error usually means that PostgreSQL's request for a shared memory segment exceeded available memory, swap space, or huge pages."),
    expect: { rule: 'shared-memory', cannotFix: true, safe: false, says: ['shared_buffers'] },
  },
  {
    name: 'MySQL 8.0.30+: a redo log from an older version',
    facts: exited(1, { ref: { image: 'mysql:8.4' } }),
    evidence: logs('2026-12-01T03:12:44.120Z 0 [ERROR] [MY-013090] [InnoDB] Unsupported redo log format (v1). The redo log was created before MySQL 8.0.30.'),
    expect: { rule: 'data-format', cannotFix: true, safe: false, failureClass: 'data', says: ['another version', 'mysql:8.4'] },
  },
  {
    name: 'MariaDB: upgrade after a crash is not supported',
    facts: exited(1, { ref: { image: 'mariadb:11' } }),
    evidence: logs('2026-12-01  3:12:44 0 [ERROR] InnoDB: Upgrade after a crash is not supported. The redo log was created with MariaDB 10.4.12.'),
    expect: { rule: 'data-format', cannotFix: true },
  },
  {
    name: 'MongoDB: featureCompatibilityVersion too old for this mongod',
    facts: exited(62, { ref: { image: 'mongo:7.0' } }),
    evidence: logs('{"t":{"$date":"2026-12-01T03:12:44.120+00:00"},"s":"F","c":"CONTROL","id":20573,"ctx":"initandlisten","msg":"Wrong mongod version","attr":{"error":"UPGRADE_PROBLEM: Found an invalid featureCompatibilityVersion document (ERROR: Location4926900: Invalid featureCompatibilityVersion document in admin.system.version: { _id: \\"featureCompatibilityVersion\\", version: \\"5.0\\" }."}}'),
    expect: { rule: 'data-format', cannotFix: true, says: ['another version'] },
  },
  {
    name: 'Redis: a damaged append-only file',
    facts: exited(1, { ref: { image: 'redis:7' } }),
    evidence: logs('1:M 01 Dec 2026 03:12:44.120 # Bad file format reading the append only file appendonly.aof.1.incr.aof: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>'),
    expect: { rule: 'data-format', cannotFix: true, says: ['damaged'] },
  },
  {
    name: 'Redis: an RDB written by a newer Redis',
    facts: exited(1, { ref: { image: 'redis:6' } }),
    evidence: logs("1:M 01 Dec 2026 03:12:44.120 # Can't handle RDB format version 11"),
    expect: { rule: 'data-format', cannotFix: true, says: ['another version'] },
  },
];

testRuleRows('server data', [hostNotAllowed, dataFormat, sharedMemory], rows);
