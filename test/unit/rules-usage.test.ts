import { usageError } from '../../src/core/rules/usage.js';
import { makeRunningFacts, makeTrigger } from '../helpers/facts.js';
import { exited, logs, testRuleRows, type RuleRow } from '../helpers/rule-rows.js';

const rows: RuleRow[] = [
  {
    name: 'Go flag package: an unknown flag',
    facts: exited(2),
    evidence: logs('flag provided but not defined: -lisen', 'Usage of /app/server:', '  -listen string'),
    expect: { rule: 'usage-error', cannotFix: true, safe: false, failureClass: 'environment', says: ['-lisen'] },
  },
  {
    name: "click: 'No such option' after its usage banner, exit 2",
    facts: exited(2),
    evidence: logs('Usage: app [OPTIONS]', "Try 'app --help' for help.", '', 'Error: No such option: --prot (Possible options: --port)'),
    expect: { rule: 'usage-error', cannotFix: true, safe: false, says: ['--prot', 'command line'] },
  },
  {
    name: 'cobra: unknown flag, then its usage',
    facts: exited(1),
    evidence: logs('Error: unknown flag: --foo', 'Usage:', '  app serve [flags]'),
    expect: { rule: 'usage-error', cannotFix: true, says: ['--foo'] },
  },
  {
    name: 'argparse: unrecognized arguments',
    facts: exited(2),
    evidence: logs('usage: app.py [-h] [--port PORT]', 'app.py: error: unrecognized arguments: --prot 80'),
    expect: { rule: 'usage-error', cannotFix: true, says: ['--prot'] },
  },
  {
    name: 'clap 4: unexpected argument',
    facts: exited(2),
    evidence: logs("error: unexpected argument '--prot' found", '', "  tip: a similar argument exists: '--port'", '', 'Usage: server --port <PORT>'),
    expect: { rule: 'usage-error', cannotFix: true, says: ['--prot'] },
  },
  {
    name: 'getopt: invalid option',
    facts: exited(1),
    evidence: logs("/usr/sbin/dnsmasq: invalid option -- 'Z'"),
    expect: { rule: 'usage-error', cannotFix: true },
  },
  {
    name: 'only the usage banner and exit 2: the parser rejected the command line',
    facts: exited(2),
    evidence: logs('Usage: server [options]', '  -p, --port <port>  port to listen on', '  -h, --help         show help'),
    expect: { rule: 'usage-error', cannotFix: true, says: ['printed its usage'] },
  },
  {
    name: 'an unknown-option warning long before an unexplained exit is not the cause',
    facts: exited(1),
    evidence: logs('WARN unrecognized option --legacy-mode ignored', ...Array.from({ length: 20 }, (_, i) => `INFO processed batch ${i}`), 'fatal: worker exited'),
    expect: { rule: 'exit-error' },
  },
  {
    name: 'a Go panic exits 2 too, and is not a usage error',
    facts: exited(2),
    evidence: logs('panic: runtime error: index out of range [3] with length 3', '', 'goroutine 1 [running]:', 'main.main()', 'Usage: see the docs'),
    expect: { rule: 'exit-error' },
  },
  {
    name: 'a running service that logs an unknown option from a request is not judged by its command line',
    facts: makeRunningFacts(),
    trigger: makeTrigger('log-pattern'),
    evidence: logs('ERROR request rejected: unknown option: --verbose in query'),
    expect: { rule: 'errors-logged' },
  },
];

testRuleRows('usage', [usageError], rows);
