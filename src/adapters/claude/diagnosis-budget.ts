import { describeWriteError } from '../../core/errors.js';
/**
 * MAX_DIAGNOSES_PER_HOUR as a sliding window across all containers, plus running token totals and
 * an estimated cost. Persisted in STATE_DIR so a restart of the doctor does not reset the window.
 */
import { describeError, StateError } from '../../core/errors.js';
import type { TokenUsage, StorageHealthSink } from '../../pipeline/ports.js';
import { readFile } from 'node:fs/promises';
import { readJsonFile, writeJsonAtomic } from '../state/json-file.js';

const HOUR_MS = 3_600_000;

export interface BudgetTotals {
  readonly calls: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  /** Sum over the calls whose model has a known price. */
  readonly estimatedCostUsd: number;
  /** Calls to models missing from the price table (not in `estimatedCostUsd`). */
  readonly unpricedCalls: number;
}

interface BudgetFile {
  readonly v: 1;
  /** Epoch ms of each diagnosis taken within the last hour. */
  readonly takes: number[];
  readonly totals: BudgetTotals;
}

const EMPTY_TOTALS: BudgetTotals = {
  calls: 0,
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  estimatedCostUsd: 0,
  unpricedCalls: 0,
};

/** USD per million tokens. Cache writes (5 min TTL) cost 1.25x input, cache reads 0.1x input. */
interface Price {
  readonly input: number;
  readonly output: number;
}

/**
 * List prices per model family, most specific first (https://platform.claude.com/docs/en/about-claude/pricing).
 * Estimates only: families not listed get no price rather than a guess.
 */
const PRICES: ReadonlyArray<readonly [RegExp, Price]> = [
  [/claude-3-haiku/, { input: 0.25, output: 1.25 }],
  [/claude-3-5-haiku/, { input: 0.8, output: 4 }],
  // Haiku 5.5: the rates for prompts up to 100k tokens (ours are a few thousand).
  [/claude-haiku-5/, { input: 0.1, output: 0.5 }],
  [/haiku/, { input: 1, output: 5 }],
  [/claude-3-opus|claude-opus-4-(?:0|1|2025)|claude-opus-4$/, { input: 15, output: 75 }],
  [/opus/, { input: 5, output: 25 }],
  [/sonnet/, { input: 3, output: 15 }],
];

