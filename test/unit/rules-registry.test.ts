import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RULES_CATALOG, describeExitCode } from '../../src/core/rules/index.js';

describe('rules registry', () => {
  test('ids are unique and the last entry is a catch-all', () => {
    const ids = RULES_CATALOG.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(RULES_CATALOG[RULES_CATALOG.length - 1]!.id, 'no-problem');
  });

  test('only the generic family is marked as a fallback', () => {
    const fallbacks = RULES_CATALOG.filter((e) => e.fallback).map((e) => e.id).sort();
    assert.deepEqual(fallbacks, ['errors-logged', 'exit-error', 'restart-loop']);
  });

  const codes: Array<[number, string]> = [[1, 'general'], [137, 'SIGKILL'], [129, 'SIGHUP'], [255, '255'], [42, 'code 42']];
  for (const [code, fragment] of codes) test(`describeExitCode(${code}) mentions ${fragment}`, () => assert.ok(describeExitCode(code).includes(fragment)));
});
