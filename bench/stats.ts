/** Small statistics for benchmark figures: medians with their spread, never a single run. */

/** The figures of one measured quantity over repeated trials. */
export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly p10: number;
  readonly p90: number;
}

/** Nearest-rank percentile of an already sorted list. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length === 0 ? NaN : sorted.length % 2 === 1 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return {
    n: sorted.length,
    median,
    min: sorted[0] ?? NaN,
    max: sorted[sorted.length - 1] ?? NaN,
    p10: percentile(sorted, 10),
    p90: percentile(sorted, 90),
  };
}

/** `median (min–max, n=…)` in the given unit. */
export function formatSummary(s: Summary, unit: string, digits = 0): string {
  if (s.n === 0) return 'no data';
  const f = (v: number): string => v.toFixed(digits);
  return `${f(s.median)} ${unit} (${f(s.min)}–${f(s.max)}, n=${s.n})`;
}

export function mb(bytes: number): number {
  return bytes / (1024 * 1024);
}