/** Estimated cost of one call in USD, or null when the model's price is unknown. */
export function estimateCostUsd(model: string, usage: TokenUsage): number | null {
  const price = PRICES.find(([pattern]) => pattern.test(model))?.[1];
  if (!price) return null;
  const inputEquivalent = usage.inputTokens + usage.cacheWriteTokens * 1.25 + usage.cacheReadTokens * 0.1;
  return (inputEquivalent * price.input + usage.outputTokens * price.output) / 1_000_000;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

function isBudgetFile(v: unknown): v is BudgetFile {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as Partial<BudgetFile>;
  if (f.v !== 1 || !Array.isArray(f.takes) || !f.takes.every(isCount)) return false;
  const t = f.totals as Partial<BudgetTotals> | undefined;
  return (
    typeof t === 'object' &&
    t !== null &&
    [t.calls, t.inputTokens, t.outputTokens, t.cacheReadTokens, t.cacheWriteTokens, t.estimatedCostUsd, t.unpricedCalls].every(isCount)
  );
}

/**
 * The running totals in a budget file, for read-only commands (`doctor history`): a missing or
 * damaged file gives undefined and is left where it is.
 */
export async function readBudgetTotals(file: string): Promise<BudgetTotals | undefined> {
  try {
    const value: unknown = JSON.parse(await readFile(file, 'utf8'));
    return isBudgetFile(value) ? { ...value.totals } : undefined;
  } catch {
    return undefined;
  }
}

export class DiagnosisBudget {
  private takes: number[];
  private running: BudgetTotals;
  private saving: Promise<void> = Promise.resolve();
  private dirty = false;
  private writing = false;
  /** The last persistence failure, if any; the budget keeps working in memory. */
  lastError: Error | undefined;

  private constructor(
    private readonly file: string,
    private readonly maxPerHour: number,
    state: BudgetFile | undefined,
    /** Where a damaged state file was moved, when it was. */
    readonly recoveredFrom: string | undefined,
    /** What was wrong with it. */
    readonly damage: string | undefined,
    private readonly health: StorageHealthSink | undefined,
    /** False when a read-only open found the file damaged: it stays as it was, the budget lives in memory. */
    private readonly persist: boolean,
  ) {
    this.takes = state ? [...state.takes].sort((a, b) => a - b) : [];
    this.running = state ? { ...state.totals } : { ...EMPTY_TOTALS };
  }

  /**
   * Loads the budget from `file` (missing: empty; damaged: moved aside and empty). `readOnly`
   * (`doctor diagnose` without --fix): a damaged file is left exactly as it was and the budget is
   * kept in memory only, since writing it would replace the damaged file; a healthy file still
   * records what calls were made, because they were made and cost money (the hourly cap spans runs).
   */
  static async open(file: string, opts: { maxPerHour: number; health?: StorageHealthSink; readOnly?: boolean }): Promise<DiagnosisBudget> {
    let read: Awaited<ReturnType<typeof readJsonFile<BudgetFile>>>;
    try {
      read = await readJsonFile(file, isBudgetFile, { readOnly: opts.readOnly === true });
    } catch (error) {
      throw new StateError(`cannot read the diagnosis budget ${file}: ${describeError(error)}`, { cause: error });
    }
    return new DiagnosisBudget(
      file,
      Math.max(0, Math.floor(opts.maxPerHour)),
      read.kind === 'ok' ? read.value : undefined,
      read.kind === 'corrupt' ? read.movedTo : undefined,
      read.kind === 'corrupt' ? read.reason : undefined,
      opts.health,
      !(opts.readOnly === true && read.kind === 'corrupt'),
    );
  }

  /** Takes one diagnosis from the window if any is left. Persisted in the background (see `flush`). */
  tryTake(nowMs: number): boolean {
    this.prune(nowMs);
    if (this.takes.length >= this.maxPerHour) return false;
    this.takes.push(nowMs);
    this.save();
    return true;
  }

  /** Diagnoses left in the window ending at `nowMs`. */
  remaining(nowMs: number): number {
    this.prune(nowMs);
    return Math.max(0, this.maxPerHour - this.takes.length);
  }

  /**
   * Adds one call's tokens (successful or not: failed calls are billed too) to the running totals.
   * Returns the call's estimated cost in USD, or null when the model's price is unknown.
   */
  recordUsage(model: string, usage: TokenUsage): number | null {
    const cost = estimateCostUsd(model, usage);
    const t = this.running;
    this.running = {
      calls: t.calls + 1,
      inputTokens: t.inputTokens + usage.inputTokens,
      outputTokens: t.outputTokens + usage.outputTokens,
      cacheReadTokens: t.cacheReadTokens + usage.cacheReadTokens,
      cacheWriteTokens: t.cacheWriteTokens + usage.cacheWriteTokens,
      estimatedCostUsd: t.estimatedCostUsd + (cost ?? 0),
      unpricedCalls: t.unpricedCalls + (cost === null ? 1 : 0),
    };
    this.save();
    return cost;
  }

  totals(): BudgetTotals {
    return { ...this.running };
  }

  /** Resolves when every change so far is on disk (or failed: see `lastError`). */
  async flush(): Promise<void> {
    while (this.writing || this.dirty) await this.saving;
  }

  /**
   * Drops takes older than an hour. Takes more than an hour in the future (the clock went back)
   * are dropped too, or they would block the window until the clock caught up.
   */
  private prune(nowMs: number): void {
    this.takes = this.takes.filter((t) => t > nowMs - HOUR_MS && t <= nowMs + HOUR_MS);
  }

  /** One write at a time; changes made during a write are coalesced into the next one. */
  private save(): void {
    if (!this.persist) return;
    this.dirty = true;
    if (this.writing) return;
    this.writing = true;
    this.saving = (async () => {
      while (this.dirty) {
        this.dirty = false;
        const snapshot: BudgetFile = { v: 1, takes: [...this.takes], totals: this.running };
        try {
          await writeJsonAtomic(this.file, snapshot);
          this.lastError = undefined;
          this.health?.succeeded(this.file);
        } catch (error) {
          this.lastError = error instanceof Error ? error : new Error(String(error));
          this.health?.failed(this.file, describeWriteError(error));
        }
      }
      this.writing = false;
    })();
  }
}
