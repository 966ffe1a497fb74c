import { missingDependency, codeError } from '../../src/core/rules/code.js';
import { exited, logs, testRuleRows, type RuleRow } from '../helpers/rule-rows.js';

const rows: RuleRow[] = [
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
];

testRuleRows('code', [missingDependency, codeError], rows);
