/**
 * DIAGNOSIS_BACKENDS as one Diagnoser: ask each backend in order; a failure, an invalid answer
 * or a spent hourly budget falls through to the next, and when all fail the caller falls back to
 * the rules with `auto_restart_safe: false`. Whatever answers, the judge only lets it add caution.
 */
import type { Diagnoser, DiagnoserResult, DiagnosisRequest, TokenUsage } from '../../pipeline/ports.js';

/** One backend in the chain, with its own calls-per-hour budget. */
export interface ChainLink {
  readonly name: string;
  readonly model: string;
  readonly diagnoser: Diagnoser;
  /** Calls per sliding hour for this backend; 0 disables it. */
  readonly maxPerHour: number;
  /** Estimated USD for one call's tokens; null when unknown (local backends: 0). */
  readonly price: (model: string, usage: TokenUsage) => number | null;
}

/** Per-backend counters for /health and /metrics. */
export interface BackendStats {
  readonly backend: string;
  readonly model: string;
  readonly calls: number;
  readonly answers: number;
  readonly failures: number;
  /** Skipped because its hourly budget was spent. */
  readonly skipped: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly latencyMsTotal: number;
  readonly estimatedCostUsd: number;
  readonly lastError: string | null;
}

const HOUR_MS = 3_600_000;

export class DiagnoserChain implements Diagnoser {
  private readonly takes = new Map<string, number[]>();
  private readonly counters = new Map<string, { -readonly [K in keyof Omit<BackendStats, 'backend' | 'model'>]: BackendStats[K] }>();

  constructor(
    readonly links: readonly ChainLink[],
    private readonly now: () => number = Date.now,
  ) {
    for (const l of links) this.counters.set(l.name, { calls: 0, answers: 0, failures: 0, skipped: 0, inputTokens: 0, outputTokens: 0, latencyMsTotal: 0, estimatedCostUsd: 0, lastError: null });
  }

  async diagnose(request: DiagnosisRequest, signal?: AbortSignal): Promise<DiagnoserResult> {
    const errors: string[] = [];
    let usage: TokenUsage | undefined;
    let latencyMs = 0;
    let cost: number | null = 0;
    let last: ChainLink | undefined;
    let asked = 0;
    for (const link of this.links) {
      if (signal?.aborted) break;
      const c = this.counters.get(link.name)!;
      if (!this.tryTake(link)) {
        c.skipped++;
        errors.push(`${link.name}: ${link.maxPerHour} calls this hour already (its budget)`);
        continue;
      }
      last = link;
      asked++;
      const started = this.now();
      let result: DiagnoserResult;
      try {
        result = await link.diagnoser.diagnose(request, signal);
      } catch (error) {
        // The port says never throw; a backend that does is a failure like any other.
        result = { ok: false, error: `${link.name} failed: ${error instanceof Error ? error.message : String(error)}` };
      }
      const took = Math.max(0, this.now() - started);
      latencyMs += took;
      c.calls++;
      c.latencyMsTotal += took;
      if (result.usage) {
        usage = addUsage(usage, result.usage);
        c.inputTokens += result.usage.inputTokens;
        c.outputTokens += result.usage.outputTokens;
        const callCost = link.price(result.ok ? (result.diagnosis.model ?? link.model) : link.model, result.usage);
        if (callCost !== null) c.estimatedCostUsd += callCost;
        cost = cost === null || callCost === null ? null : cost + callCost;
      }
      if (result.ok) {
        c.answers++;
        const diagnosis = { ...result.diagnosis, source: 'ai' as const, backend: link.name, model: result.diagnosis.model ?? link.model };
        const tried = errors.length > 0 ? { fellThrough: errors.join('; ') } : {};
        return { ok: true, diagnosis, usage: usage ?? result.usage, backend: link.name, model: diagnosis.model, latencyMs, estimatedCostUsd: cost, ...tried };
      }
      c.failures++;
      c.lastError = result.error;
      errors.push(this.links.length === 1 ? result.error : `${link.name}: ${result.error}`);
    }
    return {
      ok: false,
      error: errors.join('; ') || 'no diagnosis backend was asked',
      ...(usage ? { usage } : {}),
      // One backend asked: its failure is its own. Several: the error names each, and no one backend is "the" one.
      ...(last && asked === 1 ? { backend: last.name, model: last.model } : {}),
      latencyMs,
      estimatedCostUsd: cost,
    };
  }

  stats(): BackendStats[] {
    return this.links.map((l) => ({ backend: l.name, model: l.model, ...this.counters.get(l.name)! }));
  }

  /** Calls left this hour per backend. */
  remaining(): Record<string, number> {
    const now = this.now();
    return Object.fromEntries(this.links.map((l) => [l.name, Math.max(0, l.maxPerHour - this.window(l.name, now).length)]));
  }

  private window(name: string, now: number): number[] {
    const kept = (this.takes.get(name) ?? []).filter((t) => t > now - HOUR_MS && t <= now + HOUR_MS);
    this.takes.set(name, kept);
    return kept;
  }

  private tryTake(link: ChainLink): boolean {
    const now = this.now();
    const w = this.window(link.name, now);
    if (w.length >= link.maxPerHour) return false;
    w.push(now);
    return true;
  }
}

function addUsage(a: TokenUsage | undefined, b: TokenUsage): TokenUsage {
  if (!a) return b;
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
  };
}
