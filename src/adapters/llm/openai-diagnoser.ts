/**
 * A diagnosis from any OpenAI-compatible `/v1/chat/completions` server (vLLM, LM Studio,
 * llama.cpp's server, LocalAI, OpenAI itself), by plain fetch: the `openai` package is several
 * megabytes for one request. Structured output either as `response_format: json_schema`
 * (https://platform.openai.com/docs/guides/structured-outputs) or as a forced function call
 * (`tools` + `tool_choice`). Servers that ignore both and answer JSON in text are parsed and
 * validated the same way; nothing in the answer is trusted before the schema has passed it.
 */
import { buildDiagnosisUserMessage, DIAGNOSIS_SYSTEM_PROMPT, type PromptLimits } from '../../core/diagnosis-prompt.js';
import { DIAGNOSIS_INPUT_JSON_SCHEMA, DIAGNOSIS_TOOL_NAME, parseDiagnosisInput } from '../../core/diagnosis-schema.js';
import type { Diagnoser, DiagnoserResult, DiagnosisRequest, TokenUsage } from '../../pipeline/ports.js';
import { findJsonObject, parseTextAnswer } from './json-answer.js';
import { postJson } from './post-json.js';

export interface OpenAiDiagnoserOptions {
  /** Up to and including `/v1`: `http://127.0.0.1:8000/v1`. */
  readonly baseURL: string;
  readonly apiKey?: string;
  readonly model: string;
  readonly timeoutMs?: number;
  /** Default `json_schema`. */
  readonly structured?: 'json_schema' | 'tools';
  readonly maxTokens?: number;
  readonly limits?: Partial<PromptLimits>;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

const NAME = 'OpenAI-compatible server';

export class OpenAiDiagnoser implements Diagnoser {
  readonly model: string;
  private readonly url: string;

  constructor(private readonly options: OpenAiDiagnoserOptions) {
    this.model = options.model;
    this.url = `${options.baseURL.replace(/\/+$/, '')}/chat/completions`;
  }

  async diagnose(request: DiagnosisRequest, signal?: AbortSignal): Promise<DiagnoserResult> {
    const user = buildDiagnosisUserMessage(request, { nowMs: (this.options.now ?? Date.now)(), limits: this.options.limits });
    const structured = this.options.structured ?? 'json_schema';
    const shape =
      structured === 'tools'
        ? {
            tools: [{ type: 'function', function: { name: DIAGNOSIS_TOOL_NAME, description: 'Record your diagnosis of the container incident. Call it exactly once.', parameters: DIAGNOSIS_INPUT_JSON_SCHEMA } }],
            tool_choice: { type: 'function', function: { name: DIAGNOSIS_TOOL_NAME } },
          }
        : { response_format: { type: 'json_schema', json_schema: { name: DIAGNOSIS_TOOL_NAME, schema: DIAGNOSIS_INPUT_JSON_SCHEMA } } };
    const answer = await postJson(
      this.url,
      {
        model: this.model,
        max_tokens: this.options.maxTokens ?? 1024,
        temperature: 0,
        messages: [
          { role: 'system', content: DIAGNOSIS_SYSTEM_PROMPT },
          { role: 'user', content: user },
        ],
        ...shape,
      },
      {
        timeoutMs: this.options.timeoutMs ?? 60_000,
        ...(this.options.apiKey ? { headers: { authorization: `Bearer ${this.options.apiKey}` } } : {}),
        ...(signal ? { signal } : {}),
        ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
        name: NAME,
      },
    );
    const result: DiagnoserResult = answer.ok
      ? readOpenAiAnswer(answer.json, this.model)
      : { ok: false, error: answer.status === 401 ? `${NAME} rejected the key (401)` : answer.error };
    return { ...result, backend: 'openai', model: result.ok ? (result.diagnosis.model ?? this.model) : this.model };
  }
}

interface Completion {
  model?: unknown;
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown; prompt_tokens_details?: { cached_tokens?: unknown } };
  choices?: Array<{ finish_reason?: unknown; message?: { content?: unknown; refusal?: unknown; tool_calls?: Array<{ function?: { name?: unknown; arguments?: unknown } }> } }>;
}

/** Turns a chat completion into a result: the tool call's arguments, else JSON in the content. */
export function readOpenAiAnswer(json: unknown, askedModel: string): DiagnoserResult {
  const body = (typeof json === 'object' && json !== null ? json : {}) as Completion;
  const cached = count(body.usage?.prompt_tokens_details?.cached_tokens);
  const usage: TokenUsage = { inputTokens: Math.max(0, count(body.usage?.prompt_tokens) - cached), outputTokens: count(body.usage?.completion_tokens), cacheReadTokens: cached, cacheWriteTokens: 0 };
  const choice = Array.isArray(body.choices) ? body.choices[0] : undefined;
  const message = choice?.message;
  if (!message || typeof message !== 'object') return { ok: false, error: `${NAME} returned a malformed response (no choices[0].message)`, usage };
  if (typeof message.refusal === 'string' && message.refusal !== '') return { ok: false, error: `the model refused to answer: ${message.refusal.slice(0, 150)}`, usage };
  if (choice?.finish_reason === 'length') return { ok: false, error: 'the answer was cut off (finish_reason length)', usage };
  const call = Array.isArray(message.tool_calls) ? message.tool_calls.find((c) => c?.function?.name === DIAGNOSIS_TOOL_NAME) : undefined;
  let parsed;
  if (call && typeof call.function?.arguments === 'string') {
    const args = findJsonObject(call.function.arguments);
    parsed = args === undefined ? ({ ok: false, error: 'tool call arguments are not JSON' } as const) : parseDiagnosisInput(args);
  } else if (typeof message.content === 'string' && message.content.trim() !== '') {
    parsed = parseTextAnswer(message.content);
  } else {
    return { ok: false, error: `the model gave neither a ${DIAGNOSIS_TOOL_NAME} call nor JSON content`, usage };
  }
  if (!parsed.ok) return { ok: false, error: `answer rejected: ${parsed.error}`, usage };
  const model = typeof body.model === 'string' && body.model !== '' ? body.model.slice(0, 100) : askedModel;
  return { ok: true, diagnosis: { ...parsed.value, source: 'ai', backend: 'openai', model }, usage };
}

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
}
