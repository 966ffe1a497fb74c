import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RULES_CATALOG, describeExitCode, diagnoseByRules, type RulesInput } from '../../src/core/rules-catalog.js';
import type { ContainerFacts, ContainerHistory, Evidence, Severity, Trigger } from '../../src/core/types.js';
import { HOUR, MIN, NOW, SEC, ago, makeEvidence, makeFacts, makeHistory, makeRunningFacts, makeTrigger } from '../helpers/facts.js';

interface Row {
  readonly name: string;
  readonly facts?: ContainerFacts;
  readonly evidence?: Partial<Evidence>;
  readonly trigger?: Trigger;
  readonly history?: ContainerHistory;
  readonly expect: {
    readonly rule: string;
    readonly severity?: Severity;
    readonly safe?: boolean;
    readonly cannotFix?: boolean;
    readonly settled?: boolean;
    readonly recurring?: boolean;
    /** Fragments the root cause must contain (derived from the evidence, not canned). */
    readonly says?: readonly string[];
  };
}

const exited = (exitCode: number, extra: Parameters<typeof makeFacts>[0] = {}) => makeFacts({ exitCode, ...extra });
const logs = (...lines: string[]): Partial<Evidence> => ({ matchedLines: lines, logTail: lines });
const MiB = 1024 * 1024;

