/**
 * The Claude second opinion, through the official SDK. One forced tool call per incident; every
 * failure comes back as `{ ok: false, error }` so the caller falls back to the rules, unsafe.
 */
// By name, not the default export: the build requires the SDK from dist/vendor/ (scripts/bundle.mjs),
// and an ES module's default import of a required file is that file's whole exports object.
import {
  Anthropic,
  APIConnectionTimeoutError,
  APIConnectionError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  OverloadedError,
  PermissionDeniedError,
  RateLimitError,
} from '@anthropic-ai/sdk';
import { DIAGNOSIS_INPUT_JSON_SCHEMA, DIAGNOSIS_TOOL_NAME, parseDiagnosisInput } from '../../core/diagnosis-schema.js';
import { buildDiagnosisUserMessage, DIAGNOSIS_SYSTEM_PROMPT, type PromptLimits } from '../../core/diagnosis-prompt.js';
import type { Diagnoser, DiagnoserResult, DiagnosisRequest, TokenUsage } from '../../pipeline/ports.js';

/**
 * A current Haiku-class model: cheap and fast; a Sonnet-class model is one setting away.
 * `claude-haiku-4-5` is active (not in the SDK's deprecated-model list as of @anthropic-ai/sdk
 * 1.12). The newer `claude-haiku-5-5` (ANTHROPIC_MODEL=claude-haiku-5-5) is cheaper but thinks
 * adaptively and counts tokens differently, which the forced tool call here has not been tried
 * against (https://platform.claude.com/docs/en/models/haiku-5-5/migration-guide).
 */
export const DEFAULT_DIAGNOSIS_MODEL = 'claude-haiku-4-5';

export interface ClaudeDiagnoserOptions {
  /** Defaults to the SDK's own lookup (`ANTHROPIC_API_KEY`). */
  readonly apiKey?: string;
  /** Defaults to `ANTHROPIC_BASE_URL`, then the public API. */
  readonly baseURL?: string;
  readonly model?: string;
  /** Per attempt (the SDK's `timeout`). Default 30 s. */
  readonly timeoutMs?: number;
  /** Retries of 408/409/429/5xx and connection errors, by the SDK. Default 2. */
  readonly maxRetries?: number;
  /** Default 1024: the diagnosis is a few short fields. */
  readonly maxTokens?: number;
  readonly limits?: Partial<PromptLimits>;
  /** For "in the last hour" counts in the prompt. Default `Date.now`. */
  readonly now?: () => number;
  /** Replaces the SDK's `fetch` (tests). */
  readonly fetch?: typeof fetch;
  /** Largest response body read, in bytes; a bigger answer is a failure. Default 1 MiB. */
  readonly maxResponseBytes?: number;
}

const MAX_ERROR_CHARS = 300;
/** A diagnosis is a few short fields (max_tokens 1024): anything near a megabyte is not one. */
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/** Thrown while reading a response body that is larger than allowed. */
export class ResponseTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`Claude API response larger than ${limitBytes} bytes; not read`);
    this.name = 'ResponseTooLargeError';
  }
}

/**
 * Wraps `fetch` so no response body larger than `maxBytes` is read into memory: the SDK buffers
 * whole bodies (`response.json()`), and the answer is as untrusted as the logs that went out.
 */
