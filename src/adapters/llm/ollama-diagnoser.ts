/**
 * A diagnosis from a local model through Ollama's native chat endpoint
 * (https://github.com/ollama/ollama/blob/main/docs/api.md#generate-a-chat-completion): one
 * non-streamed `POST /api/chat` with the diagnosis JSON schema as `format` (structured outputs),
 * so the model is constrained to the fields; the answer is still parsed and validated. A plain
 * fetch, not the `ollama` package: one request needs no client.
 */
import { buildDiagnosisUserMessage, DIAGNOSIS_SYSTEM_PROMPT, type PromptLimits } from '../../core/diagnosis-prompt.js';
import { DIAGNOSIS_INPUT_JSON_SCHEMA } from '../../core/diagnosis-schema.js';
import type { Diagnoser, DiagnoserResult, DiagnosisRequest, TokenUsage } from '../../pipeline/ports.js';
import { parseTextAnswer } from './json-answer.js';
import { postJson } from './post-json.js';

export interface OllamaDiagnoserOptions {
  /** Default http://127.0.0.1:11434. */
  readonly baseURL?: string;
  readonly model: string;
  /** Default 60 s: a local model on a small machine is slow, especially on its first load. */
  readonly timeoutMs?: number;
  readonly limits?: Partial<PromptLimits>;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

const NAME = 'Ollama';

export class OllamaDiagnoser implements Diagnoser {
  readonly model: string;
  private readonly url: string;

  constructor(private readonly options: OllamaDiagnoserOptions) {
    this.model = options.model;
    this.url = `${(options.baseURL ?? 'http://127.0.0.1:11434').replace(/\/+$/, '')}/api/chat`;
  }

  async diagnose(request: DiagnosisRequest, signal?: AbortSignal): Promise<DiagnoserResult> {
    const user = buildDiagnosisUserMessage(request, { nowMs: (this.options.now ?? Date.now)(), limits: this.options.limits });
    const answer = await postJson(
      this.url,
      {
        model: this.model,
        stream: false,
        format: DIAGNOSIS_INPUT_JSON_SCHEMA,
        // Deterministic answers: the same incident should get the same diagnosis.
        options: { temperature: 0 },
        messages: [
          { role: 'system', content: DIAGNOSIS_SYSTEM_PROMPT },
          { role: 'user', content: `${user}\n\nAnswer with one JSON object with the fields root_cause, severity, suggested_fix, auto_restart_safe, config_suggestions, likely_recurring, estimated_impact.` },
        ],
      },
      { timeoutMs: this.options.timeoutMs ?? 60_000, ...(signal ? { signal } : {}), ...(this.options.fetch ? { fetch: this.options.fetch } : {}), name: NAME },
    );
    const result: DiagnoserResult = answer.ok ? readOllamaAnswer(answer.json, this.model) : { ok: false, error: answer.error };
    return { ...result, backend: 'ollama', model: result.ok ? (result.diagnosis.model ?? this.model) : this.model };
  }
}

/** Turns an /api/chat response into a result. */
export function readOllamaAnswer(json: unknown, askedModel: string): DiagnoserResult {
  const body = (typeof json === 'object' && json !== null ? json : {}) as { model?: unknown; message?: { content?: unknown }; done_reason?: unknown; prompt_eval_count?: unknown; eval_count?: unknown };
  const usage: TokenUsage = { inputTokens: count(body.prompt_eval_count), outputTokens: count(body.eval_count), cacheReadTokens: 0, cacheWriteTokens: 0 };
  const content = body.message?.content;
  if (typeof content !== 'string') return { ok: false, error: 'Ollama returned a malformed response (no message content)', usage };
  if (body.done_reason === 'length') return { ok: false, error: 'Ollama answer was cut off (done_reason length)', usage };
  const parsed = parseTextAnswer(content);
  if (!parsed.ok) return { ok: false, error: `Ollama answer rejected: ${parsed.error}`, usage };
  const model = typeof body.model === 'string' && body.model !== '' ? body.model.slice(0, 100) : askedModel;
  return { ok: true, diagnosis: { ...parsed.value, source: 'ai', backend: 'ollama', model }, usage };
}

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
}