const rows: Row[] = [
  // Signals and exit codes.
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
    name: 'SIGKILL without OOM (137)',
    facts: exited(137),
    expect: { rule: 'sigkill', severity: 'high', safe: true, cannotFix: false, says: ['exited with code 137', 'SIGKILL'] },
  },
  {
    name: 'SIGTERM (143) with no stop seen: medium, not restart-safe',
    facts: exited(143),
    expect: { rule: 'sigterm', severity: 'medium', safe: false, says: ['SIGTERM', '143'] },
  },
  { name: 'SIGINT (130)', facts: exited(130), expect: { rule: 'sigint', severity: 'medium', safe: false, says: ['SIGINT'] } },
  {
    name: 'stopped by a person',
    facts: exited(143),
    evidence: { stoppedByUser: true },
    expect: { rule: 'manual-stop', severity: 'low', safe: false, says: ['stopped on purpose', 'code 143'] },
  },
  { name: 'exit 0 is a completed job', facts: exited(0), expect: { rule: 'completed', severity: 'low', safe: false, settled: true } },
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
  // Start failures.
  {
    name: 'command not found from State.Error names the command',
    facts: makeFacts({ status: 'created', exitCode: 127, stateError: 'failed to create task for container: OCI runtime create failed: runc create failed: unable to start container process: exec: "gunicorn": executable file not found in $PATH: unknown' }),
    expect: { rule: 'command-not-found', severity: 'high', safe: false, cannotFix: true, settled: true, says: ['"gunicorn"', 'could not start'] },
  },
  {
    name: 'command not found from a shell (127)',
    facts: exited(127),
    evidence: logs('/docker-entrypoint.sh: line 12: migrate: command not found'),
    expect: { rule: 'command-not-found', cannotFix: true, says: ['"migrate"'] },
  },
  {
    name: 'busybox sh: not found',
    facts: exited(127),
    evidence: logs('sh: nodemon: not found'),
    expect: { rule: 'command-not-found', says: ['"nodemon"'] },
  },
  { name: 'bare exit 127', facts: exited(127), expect: { rule: 'command-not-found', cannotFix: true } },
  {
    name: 'entrypoint script with CRLF endings: exec ... no such file or directory',
    facts: exited(127),
    evidence: logs('exec /entrypoint.sh: no such file or directory'),
    expect: { rule: 'command-not-found', says: ['"/entrypoint.sh"', 'Windows line endings'] },
  },
  {
    name: 'not executable (126) with permission denied',
    facts: exited(126),
    evidence: logs('/bin/sh: 1: ./run.sh: Permission denied'),
    expect: { rule: 'not-executable', cannotFix: true, safe: false, says: ['cannot be executed'] },
  },
  {
    name: 'exec format error (wrong architecture)',
    facts: exited(1),
    evidence: logs('exec /usr/local/bin/server: exec format error'),
    expect: { rule: 'not-executable', cannotFix: true, says: ['"/usr/local/bin/server"', 'architecture'] },
  },
  {
    name: 'OCI permission denied in State.Error',
    facts: makeFacts({ status: 'created', exitCode: 126, stateError: 'OCI runtime create failed: exec: "/app/start": permission denied: unknown' }),
    expect: { rule: 'not-executable', says: ['"/app/start"'] },
  },
  {
    name: 'a start failure that is not about the command (missing mount source) is start-failed',
    facts: makeFacts({ status: 'created', exitCode: 127, stateError: 'error while creating mount source path \'/srv/app/config\': mkdir /srv/app: read-only file system' }),
    expect: { rule: 'start-failed', cannotFix: true, safe: false, says: ['could not be started', 'a mount failed', '/srv/app/config'] },
  },
  {
    name: 'OCI stat error for a missing entrypoint is command-not-found',
    facts: makeFacts({ status: 'created', exitCode: 127, stateError: 'OCI runtime create failed: runc create failed: unable to start container process: exec: "/app/run": stat /app/run: no such file or directory: unknown' }),
    expect: { rule: 'command-not-found', says: ['"/app/run"'] },
  },
  // Causes in the log text.
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
    name: 'ENOSPC for inotify watchers is not a full disk',
    facts: exited(1),
    evidence: logs('Error: ENOSPC: System limit for number of file watchers reached, watch /app/src'),
    expect: { rule: 'exit-error', settled: false },
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
    name: 'a database privilege error is not a file permission problem',
    facts: exited(1),
    evidence: logs('psycopg2.errors.InsufficientPrivilege: permission denied for table users'),
    expect: { rule: 'exit-error' },
  },
  {
    name: 'read-only filesystem',
    facts: exited(1),
    evidence: logs("Error: EROFS: read-only file system, open '/app/cache/x.json'"),
    expect: { rule: 'read-only-filesystem', cannotFix: true, says: ['/app/cache/x.json'] },
  },
  {
    name: 'address already in use (Go) names the port',
    facts: exited(1),
    evidence: logs('listen tcp :8080: bind: address already in use'),
    expect: { rule: 'address-in-use', cannotFix: true, says: ['port 8080'] },
  },
  {
    name: 'Python module missing from the image',
    facts: exited(1),
    evidence: logs('Traceback (most recent call last):', "ModuleNotFoundError: No module named 'flask'"),
    expect: { rule: 'missing-dependency', cannotFix: true, safe: false, says: ['flask'] },
  },
  {
    name: 'Node module missing from the image',
    facts: exited(1),
    evidence: logs("Error: Cannot find module 'express'", 'Require stack:'),
    expect: { rule: 'missing-dependency', cannotFix: true },
  },
  {
    name: 'Java class missing from the classpath',
    facts: exited(1),
    evidence: logs('Exception in thread "main" java.lang.NoClassDefFoundError: org/slf4j/LoggerFactory'),
    expect: { rule: 'missing-dependency' },
  },
  {
    name: 'shared library missing',
    facts: exited(127),
    evidence: logs('/app/server: error while loading shared libraries: libssl.so.3: cannot open shared object file: No such file or directory'),
    expect: { rule: 'missing-dependency', cannotFix: true },
  },
  {
    name: 'syntax error in the code',
    facts: exited(1),
    evidence: logs('/app/index.js:12', 'SyntaxError: Unexpected token }'),
    expect: { rule: 'code-error', cannotFix: true, safe: false },
  },
  {
    name: 'a JSON SyntaxError is bad input, not bad code',
    facts: exited(1),
    evidence: logs('SyntaxError: Unexpected token < in JSON at position 0'),
    expect: { rule: 'exit-error' },
  },
  {
    name: 'nginx rejects its configuration',
    facts: exited(1),
    evidence: logs('nginx: [emerg] unknown directive "proxy_pas" in /etc/nginx/conf.d/default.conf:7'),
    expect: { rule: 'invalid-config', cannotFix: true, says: ['/etc/nginx/conf.d/default.conf'] },
  },
  {
    name: 'YAML configuration does not parse',
    facts: exited(1),
    evidence: logs('Error: failed to parse config.yaml: yaml: line 3: mapping values are not allowed in this context'),
    expect: { rule: 'invalid-config' },
  },
  {
    name: 'unknown command-line flag',
    facts: exited(2),
    evidence: logs('flag provided but not defined: -lisen'),
    expect: { rule: 'invalid-config', cannotFix: true },
  },
  {
    name: 'nginx cannot resolve its upstream: a dependency, not its configuration',
    facts: exited(1),
    evidence: logs('nginx: [emerg] host not found in upstream "api:8080" in /etc/nginx/conf.d/default.conf:12'),
    expect: { rule: 'dns-failure', safe: true },
  },
  {
    name: 'Postgres rejects the password',
    facts: exited(1),
    evidence: logs('FATAL:  password authentication failed for user "app"'),
    expect: { rule: 'bad-credentials', cannotFix: true, safe: false },
  },
  {
    name: 'MySQL rejects the user',
    facts: exited(1),
    evidence: logs("ERROR 1045 (28000): Access denied for user 'app'@'172.18.0.5' (using password: YES)"),
    expect: { rule: 'bad-credentials' },
  },
  {
    name: 'a migration has not run',
    facts: exited(1),
    evidence: logs('django.db.utils.ProgrammingError: relation "users" does not exist'),
    expect: { rule: 'schema-mismatch', cannotFix: true, says: ['migration'] },
  },
  {
    name: 'a bare "Permission denied" about loading a file is a permission problem',
    facts: exited(1),
    evidence: logs('1:M 01 Jan 2025 00:00:00.000 # Fatal error loading the DB: Permission denied. Exiting.'),
    expect: { rule: 'permission-denied', cannotFix: true },
  },
  {
    name: 'EADDRINUSE (Node) names the port',
    facts: exited(1),
    evidence: logs('Error: listen EADDRINUSE: address already in use :::3000'),
    expect: { rule: 'address-in-use', says: ['port 3000'] },
  },
  {
    name: 'published port already allocated on the host',
    facts: makeFacts({ status: 'created', exitCode: 128, stateError: 'driver failed programming external connectivity on endpoint web: Bind for 0.0.0.0:8080 failed: port is already allocated' }),
    expect: { rule: 'address-in-use', says: ['port 8080', 'another container'] },
  },
  {
    name: 'missing env var: Python KeyError',
    facts: exited(1),
    evidence: logs('Traceback (most recent call last):', "    DATABASE_URL = os.environ['DATABASE_URL']", "KeyError: 'DATABASE_URL'"),
    expect: { rule: 'missing-config', cannotFix: true, safe: false, says: ['DATABASE_URL'] },
  },
  {
    name: 'a lower-case KeyError in app code is not configuration',
    facts: exited(1),
    evidence: logs('Traceback (most recent call last):', "KeyError: 'user_id'"),
    expect: { rule: 'exit-error' },
  },
  {
    name: 'missing env var: "environment variable X is not set"',
    facts: exited(1),
    evidence: logs('Error: environment variable "STRIPE_API_KEY" is not set'),
    expect: { rule: 'missing-config', says: ['STRIPE_API_KEY'] },
  },
  {
    name: 'missing env var: "X must be set"',
    facts: exited(1),
    evidence: logs('panic: JWT_SECRET must be set'),
    expect: { rule: 'missing-config', says: ['JWT_SECRET'] },
  },
  {
    name: 'missing env var: shell set -u',
    facts: exited(1),
    evidence: logs('/entrypoint.sh: line 4: REDIS_URL: unbound variable'),
    expect: { rule: 'missing-config', says: ['REDIS_URL'] },
  },
  {
    name: 'missing Spring placeholder',
    facts: exited(1),
    evidence: logs("java.lang.IllegalArgumentException: Could not resolve placeholder 'app.db.password' in value \"${app.db.password}\""),
    expect: { rule: 'missing-config', says: ['app.db.password'] },
  },
  {
    name: 'TLS certificate expired (Go) names the host',
    facts: exited(1),
    evidence: logs('Get "https://api.partner.example.com/v1/orders": x509: certificate has expired or is not yet valid: current time 2025-06-01T12:00:00Z is after 2025-05-30T23:59:59Z'),
    expect: { rule: 'tls-expired', cannotFix: true, safe: false, says: ['api.partner.example.com', 'has expired'] },
  },
  {
    name: 'TLS certificate expired (Node)',
    facts: exited(1),
    evidence: logs('Error: certificate has expired', '    code: CERT_HAS_EXPIRED'),
    expect: { rule: 'tls-expired' },
  },
  {
    name: 'connection pool exhausted (HikariCP) names the pool',
    facts: exited(1),
    evidence: logs('java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms.'),
    expect: { rule: 'pool-exhausted', severity: 'high', safe: true, cannotFix: false, says: ['HikariPool-1'] },
  },
  {
    name: 'Postgres out of connection slots',
    facts: exited(1),
    evidence: logs('FATAL:  remaining connection slots are reserved for non-replication superuser connections'),
    expect: { rule: 'pool-exhausted', says: ['database refused new connections'] },
  },
  {
    name: 'knex pool timeout',
    facts: exited(1),
    evidence: logs('KnexTimeoutError: Knex: Timeout acquiring a connection. The pool is probably full.'),
    expect: { rule: 'pool-exhausted' },
  },
  {
    name: 'DNS failure (Postgres) names the host',
    facts: exited(1),
    evidence: logs('psycopg2.OperationalError: could not translate host name "db" to address: Name or service not known'),
    expect: { rule: 'dns-failure', severity: 'high', safe: true, cannotFix: false, says: ['"db"'] },
  },
  {
    name: 'DNS failure (Node getaddrinfo)',
    facts: exited(1),
    evidence: logs('Error: getaddrinfo ENOTFOUND redis-cache'),
    expect: { rule: 'dns-failure', says: ['"redis-cache"'] },
  },
  {
    name: 'DNS failure (Go) names the host',
    facts: exited(1),
    evidence: logs('dial tcp: lookup queue on 127.0.0.11:53: no such host'),
    expect: { rule: 'dns-failure', says: ['"queue"'] },
  },
  {
    name: 'connection refused (Node) names host and port',
    facts: exited(1),
    evidence: logs('Error: connect ECONNREFUSED 172.18.0.4:6379'),
    expect: { rule: 'connection-refused', severity: 'high', safe: true, cannotFix: false, settled: true, says: ['172.18.0.4:6379'] },
  },
  {
    name: 'connection refused (psycopg) names host and port',
    facts: exited(1),
    evidence: logs('psycopg.OperationalError: connection failed: connection to server at "postgres" (172.18.0.2), port 5432 failed: Connection refused'),
    expect: { rule: 'connection-refused', says: ['postgres:5432'] },
  },
  {
    name: 'connection refused (Go dial)',
    facts: exited(1),
    evidence: logs('dial tcp 10.0.0.7:9092: connect: connection refused'),
    expect: { rule: 'connection-refused', says: ['10.0.0.7:9092'] },
  },
  {
    name: 'dependency timeout',
    facts: exited(1),
    evidence: logs('Error: connect ETIMEDOUT 10.1.2.3:443'),
    expect: { rule: 'dependency-timeout', safe: true, says: ['10.1.2.3:443'] },
  },
  // Running containers.
  {
    name: 'transient timeout that recovered: low, nothing to do',
    facts: makeRunningFacts(),
    trigger: makeTrigger('log-pattern'),
    evidence: { matchedLines: ['WARN upstream request timed out after 5000ms, retrying (1/3)'], logTail: ['INFO serving', 'WARN upstream request timed out after 5000ms, retrying (1/3)', 'INFO upstream reconnected, request succeeded'] },
    expect: { rule: 'transient-recovered', severity: 'low', safe: false, settled: true, says: ['recovered', 'reconnected'] },
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
    name: 'timeout with no recovery line on a running container is a dependency timeout',
    facts: makeRunningFacts(),
    trigger: makeTrigger('log-pattern'),
    evidence: logs('INFO serving', 'ERROR upstream request timed out after 5000ms'),
    expect: { rule: 'dependency-timeout', says: ['web is running but'] },
  },
  {
    name: 'unhealthy: quotes the probe output and the streak',
    facts: makeRunningFacts({ health: { status: 'unhealthy', failingStreak: 4, lastOutput: 'curl: (7) Failed to connect to localhost port 8080 after 0 ms: Couldn\'t connect to server' } }),
    trigger: makeTrigger('unhealthy'),
    expect: { rule: 'unhealthy', severity: 'high', safe: true, says: ['4 failures in a row', 'Failed to connect to localhost port 8080'] },
  },
  {
    name: 'unhealthy with a known cause in the logs: the cause wins and the probe is still mentioned',
    facts: makeRunningFacts({ health: { status: 'unhealthy', failingStreak: 3, lastOutput: 'probe timed out' } }),
    trigger: makeTrigger('unhealthy'),
    evidence: { matchedLines: ['HikariPool-1 - Connection is not available, request timed out after 30000ms.'], logTail: ['HikariPool-1 - Connection is not available, request timed out after 30000ms.'] },
    expect: { rule: 'pool-exhausted', says: ['HikariPool-1', 'health check is failing', 'probe timed out'] },
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
  // Fallbacks.
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

describe('diagnoseByRules', () => {
  for (const row of rows) {
    test(row.name, () => {
      const facts = row.facts ?? makeFacts();
      const input: RulesInput = {
        facts,
        evidence: makeEvidence(facts, row.evidence),
        trigger: row.trigger ?? makeTrigger('die'),
        history: row.history ?? makeHistory(),
        now: NOW,
      };
      const verdict = diagnoseByRules(input);
      const { diagnosis } = verdict;
      assert.equal(verdict.rule, row.expect.rule, diagnosis.root_cause);
      assert.equal(diagnosis.rule, row.expect.rule);
      assert.equal(diagnosis.source, 'rules');
      if (row.expect.severity) assert.equal(diagnosis.severity, row.expect.severity);
      if (row.expect.safe !== undefined) assert.equal(diagnosis.auto_restart_safe, row.expect.safe);
      if (row.expect.cannotFix !== undefined) assert.equal(verdict.restartCannotFix, row.expect.cannotFix);
      if (row.expect.settled !== undefined) assert.equal(verdict.settled, row.expect.settled);
      if (row.expect.recurring !== undefined) assert.equal(diagnosis.likely_recurring, row.expect.recurring);
      for (const fragment of row.expect.says ?? []) {
        assert.ok(diagnosis.root_cause.includes(fragment), `root cause should contain ${JSON.stringify(fragment)}: ${diagnosis.root_cause}`);
      }
      for (const text of [diagnosis.root_cause, diagnosis.suggested_fix, diagnosis.estimated_impact]) assert.ok(text.length > 0);
    });
  }
});

describe('catalog invariants', () => {
  test('ids are unique and the last entry is a catch-all', () => {
    const ids = RULES_CATALOG.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(RULES_CATALOG[RULES_CATALOG.length - 1]!.id, 'no-problem');
  });

  test('classes a restart cannot fix are never restart-safe', () => {
    const cannotFix = rows.filter((r) => r.expect.cannotFix).map((r) => r.expect.rule);
    assert.ok(cannotFix.length >= 6);
    for (const entry of RULES_CATALOG.filter((e) => e.restartCannotFix)) assert.ok(cannotFix.includes(entry.id), `no test row for ${entry.id}`);
  });

  test('every catalog entry has at least one test row', () => {
    const tested = new Set(rows.map((r) => r.expect.rule));
    for (const entry of RULES_CATALOG) assert.ok(tested.has(entry.id), `no test row for ${entry.id}`);
  });

  const codes: Array<[number, string]> = [[1, 'general'], [137, 'SIGKILL'], [129, 'SIGHUP'], [255, '255'], [42, 'code 42']];
  for (const [code, fragment] of codes) test(`describeExitCode(${code}) mentions ${fragment}`, () => assert.ok(describeExitCode(code).includes(fragment)));
});
