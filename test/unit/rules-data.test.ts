import { schemaMismatch } from '../../src/core/rules/data.js';
import { exited, logs, testRuleRows, type RuleRow } from '../helpers/rule-rows.js';

const rows: RuleRow[] = [
  {
    name: 'a migration has not run',
    facts: exited(1),
    evidence: logs('django.db.utils.ProgrammingError: relation "users" does not exist'),
    expect: { rule: 'schema-mismatch', cannotFix: true, says: ['migration'] },
  },
];

testRuleRows('data', [schemaMismatch], rows);
