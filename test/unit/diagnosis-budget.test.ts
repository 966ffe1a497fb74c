import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DiagnosisBudget, estimateCostUsd } from '../../src/adapters/claude/diagnosis-budget.js';

const T0 = Date.parse('2025-06-01T12:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'doctor-budget-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const usage = (inputTokens: number, outputTokens: number, cacheReadTokens = 0, cacheWriteTokens = 0) => ({ inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens });

describe('DiagnosisBudget', () => {
  test('sliding window: max per hour, then one frees up as the oldest leaves the hour', () =>
    withDir(async (dir) => {
      const budget = await DiagnosisBudget.open(path.join(dir, 'b.json'), { maxPerHour: 3 });
      assert.equal(budget.tryTake(T0), true);
      assert.equal(budget.tryTake(T0 + 10 * MIN), true);
      assert.equal(budget.tryTake(T0 + 20 * MIN), true);
      assert.equal(budget.tryTake(T0 + 30 * MIN), false);
      assert.equal(budget.remaining(T0 + 30 * MIN), 0);
      assert.equal(budget.tryTake(T0 + HOUR - 1), false, 'just under an hour later the first take still counts');
      assert.equal(budget.remaining(T0 + HOUR), 1, 'an hour later it has left the window');
      assert.equal(budget.tryTake(T0 + HOUR), true);
      assert.equal(budget.tryTake(T0 + HOUR + 1), false);
      assert.equal(budget.remaining(T0 + 3 * HOUR), 3);
      await budget.flush();
    }));

  test('the window survives a restart of the doctor', () =>
    withDir(async (dir) => {
      const file = path.join(dir, 'b.json');
      const first = await DiagnosisBudget.open(file, { maxPerHour: 2 });
      assert.equal(first.tryTake(T0), true);
      assert.equal(first.tryTake(T0 + MIN), true);
      first.recordUsage('claude-haiku-4-5', usage(1000, 100));
      await first.flush();
      assert.equal(first.lastError, undefined);

      const second = await DiagnosisBudget.open(file, { maxPerHour: 2 });
      assert.equal(second.tryTake(T0 + 2 * MIN), false);
      assert.equal(second.totals().calls, 1);
      assert.equal(second.totals().inputTokens, 1000);
      assert.equal(second.remaining(T0 + HOUR + 1), 1);
    }));

  test('read-only: a damaged file is left byte for byte; the budget counts in memory and writes nothing', () =>
    withDir(async (dir) => {
      const file = path.join(dir, 'b.json');
      await writeFile(file, '{"v":1,"takes":[1,2');
      const budget = await DiagnosisBudget.open(file, { maxPerHour: 1, readOnly: true });
      assert.equal(budget.recoveredFrom, undefined);
      assert.equal(budget.damage, 'not valid JSON');
      assert.equal(budget.tryTake(T0), true);
      assert.equal(budget.tryTake(T0), false, 'still capped in memory');
      await budget.flush();
      assert.deepEqual(await readdir(dir), ['b.json']);
      assert.equal(await readFile(file, 'utf8'), '{"v":1,"takes":[1,2');
    }));

  test('a damaged file is moved aside and the budget starts empty', () =>
    withDir(async (dir) => {
      const file = path.join(dir, 'b.json');
      await writeFile(file, '{"v":1,"takes":[1,2');
      const budget = await DiagnosisBudget.open(file, { maxPerHour: 1 });
      assert.ok(budget.recoveredFrom);
      assert.equal(budget.damage, 'not valid JSON', 'says what was wrong, for the warning line');
      assert.ok((await readdir(dir)).some((f) => f.startsWith('b.json.corrupt-')));
      assert.equal(budget.tryTake(T0), true);
      await budget.flush();
      const saved = JSON.parse(await readFile(file, 'utf8'));
      assert.deepEqual(saved.takes, [T0]);
    }));

  test('writes are atomic: no temporary file is left behind', () =>
    withDir(async (dir) => {
      const file = path.join(dir, 'b.json');
      const budget = await DiagnosisBudget.open(file, { maxPerHour: 100 });
      for (let i = 0; i < 20; i += 1) budget.tryTake(T0 + i);
      await budget.flush();
      assert.deepEqual(await readdir(dir), ['b.json']);
      assert.equal(JSON.parse(await readFile(file, 'utf8')).takes.length, 20);
    }));

  test('maxPerHour 0 never allows a diagnosis', () =>
    withDir(async (dir) => {
      const budget = await DiagnosisBudget.open(path.join(dir, 'b.json'), { maxPerHour: 0 });
      assert.equal(budget.tryTake(T0), false);
      assert.equal(budget.remaining(T0), 0);
    }));

  test('a clock that jumped back does not lock the window for long', () =>
    withDir(async (dir) => {
      const budget = await DiagnosisBudget.open(path.join(dir, 'b.json'), { maxPerHour: 1 });
      assert.equal(budget.tryTake(T0 + 24 * HOUR), true);
      assert.equal(budget.tryTake(T0), true, 'a take a day in the future is not believed');
      await budget.flush();
    }));

  test('totals add tokens and the estimated cost; unknown models are counted but not priced', () =>
    withDir(async (dir) => {
      const budget = await DiagnosisBudget.open(path.join(dir, 'b.json'), { maxPerHour: 5 });
      budget.recordUsage('claude-haiku-4-5-20251001', usage(1_000_000, 0));
      budget.recordUsage('claude-sonnet-4-6', usage(0, 1_000_000));
      budget.recordUsage('some-other-model', usage(500, 50));
      const t = budget.totals();
      assert.equal(t.calls, 3);
      assert.equal(t.inputTokens, 1_000_500);
      assert.equal(t.outputTokens, 1_000_050);
      assert.equal(t.unpricedCalls, 1);
      assert.ok(Math.abs(t.estimatedCostUsd - (1 + 15)) < 1e-9, String(t.estimatedCostUsd));
      await budget.flush();
    }));
});

describe('estimateCostUsd', () => {
  const cases: Array<[string, ReturnType<typeof usage>, number | null]> = [
    ['claude-haiku-4-5', usage(1_000_000, 1_000_000), 1 + 5],
    ['claude-haiku-4-5', usage(0, 0, 1_000_000, 1_000_000), 0.1 + 1.25],
    ['claude-3-5-haiku-20241022', usage(1_000_000, 0), 0.8],
    // Haiku 5.5 is ten times cheaper than 4.5; the generic Haiku price must not apply to it.
    ['claude-haiku-5-5', usage(1_000_000, 1_000_000), 0.1 + 0.5],
    ['claude-haiku-5-5', usage(0, 0, 1_000_000, 1_000_000), 0.01 + 0.125],
    ['claude-sonnet-4-6', usage(1_000_000, 1_000_000), 3 + 15],
    ['claude-opus-4-1-20250805', usage(1_000_000, 0), 15],
    ['claude-opus-4-5', usage(1_000_000, 0), 5],
    ['claude-mythos-5', usage(1, 1), null],
  ];
  for (const [model, u, expected] of cases) {
    test(`${model} ${JSON.stringify(u)}`, () => {
      const got = estimateCostUsd(model, u);
      if (expected === null) assert.equal(got, null);
      else assert.ok(got !== null && Math.abs(got - expected) < 1e-9, `${got} != ${expected}`);
    });
  }
});
