/**
 * Table rows for the rule families: each family's test file lists its rows and checks that every
 * entry of the family has one.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnoseByRules, type CatalogEntry, type RulesInput } from '../../src/core/rules/index.js';
import type { ContainerFacts, ContainerHistory, Evidence, FailureClass, Severity, Trigger } from '../../src/core/types.js';
import { NOW, makeEvidence, makeFacts, makeHistory, makeTrigger } from './facts.js';

export interface RuleRow {
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
    readonly failureClass?: FailureClass;
    readonly recognised?: boolean;
    /** Fragments the root cause must contain (derived from the evidence, not canned). */
    readonly says?: readonly string[];
    /** Fragments the root cause must not contain. */
    readonly saysNot?: readonly string[];
  };
}

/** A sentence that opens with a restart instruction: "Restart it", "Restart once; ...", "Restart to release ...". */
const RESTART_FIRST = /(?:^|[.;!]\s+)restart(?: it| \w+)?(?: once)?(?=[;:,.]|\s+(?:to|and|once|if|first)\b|$)/i;

/** An exited container with this exit code. */
export const exited = (exitCode: number, extra: Parameters<typeof makeFacts>[0] = {}) => makeFacts({ exitCode, ...extra });
/** Evidence whose error lines and tail are these lines. */
export const logs = (...lines: string[]): Partial<Evidence> => ({ matchedLines: lines, logTail: lines });
export const MiB = 1024 * 1024;

/** Runs the rows through `diagnoseByRules` and checks that each of `entries` has a row. */
export function testRuleRows(family: string, entries: readonly CatalogEntry[], rows: readonly RuleRow[]): void {
  describe(`rules family: ${family}`, () => {
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
        if (row.expect.failureClass !== undefined) assert.equal(verdict.failureClass, row.expect.failureClass);
        if (row.expect.recognised !== undefined) assert.equal(verdict.recognised, row.expect.recognised);
        // The record carries both, so reports can count what the rules did not recognise.
        assert.equal(diagnosis.failureClass, verdict.failureClass);
        assert.equal(diagnosis.recognised, verdict.recognised);
        // A class a restart cannot fix is never rated restart-safe, and its fix never opens with
        // "Restart it": that is the one thing that will not help ("fix X, then restart" is fine).
        if (verdict.restartCannotFix) assert.equal(diagnosis.auto_restart_safe, false);
        if (verdict.restartCannotFix || !diagnosis.auto_restart_safe) {
          assert.doesNotMatch(diagnosis.suggested_fix, RESTART_FIRST, `the fix of a failure not to restart tells to restart: ${diagnosis.suggested_fix}`);
        }
        for (const fragment of row.expect.says ?? []) {
          assert.ok(diagnosis.root_cause.includes(fragment), `root cause should contain ${JSON.stringify(fragment)}: ${diagnosis.root_cause}`);
        }
        for (const fragment of row.expect.saysNot ?? []) {
          assert.ok(!diagnosis.root_cause.includes(fragment), `root cause should not contain ${JSON.stringify(fragment)}: ${diagnosis.root_cause}`);
        }
        for (const text of [diagnosis.root_cause, diagnosis.suggested_fix, diagnosis.estimated_impact]) assert.ok(text.length > 0);
      });
    }
    test('every entry of the family has a row', () => {
      const tested = new Set(rows.map((r) => r.expect.rule));
      for (const entry of entries) assert.ok(tested.has(entry.id), `no test row for ${entry.id}`);
    });
  });
}
