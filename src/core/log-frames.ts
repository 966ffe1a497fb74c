/**
 * Turns the bytes of `GET /containers/{id}/logs` into lines.
 *
 * Without a TTY the engine multiplexes stdout and stderr: every write becomes a frame with an
 * 8-byte header `[stream, 0, 0, 0, size (uint32, big endian)]` followed by `size` bytes
 * (Engine API, "Attach to a container": stream format). Frames are writes, not lines: a line can
 * span frames and a frame can hold many lines. With a TTY the stream is the raw bytes.
 *
 * Whatever arrives (binary junk, invalid UTF-8, a line of a megabyte, a cut-off frame), the
 * decoder never throws and holds at most `maxLineBytes` per stream.
 */
import type { LogLine, LogStream } from './types.js';

/** How to read one logs stream. */
export interface LogDecodeOptions {
  /** The container has `Config.Tty`: the stream is raw, not framed. */
  readonly tty: boolean;
  /** The logs were requested with `timestamps=true`: every line starts with an RFC 3339 time and a space. */
  readonly timestamps: boolean;
  /** Longer lines keep their first and last `maxLineBytes / 2` bytes and, between them, a marker naming how much was cut. */
  readonly maxLineBytes: number;
}

const HEADER_BYTES = 8;
const LF = 0x0a;
const SPACE = 0x20;
/** `2006-01-02T15:04:05.000000000+07:00` plus the space: the longest stamp Docker writes. */
const STAMP_PROBE_BYTES = 36;

const LEADING_STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) /;
const HAS_CONTROL = /[\x00-\x08\x0b-\x1f\x7f\x9b]/;
/** CSI (colours, cursor moves), OSC (titles, links), other escape strings and two-byte escapes. */
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]?|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|[@-Z\\-_]?)|\x9b[0-?]*[ -/]*[@-~]?/g;
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/g;

/** Cut marker between the head and the tail of a line longer than `maxLineBytes`. */
export function cutMarker(droppedBytes: number): string {
  return `…[cut ${droppedBytes} bytes]`;
}

/**
 * The bytes of one unfinished line: its head and its tail (half the limit each: an error often
 * ends a long line, after a payload or a dump), and a count of what we let go between them.
 */
class PartialLine {
  head: Uint8Array[] = [];
  headKept = 0;
  tail: Uint8Array[] = [];
  tailKept = 0;
  dropped = 0;

  get empty(): boolean {
    return this.headKept === 0 && this.tailKept === 0 && this.dropped === 0;
  }

  append(bytes: Uint8Array, limit: number): void {
    const headLimit = Math.ceil(limit / 2);
    let rest = bytes;
    if (this.tailKept === 0 && this.dropped === 0) {
      const room = headLimit - this.headKept;
      if (rest.length <= room) {
        this.head.push(rest.slice());
        this.headKept += rest.length;
        return;
      }
      if (room > 0) {
        this.head.push(rest.slice(0, room));
        this.headKept += room;
        rest = rest.subarray(room);
      }
    }
    const tailLimit = limit - headLimit;
    // Only the last tailLimit bytes of what follows can be kept: the rest is let go now.
    if (rest.length > tailLimit) {
      this.dropped += rest.length - tailLimit;
      rest = rest.subarray(rest.length - tailLimit);
    }
    this.tail.push(rest.slice());
    this.tailKept += rest.length;
    while (this.tailKept > tailLimit) {
      const first = this.tail[0]!;
      const over = this.tailKept - tailLimit;
      if (first.length <= over) {
        this.tail.shift();
        this.tailKept -= first.length;
        this.dropped += first.length;
      } else {
        this.tail[0] = first.subarray(over);
        this.tailKept -= over;
        this.dropped += over;
      }
    }
  }

  /** Joins the kept head and tail with `last` (bounded), and empties the carry. */
  take(last: Uint8Array, limit: number): { head: Uint8Array; tail: Uint8Array; dropped: number } {
    if (this.empty && last.length <= limit) return { head: last, tail: new Uint8Array(0), dropped: 0 };
    if (last.length > 0) this.append(last, limit);
    const taken = { head: join(this.head, this.headKept), tail: join(this.tail, this.tailKept), dropped: this.dropped };
    this.head = [];
    this.headKept = 0;
    this.tail = [];
    this.tailKept = 0;
    this.dropped = 0;
    // Nothing let go: head and tail are one line.
    return taken.dropped > 0 ? taken : { head: join([taken.head, taken.tail], taken.head.length + taken.tail.length), tail: new Uint8Array(0), dropped: 0 };
  }
}

