/**
 * Reading what a web service answered (fetch `Response`s), bounded: a misbehaving or hostile
 * endpoint cannot make the doctor buffer an unbounded body. Shared by the notification channels
 * and the diagnosis backends.
 */

/** The body was larger than the caller accepts whole. */
export class BodyTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`answer larger than ${maxBytes} bytes`);
  }
}

/**
 * Reads at most `maxBytes` of the body as UTF-8. `truncate` keeps the start (an error body, read
 * for its message); `reject` throws BodyTooLarge, declared or found while reading (an answer is
 * only usable whole).
 */
export async function readCappedBody(response: Response, maxBytes: number, overflow: 'truncate' | 'reject'): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (overflow === 'reject' && Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new BodyTooLarge(maxBytes);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      if (overflow === 'reject') throw new BodyTooLarge(maxBytes);
      chunks.push(value);
      break;
    }
    chunks.push(value);
  }
  const whole = Buffer.concat(chunks);
  return (whole.byteLength > maxBytes ? whole.subarray(0, maxBytes) : whole).toString('utf8');
}

/** Node's fetch reports `fetch failed` and puts the useful part (ECONNREFUSED, a timeout) in `cause`. */
export function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const detail = cause && typeof cause === 'object' ? (typeof cause.code === 'string' ? cause.code : String(cause.message ?? '')) : '';
  return detail ? `${error.message} (${detail})` : error.message;
}
