import { commandNotFound, fatalStartUp, initCrash, notExecutable, startFailed } from '../../src/core/rules/start-up.js';
import { SEC, ago, makeFacts } from '../helpers/facts.js';
import { exited, logs, testRuleRows, type RuleRow } from '../helpers/rule-rows.js';

const rows: RuleRow[] = [
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

  // Start-up failures by class (issue 8): deterministic causes are escalated.
  {
    name: "the official postgres image's refusal to start without a password is a missing setting",
    facts: exited(1, { startedAt: ago(6 * SEC), finishedAt: ago(5 * SEC) }),
    evidence: { logTail: ['Error: Database is uninitialized and superuser password is not specified.', '       You must specify POSTGRES_PASSWORD to a non-empty value for the', '       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".'], matchedLines: ['Error: Database is uninitialized and superuser password is not specified.'] },
    expect: { rule: 'fatal-start-up', cannotFix: true, safe: false, failureClass: 'environment', recognised: true, says: ['refused to start', 'its configuration'] },
  },
  {
    name: 'a failed bootstrap check that names a kernel setting is the host',
    facts: exited(78, { startedAt: ago(20 * SEC), finishedAt: ago(5 * SEC) }),
    evidence: logs('ERROR: [1] bootstrap checks failed', '[1]: max virtual memory areas vm.max_map_count [65530] is too low, increase to at least [262144]'),
    expect: { rule: 'fatal-start-up', cannotFix: true, failureClass: 'host', says: ['a setting of the host'] },
  },
  {
    name: 'a data directory made by another major version is the data',
    facts: exited(1, { startedAt: ago(6 * SEC), finishedAt: ago(5 * SEC) }),
    evidence: logs('FATAL:  database files are incompatible with server', 'DETAIL:  The data directory was initialized by PostgreSQL version 10, which is not compatible with this version 11.2.'),
    expect: { rule: 'fatal-start-up', cannotFix: true, failureClass: 'data', says: ['the data it keeps'] },
  },
  {
    name: 'advice that falls back to a default is not a refusal',
    facts: exited(1, { startedAt: ago(6 * SEC), finishedAt: ago(5 * SEC) }),
    evidence: logs('TZ is not set, defaulting to UTC', 'worker stopped'),
    expect: { rule: 'exit-error', recognised: false },
  },
  {
    name: 'a Go panic seconds after the start is a crash during init',
    facts: exited(2, { startedAt: ago(7 * SEC), finishedAt: ago(5 * SEC) }),
    evidence: logs('panic: runtime error: invalid memory address or nil pointer dereference', '[signal SIGSEGV: segmentation violation code=0x1 addr=0x20 pc=0xde73e6]', 'goroutine 1 [running]:'),
    expect: { rule: 'segfault', cannotFix: true, safe: false, failureClass: 'code', says: ['while starting'] },
  },
  {
    name: 'an uncaught Python exception at start-up is code that fails every start',
    facts: exited(1, { startedAt: ago(8 * SEC), finishedAt: ago(5 * SEC) }),
    evidence: logs('Traceback (most recent call last):', '  File "/app/main.py", line 12, in <module>', "    settings = load()", "ValueError: invalid literal for int() with base 10: 'abc'"),
    expect: { rule: 'init-crash', cannotFix: true, safe: false, failureClass: 'code', says: ['crashed while starting', '3 s after the start'] },
  },
  {
    name: 'Node\'s own report of an uncaught throw at start-up (caret, stack, version footer) is code that fails every start',
    facts: exited(1, { startedAt: ago(6 * SEC), finishedAt: ago(5 * SEC) }),
    evidence: logs(
      '/app/server.js:17',
      "    throw new Error('DB_URL missing');",
      '    ^',
      '',
      'Error: DB_URL missing',
      '    at Object.<anonymous> (/app/server.js:17:11)',
      '    at Module._compile (node:internal/modules/cjs/loader:1256:14)',
      '',
      'Node.js v20.11.0',
    ),
    expect: { rule: 'init-crash', cannotFix: true, safe: false, failureClass: 'code', says: ['crashed while starting', 'Error: DB_URL missing'] },
  },
  {
    name: 'a Node error with a code ([ERR_...]) and its footer is the thrown error, not the footer',
    facts: exited(1, { startedAt: ago(6 * SEC), finishedAt: ago(5 * SEC) }),
    evidence: logs('node:internal/url:775', '    href = bindingUrl.parse(input, base);', '             ^', '', 'TypeError [ERR_INVALID_URL]: Invalid URL', '    at new URL (node:internal/url:775:36)', '', 'Node.js v22.3.0'),
    expect: { rule: 'init-crash', cannotFix: true, says: ['TypeError [ERR_INVALID_URL]: Invalid URL'] },
  },
  {
    name: 'a program that logs "Error: ..." and exits at start-up without Node\'s footer is not taken for an uncaught throw',
    facts: exited(1, { startedAt: ago(6 * SEC), finishedAt: ago(5 * SEC) }),
    evidence: logs('starting', 'Error: could not open the queue'),
    expect: { rule: 'exit-error', recognised: false },
  },
  {
    name: 'an instant exit the engine stamps finished 40 ms before started is still a crash at start-up',
    facts: exited(1, { startedAt: ago(5 * SEC), finishedAt: ago(5 * SEC + 40) }),
    evidence: logs('Traceback (most recent call last):', '  File "/app/main.py", line 12, in <module>', "ValueError: invalid literal for int() with base 10: 'abc'"),
    expect: { rule: 'init-crash', cannotFix: true, safe: false, failureClass: 'code', says: ['crashed while starting'] },
  },
  {
    name: 'the same exception after ten minutes of work gets the default: restart once',
    facts: exited(1),
    evidence: logs('Traceback (most recent call last):', "ValueError: invalid literal for int() with base 10: 'abc'"),
    expect: { rule: 'exit-error', cannotFix: false, safe: true, recognised: false },
  },
  {
    name: 'a dependency error at start-up is not a crash of the code: restart once',
    facts: exited(1, { startedAt: ago(8 * SEC), finishedAt: ago(5 * SEC) }),
    evidence: logs('Traceback (most recent call last):', 'django.db.utils.OperationalError: could not connect to server: Connection refused'),
    expect: { rule: 'connection-refused', cannotFix: false, safe: true, failureClass: 'dependency' },
  },
  {
    name: 'exec user process caused "no such file or directory" (CRLF entrypoint) is the command',
    facts: exited(1, { startedAt: ago(5 * SEC), finishedAt: ago(5 * SEC) }),
    evidence: logs('standard_init_linux.go:211: exec user process caused "no such file or directory"'),
    expect: { rule: 'command-not-found', cannotFix: true, failureClass: 'environment' },
  },
  {
    name: 'an exec format error is the host (another CPU architecture)',
    facts: exited(1, { startedAt: ago(5 * SEC), finishedAt: ago(5 * SEC) }),
    evidence: logs('standard_init_linux.go:228: exec user process caused: exec format error'),
    expect: { rule: 'not-executable', cannotFix: true, failureClass: 'host' },
  },
  {
    name: 'exit 127 of a JVM out of heap is memory, not a missing command',
    facts: exited(127),
    evidence: logs('java.lang.OutOfMemoryError: Java heap space'),
    expect: { rule: 'out-of-memory', failureClass: 'resource' },
  },
];

testRuleRows('start-up', [commandNotFound, notExecutable, startFailed, fatalStartUp, initCrash], rows);
