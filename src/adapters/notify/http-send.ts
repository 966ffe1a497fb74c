/**
 * One HTTP request to a channel, classified for the delivery queue: 2xx delivered; 429 retried
 * after `Retry-After`; 5xx, 408 and network errors retried with backoff; other 4xx not retried
 * (the same request would fail again). Uses Node's own `fetch`: every channel here speaks plain
 * JSON (or text) over HTTP, so no SDK is needed.
 */
import { describeCause, readCappedBody } from '../web/response-body.js';
import type { Attempt } from './delivery-queue.js';

export interface HttpRequest {
  readonly url: string;
  readonly method?: 'POST' | 'PUT';
  readonly headers?: Readonly<Record<string, string>>;
  /** A string is sent as is; anything else as JSON. */
  readonly body: unknown;
}

export interface HttpSendOptions {
  readonly fetch?: typeof fetch;
  /**
   * A wait the service puts in its error body rather than a header (Telegram's
   * `parameters.retry_after`, Discord's `retry_after`), in ms.
   */
  readonly retryAfterFromBody?: (body: unknown) => number | undefined;
  /** Reads a 2xx body for a failure the service reports with status 200 (Telegram's `ok: false`). */
  readonly checkOk?: (body: unknown) => string | undefined;
}

/** Error bodies are read only this far: enough for a message, not a memory hazard. */
const MAX_ERROR_BODY = 4096;
const MAX_ERROR_TEXT = 200;

export async function sendHttp(request: HttpRequest, signal: AbortSignal, opts: HttpSendOptions = {}): Promise<Attempt> {
  const isText = typeof request.body === 'string';
  const headers: Record<string, string> = {
    'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json',
    'user-agent': 'container-doctor',
    ...request.headers,
  };
  let response: Response;
  try {
    response = await (opts.fetch ?? fetch)(request.url, {
      method: request.method ?? 'POST',
      headers,
      body: isText ? (request.body as string) : JSON.stringify(request.body),
      signal,
      redirect: 'error',
    });
  } catch (error) {
    if (signal.aborted) return { ok: false, retryable: true, error: 'request timed out' };
    return { ok: false, retryable: true, error: `request failed: ${describeCause(error)}` };
  }
  let text = '';
  try {
    text = await readCappedBody(response, MAX_ERROR_BODY, 'truncate');
  } catch (error) {
    if (response.ok) return { ok: false, retryable: true, error: `response interrupted: ${describeCause(error)}`, status: response.status };
  }
  const json = parseJson(text);
  if (response.ok) {
    const problem = opts.checkOk?.(json);
    return problem === undefined ? { ok: true, status: response.status } : { ok: false, retryable: false, error: problem, status: response.status };
  }
  const status = response.status;
  const detail = oneLine(text) || response.statusText;
  const error = `HTTP ${status}${detail ? ` ${detail}` : ''}`;
  if (status === 429) {
    const waitMs = parseRetryAfter(response.headers.get('retry-after'), Date.now()) ?? opts.retryAfterFromBody?.(json);
    return { ok: false, retryable: true, error, status, ...(waitMs !== undefined ? { waitMs } : {}) };
  }
  return { ok: false, retryable: status >= 500 || status === 408, error, status };
}

/** `Retry-After` is seconds or an HTTP date (RFC 9110 section 10.2.3). */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null || value.trim() === '') return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_ERROR_TEXT ? `${flat.slice(0, MAX_ERROR_TEXT - 1)}…` : flat;
}
