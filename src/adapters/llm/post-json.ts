/**
 * One JSON request to a model server with a timeout and a cap on the answer's size: the answer is
 * as untrusted as the logs that went out, and a local server can be slow or wrong in any way.
 */
import { BodyTooLarge, describeCause, readCappedBody } from '../web/response-body.js';

export type PostJsonResult =
  | { readonly ok: true; readonly status: number; readonly json: unknown }
  | { readonly ok: false; readonly error: string; readonly status?: number };

export interface PostJsonOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly fetch?: typeof fetch;
  /** Default 1 MiB: a diagnosis is a few short fields. */
  readonly maxBytes?: number;
  /** Names the server in errors: `Ollama`, `OpenAI-compatible server`. */
  readonly name: string;
}

export async function postJson(url: string, body: unknown, opts: PostJsonOptions): Promise<PostJsonResult> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  let response: Response;
  try {
    response = await (opts.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...opts.headers },
      body: JSON.stringify(body),
      signal,
    });
  } catch (error) {
    if (timeout.aborted) return { ok: false, error: `${opts.name} request timed out after ${Math.round(opts.timeoutMs / 1000)} s` };
    if (opts.signal?.aborted) return { ok: false, error: `${opts.name} request aborted` };
    return { ok: false, error: `cannot reach the ${opts.name}: ${describeCause(error)}` };
  }
  let text: string;
  try {
    text = await readCappedBody(response, maxBytes, 'reject');
  } catch (error) {
    if (error instanceof BodyTooLarge) return { ok: false, error: `${opts.name} answer larger than ${maxBytes} bytes; not read`, status: response.status };
    if (timeout.aborted) return { ok: false, error: `${opts.name} request timed out after ${Math.round(opts.timeoutMs / 1000)} s` };
    return { ok: false, error: `${opts.name} answer interrupted: ${describeCause(error)}`, status: response.status };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const detail = errorDetail(json) ?? text.replace(/\s+/g, ' ').trim().slice(0, 200);
    return { ok: false, error: `${opts.name} error (${response.status})${detail ? `: ${detail}` : ''}`, status: response.status };
  }
  if (json === undefined) return { ok: false, error: `${opts.name} answered with something other than JSON`, status: response.status };
  return { ok: true, status: response.status, json };
}

/** `{"error": "..."}` (Ollama) or `{"error": {"message": "..."}}` (OpenAI and its look-alikes). */
function errorDetail(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const e = (json as { error?: unknown }).error;
  const message = typeof e === 'string' ? e : typeof e === 'object' && e !== null ? (e as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message.replace(/\s+/g, ' ').trim().slice(0, 200) : undefined;
}
