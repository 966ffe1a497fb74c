import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findJsonObject, parseTextAnswer } from '../../src/adapters/llm/json-answer.js';

const good = { root_cause: 'r', severity: 'high', suggested_fix: 'f', auto_restart_safe: false, config_suggestions: [], likely_recurring: true, estimated_impact: 'i' };

describe('JSON in a model answer', () => {
  const found: Array<[string, string]> = [
    ['bare JSON', JSON.stringify(good)],
    ['a json fence', `Here you go:\n\`\`\`json\n${JSON.stringify(good, null, 2)}\n\`\`\``],
    ['prose around it', `My diagnosis is ${JSON.stringify(good)} — let me know.`],
    ['braces inside strings', JSON.stringify({ ...good, root_cause: 'a } brace { inside' })],
    ['an earlier non-JSON brace', `{not json} then ${JSON.stringify(good)}`],
  ];
  for (const [what, text] of found) {
    test(`finds ${what}`, () => {
      const r = parseTextAnswer(text);
      assert.ok(r.ok, r.ok ? '' : r.error);
    });
  }
  test('nothing to find', () => {
    assert.equal(findJsonObject('no braces here'), undefined);
    assert.equal(findJsonObject('{ unbalanced'), undefined);
  });
  test('found but invalid is rejected by the schema, naming the field', () => {
    const r = parseTextAnswer(JSON.stringify({ ...good, auto_restart_safe: 'true' }));
    assert.ok(!r.ok);
    assert.match(r.error, /auto_restart_safe/);
  });
});
