import type { Config } from '../config/load-config.js';
import { diagnosisBackend, isAiDiagnosis } from '../core/diagnosis-source.js';
import { signatureOf } from '../core/signature.js';
import type { AiUsage, ContainerFacts, ContainerHistory, Diagnosis, Evidence, RulesVerdict } from '../core/types.js';
import type { FeedListener } from './feed.js';
import type { Diagnoser, DiagnoserResult, DiagnosisRequest, TokenUsage } from './ports.js';

/** The first usable answer of the backends, in order; the last failure when none answered. */
async function askInOrder(diagnosers: readonly Diagnoser[], request: DiagnosisRequest, signal?: AbortSignal): Promise<DiagnoserResult> {
  const errors: string[] = [];
  let last: DiagnoserResult | undefined;
  for (const diagnoser of diagnosers) {
    if (signal?.aborted) break;
    last = await diagnoser.diagnose(request, signal);
    if (last.ok) return last;
    errors.push(last.error);
  }
  if (last === undefined || last.ok) return { ok: false, error: 'the doctor is shutting down' };
  return errors.length > 1 ? { ok: false, error: errors.join('; then '), ...(last.usage ? { usage: last.usage } : {}) } : last;
}

/** MAX_DIAGNOSES_PER_HOUR and token accounting. */
export interface DiagnosisAllowance {
  tryTake(nowMs: number): boolean;
  /** Adds one call's tokens to the running totals; may return the call's estimated cost in USD. */
  recordUsage(model: string, usage: TokenUsage): number | null | void;
}

/** What the Claude stage contributes to an incident. */
export interface SecondOpinion {
  /** Claude's diagnosis, or the rules' made unsafe when Claude failed. */
  readonly ai?: Diagnosis;
  readonly aiNote?: string;
  readonly aiUsage?: AiUsage;
}

export interface OpinionRequest {
  readonly facts: ContainerFacts;
  readonly evidence: Evidence;
  /** The redacted last LOG_LINES lines, built only when a call is made. */
  readonly logTail: () => string[];
  readonly rules: RulesVerdict;
  readonly history: ContainerHistory;
  readonly signature: string;
  /** The container's history key. */
  readonly key: string;
  /** The incident's signature was seen before (a repeat). */
  readonly seenBefore: boolean;
  /** `doctor diagnose`: a person asked. */
  readonly manual: boolean;
  readonly now: number;
}

const MEMORY_LIMIT = 5_000;

/**
 * What makes two incidents on one container the same question for Claude: the error lines and
 * whether memory ran out, not the state the container happened to be in when inspected (a crash
 * loop is seen `restarting`, `running` and `exited` in turn, with the same failure each time).
 */
function questionOf(evidence: Evidence): string {
  return signatureOf(evidence.matchedLines, evidence.oomKilled ? 'oom' : evidence.health === 'unhealthy' ? 'unhealthy' : 'failure');
}

/**
 * Asks Claude once per incident, within the hourly allowance. A failure can never make the doctor
 * bolder: it comes back as the rules' diagnosis with `auto_restart_safe: false`.
 */
export class SecondOpinions {
  private readonly memory = new Map<string, { opinion: SecondOpinion; at: number }>();

  constructor(
    private readonly deps: {
      readonly config: Config;
      readonly feed: FeedListener;
      /** Backends in order; a failure or an unusable answer falls through to the next. */
      readonly diagnosers?: readonly Diagnoser[];
      readonly allowance?: DiagnosisAllowance;
      readonly dedupeWindowMs: number;
      readonly stopSignal?: AbortSignal;
    },
  ) {}

  async ask(req: OpinionRequest): Promise<SecondOpinion> {
    const { allowance, config } = this.deps;
    const diagnosers = this.deps.diagnosers ?? [];
    if (diagnosers.length === 0) return {};
    const { facts, evidence, now } = req;
    // One question per incident: a crash loop repeats the same failure on every restart, and a
    // failed call is not retried on the next repeat either (that would be one call per restart).
    const memoryKey = `${req.key}#${questionOf(evidence)}`;
    const remembered = this.memory.get(memoryKey);
    if (remembered && now - remembered.at <= this.deps.dedupeWindowMs && (req.seenBefore || !req.manual)) {
      remembered.at = now;
      const { ai, aiNote } = remembered.opinion;
      return ai && isAiDiagnosis(ai)
        ? { ai, aiNote: `${diagnosisBackend(ai) ?? 'AI'} diagnosis reused: same incident as before (not asked again)` }
        : { ...(ai ? { ai } : {}), aiNote: `not asked again for the same incident; earlier: ${aiNote ?? 'no answer'}` };
    }
    if (allowance && !allowance.tryTake(now)) {
      return { aiNote: `MAX_DIAGNOSES_PER_HOUR (${config.anthropic.maxDiagnosesPerHour}) reached: diagnosed by rules only` };
    }
    const request = { facts, evidence, rules: req.rules, history: req.history, signature: req.signature, logTail: req.logTail() };
    const result = await askInOrder(diagnosers, request, this.deps.stopSignal);
    this.deps.feed({ type: 'diagnosis', host: facts.ref.host, container: facts.ref.name, ok: result.ok, ...(result.ok ? {} : { error: result.error }) });
    let aiUsage: AiUsage | undefined;
    if (result.usage) {
      const model = result.ok ? (result.diagnosis.model ?? result.model ?? config.anthropic.model) : (result.model ?? config.anthropic.model);
      const recorded = allowance?.recordUsage(model, result.usage);
      // The chain prices each backend itself (local ones cost nothing); the allowance knows Claude's prices.
      const cost = result.estimatedCostUsd !== undefined ? result.estimatedCostUsd : typeof recorded === 'number' ? recorded : null;
      aiUsage = {
        model,
        ...(result.backend ? { backend: result.backend } : {}),
        ...result.usage,
        ...(result.latencyMs !== undefined ? { latencyMs: result.latencyMs } : {}),
        estimatedCostUsd: cost,
      };
    }
    // A chain that asked several backends and got nothing leaves `backend` unset: then it is "AI".
    const who = result.ok ? '' : (result.backend ?? 'AI');
    const opinion: SecondOpinion = result.ok
      ? { ai: result.diagnosis, ...(result.fellThrough ? { aiNote: `answered by ${result.backend ?? 'a later backend'} after: ${result.fellThrough}` } : {}) }
      : {
          ai: { ...req.rules.diagnosis, auto_restart_safe: false },
          aiNote: `${who === 'claude' ? 'Claude' : who} diagnosis failed (${result.error}); rules diagnosis used with auto_restart_safe false`,
        };
    this.memory.set(memoryKey, { opinion, at: now });
    if (this.memory.size > MEMORY_LIMIT) this.memory.delete(this.memory.keys().next().value!);
    return { ...opinion, ...(aiUsage ? { aiUsage } : {}) };
  }
}