export function limitResponseSize(base: typeof fetch, maxBytes: number): typeof fetch {
  return async (input, init) => {
    const response = await base(input, init);
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw new ResponseTooLargeError(maxBytes);
    }
    if (!response.body) return response;
    let seen = 0;
    const capped = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          seen += chunk.byteLength;
          if (seen > maxBytes) controller.error(new ResponseTooLargeError(maxBytes));
          else controller.enqueue(chunk);
        },
      }),
    );
    return new Response(capped, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

export class ClaudeDiagnoser implements Diagnoser {
  /** The model asked; the answer records the model that replied. */
  readonly model: string;
  private readonly client: Anthropic;
  private readonly maxTokens: number;
  private readonly limits: Partial<PromptLimits> | undefined;
  private readonly now: () => number;

  constructor(options: ClaudeDiagnoserOptions = {}) {
    this.model = options.model || DEFAULT_DIAGNOSIS_MODEL;
    this.maxTokens = options.maxTokens ?? 1024;
    this.limits = options.limits;
    this.now = options.now ?? Date.now;
    this.client = new Anthropic({
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
      // A local Anthropic-compatible server needs no key: send no auth header rather than fail.
      ...(!options.apiKey && options.baseURL && !process.env.ANTHROPIC_API_KEY ? { apiKey: null, defaultHeaders: { 'X-Api-Key': null, Authorization: null } } : {}),
      ...(options.baseURL ? { baseURL: options.baseURL } : {}),
      fetch: limitResponseSize(options.fetch ?? globalThis.fetch, options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES),
      timeout: options.timeoutMs ?? 30_000,
      maxRetries: options.maxRetries ?? 2,
    });
  }

  async diagnose(request: DiagnosisRequest, signal?: AbortSignal): Promise<DiagnoserResult> {
    let message: Anthropic.Message;
    try {
      const user = buildDiagnosisUserMessage(request, { nowMs: this.now(), limits: this.limits });
      message = await this.client.messages.create(
        {
          model: this.model,
          max_tokens: this.maxTokens,
          // The static system prompt (with the tool definition before it) is the cacheable prefix.
          // https://platform.claude.com/docs/en/build-with-claude/prompt-caching
          system: [{ type: 'text', text: DIAGNOSIS_SYSTEM_PROMPT, cache_control: { type: 'ephemeral' } }],
          tools: [
            {
              name: DIAGNOSIS_TOOL_NAME,
              description: 'Record your diagnosis of the container incident. Call it exactly once.',
              input_schema: DIAGNOSIS_INPUT_JSON_SCHEMA as unknown as Anthropic.Tool.InputSchema,
            },
          ],
          tool_choice: { type: 'tool', name: DIAGNOSIS_TOOL_NAME, disable_parallel_tool_use: true },
          messages: [{ role: 'user', content: user }],
        },
        { signal },
      );
    } catch (error) {
      return { ok: false, error: describeFailure(error), backend: 'claude', model: this.model };
    }
    const result = readAnswer(message, this.model);
    return { ...result, backend: 'claude', model: result.ok ? (result.diagnosis.model ?? this.model) : this.model };
  }
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_ERROR_CHARS ? `${flat.slice(0, MAX_ERROR_CHARS - 1)}…` : flat;
}

/** One line saying what failed. Specific classes first: the connection errors are APIErrors too. */
export function describeFailure(error: unknown): string {
  if (error instanceof ResponseTooLargeError) return error.message;
  if (error instanceof APIUserAbortError) return 'Claude request aborted';
  if (error instanceof APIConnectionTimeoutError) return 'Claude request timed out';
  if (error instanceof APIConnectionError) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return oneLine(`cannot reach the Claude API${cause}`);
  }
  if (error instanceof RateLimitError) return oneLine(`Claude API rate limit (429)${apiDetail(error)}`);
  if (error instanceof OverloadedError) return oneLine(`Claude API overloaded (529)${apiDetail(error)}`);
  if (error instanceof AuthenticationError) return oneLine(`Claude API rejected the key (401)${apiDetail(error)}`);
  if (error instanceof PermissionDeniedError) return oneLine(`Claude API permission denied (403)${apiDetail(error)}`);
  if (error instanceof BadRequestError) return oneLine(`Claude API rejected the request (400)${apiDetail(error)}`);
  if (error instanceof APIError) return oneLine(`Claude API error${error.status ? ` (${error.status})` : ''}${apiDetail(error)}`);
  if (error instanceof Error) return oneLine(`Claude request failed: ${error.message}`);
  return oneLine(`Claude request failed: ${String(error)}`);
}

function apiDetail(error: APIError): string {
  const parts = [error.type, error.apiMessage].filter((p): p is string => typeof p === 'string' && p !== '');
  return parts.length ? `: ${parts.join(': ')}` : '';
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

function readUsage(message: Anthropic.Message): TokenUsage {
  const usage = (message.usage ?? {}) as Partial<Anthropic.Usage>;
  return {
    inputTokens: count(usage.input_tokens),
    outputTokens: count(usage.output_tokens),
    cacheReadTokens: count(usage.cache_read_input_tokens),
    cacheWriteTokens: count(usage.cache_creation_input_tokens),
  };
}

/** Turns a Messages API response into a result; the response is as untrusted as the logs were. */
export function readAnswer(message: Anthropic.Message, askedModel: string): DiagnoserResult {
  if (typeof message !== 'object' || message === null || !Array.isArray(message.content)) {
    return { ok: false, error: 'Claude API returned a malformed response (no content)' };
  }
  const usage = readUsage(message);
  const stop = message.stop_reason;
  if (stop === 'refusal') return { ok: false, error: 'Claude refused to answer (stop_reason refusal)', usage };
  if (stop === 'max_tokens' || stop === 'model_context_window_exceeded') {
    return { ok: false, error: `Claude answer was cut off (stop_reason ${stop})`, usage };
  }
  const call = message.content.find(
    (block): block is Anthropic.ToolUseBlock => block?.type === 'tool_use' && (block as Anthropic.ToolUseBlock).name === DIAGNOSIS_TOOL_NAME,
  );
  if (!call) {
    return { ok: false, error: oneLine(`Claude did not call ${DIAGNOSIS_TOOL_NAME} (stop_reason ${String(stop).slice(0, 40)})`), usage };
  }
  const parsed = parseDiagnosisInput(call.input);
  if (!parsed.ok) return { ok: false, error: oneLine(`Claude answer rejected: ${parsed.error}`), usage };
  const model = typeof message.model === 'string' && message.model !== '' ? message.model.slice(0, 100) : askedModel;
  return { ok: true, diagnosis: { ...parsed.value, source: 'ai', backend: 'claude', model }, usage };
}
