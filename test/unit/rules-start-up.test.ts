import { commandNotFound, notExecutable, startFailed } from '../../src/core/rules/start-up.js';
import { makeFacts } from '../helpers/facts.js';
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
];

testRuleRows('start-up', [commandNotFound, notExecutable, startFailed], rows);