function join(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}

/**
 * Incremental decoder for a logs stream: feed chunks as they arrive with `push`, then call `end`
 * once the stream closes to get the last unterminated line of each stream.
 */
export class LogDecoder {
  readonly #timestamps: boolean;
  readonly #max: number;
  readonly #utf8 = new TextDecoder('utf-8', { fatal: false });
  readonly #partial: Record<LogStream, PartialLine> = { stdout: new PartialLine(), stderr: new PartialLine() };
  /** Set when the bytes turned out not to be framed after all: read the rest raw. */
  #raw: boolean;
  readonly #header = new Uint8Array(HEADER_BYTES);
  #headerLength = 0;
  #frameLeft = 0;
  #frameStream: LogStream = 'stdout';
  /** Bytes at the start of the current frame, held until we know whether they are a timestamp. */
  #probe: number[] | null = null;

  constructor(options: LogDecodeOptions) {
    this.#timestamps = options.timestamps;
    this.#max = Math.max(1, Math.floor(options.maxLineBytes));
    this.#raw = options.tty;
  }

  /** Decodes one chunk; returns the lines it completed. */
  push(chunk: Uint8Array): LogLine[] {
    const out: LogLine[] = [];
    if (this.#raw) {
      this.#takeBytes('stdout', chunk, out);
      return out;
    }
    let at = 0;
    while (at < chunk.length) {
      if (this.#frameLeft === 0) {
        const n = Math.min(HEADER_BYTES - this.#headerLength, chunk.length - at);
        this.#header.set(chunk.subarray(at, at + n), this.#headerLength);
        this.#headerLength += n;
        at += n;
        if (this.#headerLength < HEADER_BYTES) break;
        this.#headerLength = 0;
        if (!this.#startFrame()) {
          // Not a frame header: the container is really a TTY one, or the stream is not framed.
          this.#raw = true;
          this.#takeBytes('stdout', this.#header.slice(), out);
          this.#takeBytes('stdout', chunk.subarray(at), out);
          return out;
        }
        continue;
      }
      const n = Math.min(this.#frameLeft, chunk.length - at);
      this.#takeFramed(chunk.subarray(at, at + n), out);
      this.#frameLeft -= n;
      at += n;
      if (this.#frameLeft === 0) this.#flushProbe(out);
    }
    return out;
  }

  /** The stream ended: returns unterminated lines. A cut-off header or frame is not an error. */
  end(): LogLine[] {
    const out: LogLine[] = [];
    this.#flushProbe(out);
    if (this.#headerLength > 0 && !looksLikeHeader(this.#header, this.#headerLength)) {
      this.#takeBytes('stdout', this.#header.subarray(0, this.#headerLength), out);
    }
    this.#headerLength = 0;
    this.#frameLeft = 0;
    for (const stream of ['stdout', 'stderr'] as const) {
      const partial = this.#partial[stream];
      if (!partial.empty) this.#emit(stream, new Uint8Array(0), out);
    }
    return out;
  }

  #startFrame(): boolean {
    if (!looksLikeHeader(this.#header, HEADER_BYTES)) return false;
    const h = this.#header;
    // Stream 0 is stdin echoed on stdout; 3 is the engine's own error stream (moby stdcopy `Systemerr`).
    this.#frameStream = h[0] === 2 || h[0] === 3 ? 'stderr' : 'stdout';
    this.#frameLeft = ((h[4]! << 24) >>> 0) + (h[5]! << 16) + (h[6]! << 8) + h[7]!;
    const partial = this.#partial[this.#frameStream];
    // Each frame is one message of the log driver and, with timestamps, starts with its own stamp;
    // a long line split into several messages carries a stamp in the middle, which we drop.
    this.#probe = this.#timestamps && !partial.empty ? [] : null;
    return true;
  }

  #takeFramed(bytes: Uint8Array, out: LogLine[]): void {
    const probe = this.#probe;
    if (probe === null) {
      this.#takeBytes(this.#frameStream, bytes, out);
      return;
    }
    let i = 0;
    while (i < bytes.length && probe.length < STAMP_PROBE_BYTES) {
      const byte = bytes[i++]!;
      probe.push(byte);
      if (byte === SPACE || byte === LF) break;
    }
    if (probe.length < STAMP_PROBE_BYTES && probe[probe.length - 1] !== SPACE && probe[probe.length - 1] !== LF) return;
    this.#flushProbe(out);
    this.#takeBytes(this.#frameStream, bytes.subarray(i), out);
  }

  #flushProbe(out: LogLine[]): void {
    const probe = this.#probe;
    if (probe === null) return;
    this.#probe = null;
    const bytes = Uint8Array.from(probe);
    if (LEADING_STAMP.test(this.#utf8.decode(bytes))) return;
    this.#takeBytes(this.#frameStream, bytes, out);
  }

  #takeBytes(stream: LogStream, bytes: Uint8Array, out: LogLine[]): void {
    let start = 0;
    while (start < bytes.length) {
      // Search a bounded view: an unbounded indexOf over a big chunk per tiny frame is quadratic.
      const rest = bytes.subarray(start);
      const newline = rest.indexOf(LF);
      if (newline === -1) {
        this.#partial[stream].append(rest, this.#max);
        return;
      }
      this.#emit(stream, rest.subarray(0, newline), out);
      start += newline + 1;
    }
  }

  #emit(stream: LogStream, last: Uint8Array, out: LogLine[]): void {
    const partial = this.#partial[stream];
    const { head: kept, tail: keptTail, dropped } = partial.take(last, this.#max);
    // A cut never splits a UTF-8 character: the head ends, and the tail begins, on a boundary.
    const head = dropped > 0 ? kept.subarray(0, utf8Boundary(kept, kept.length)) : kept;
    const tail = keptTail.subarray(utf8Start(keptTail));
    let text = this.#utf8.decode(head);
    let ts: string | undefined;
    if (this.#timestamps) {
      const stamp = LEADING_STAMP.exec(text);
      if (stamp) {
        ts = stamp[1];
        text = text.slice(stamp[0].length);
      }
    }
    if (dropped > 0) text += cutMarker(dropped + (kept.length - head.length) + (keptTail.length - tail.length)) + this.#utf8.decode(tail);
    for (const piece of splitCarriageReturns(text)) {
      const clean = HAS_CONTROL.test(piece) ? stripControls(piece) : piece;
      out.push(ts === undefined ? { stream, text: clean } : { stream, text: clean, ts });
    }
  }
}

/** Decodes a whole logs response at once (`docker logs --tail N` without follow). */
export function parseLogBuffer(buffer: Uint8Array, options: LogDecodeOptions): LogLine[] {
  const decoder = new LogDecoder(options);
  const lines = decoder.push(buffer);
  for (const line of decoder.end()) lines.push(line);
  return lines;
}

/** Removes ANSI escape sequences and other control characters (tabs stay). */
export function stripControls(text: string): string {
  return text.replace(ANSI, '').replace(CONTROL, '');
}

function looksLikeHeader(header: Uint8Array, length: number): boolean {
  if (length > 0 && header[0]! > 3) return false;
  for (let i = 1; i < Math.min(length, 4); i++) if (header[i] !== 0) return false;
  return true;
}

/**
 * A lone CR returns the cursor to the start of the line (progress bars): what follows is a new
 * line, as in universal-newline reading. CRLF is one line end.
 */
function splitCarriageReturns(text: string): string[] {
  if (!text.includes('\r')) return [text];
  const pieces = text.split('\r').filter((piece) => piece.length > 0);
  return pieces.length > 0 ? pieces : [''];
}

/** The largest end <= `end` that does not split a UTF-8 sequence. */
function utf8Boundary(bytes: Uint8Array, end: number): number {
  let at = end;
  // Step back over continuation bytes (10xxxxxx), at most three, to the lead byte.
  while (at > 0 && end - at < 3 && (bytes[at - 1]! & 0xc0) === 0x80) at--;
  if (at > 0) {
    const lead = bytes[at - 1]!;
    const size = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (size > 1 && end - (at - 1) < size) return at - 1;
  }
  return end;
}

/** The first index at or after 0 that starts a UTF-8 character (skips at most three continuation bytes). */
function utf8Start(bytes: Uint8Array): number {
  let at = 0;
  while (at < bytes.length && at < 3 && (bytes[at]! & 0xc0) === 0x80) at++;
  return at;
}
