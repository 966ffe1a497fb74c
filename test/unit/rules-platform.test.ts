import { illegalInstruction, runtimeMismatch } from '../../src/core/rules/platform.js';
import { SEC, ago } from '../helpers/facts.js';
import { exited, logs, testRuleRows, type RuleRow } from '../helpers/rule-rows.js';

const atStart = { startedAt: ago(6 * SEC) };

const rows: RuleRow[] = [
  {
    name: 'exit 132 while starting, no output: a CPU without the instructions the image needs (MongoDB 5+ without AVX)',
    facts: exited(132, { ...atStart, ref: { image: 'mongo:7.0' } }),
    expect: { rule: 'illegal-instruction', cannotFix: true, safe: false, failureClass: 'host', says: ['AVX'] },
  },
  {
    name: 'the shell reports Illegal instruction (core dumped) while starting',
    facts: exited(132, atStart),
    evidence: logs('/entrypoint.sh: line 12:     7 Illegal instruction     (core dumped) python -m app'),
    expect: { rule: 'illegal-instruction', cannotFix: true, safe: false },
  },
  {
    name: 'a SIGILL after ten minutes of work gets one restart',
    facts: exited(132),
    expect: { rule: 'illegal-instruction', cannotFix: false, safe: true, failureClass: 'code' },
  },
  {
    name: 'Java: classes compiled for Java 21 on a Java 17 runtime',
    facts: exited(1, atStart),
    evidence: logs('Error: LinkageError occurred while loading main class com.acme.App', '\tjava.lang.UnsupportedClassVersionError: com/acme/App has been compiled by a more recent version of the Java Runtime (class file version 65.0), this version of the Java Runtime only recognizes class file versions up to 61.0'),
    expect: { rule: 'runtime-mismatch', cannotFix: true, safe: false, failureClass: 'code', says: ['Java 21', 'Java 17'] },
  },
  {
    name: 'a binary that needs a newer glibc than the image has',
    facts: exited(1, atStart),
    evidence: logs("/app/server: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found (required by /app/server)"),
    expect: { rule: 'runtime-mismatch', cannotFix: true, says: ['GLIBC_2.34'] },
  },
  {
    name: 'a native Node module built for another Node.js',
    facts: exited(1, atStart),
    evidence: logs("Error: The module '/app/node_modules/bcrypt/lib/binding/napi-v3/bcrypt_lib.node'", 'was compiled against a different Node.js version using', 'NODE_MODULE_VERSION 108. This version of Node.js requires', 'NODE_MODULE_VERSION 115. Please try re-compiling or re-installing', 'the module (for instance, using `npm rebuild` or `npm install`).'),
    expect: { rule: 'runtime-mismatch', cannotFix: true, says: ['another Node.js version', 'ABI 108'] },
  },
  {
    name: 'a glibc binary on Alpine (musl)',
    facts: exited(1, atStart),
    evidence: logs('Error relocating /app/bin/tool: __memcpy_chk: symbol not found'),
    expect: { rule: 'runtime-mismatch', cannotFix: true, says: ['musl'] },
  },
];

testRuleRows('platform', [illegalInstruction, runtimeMismatch], rows);
