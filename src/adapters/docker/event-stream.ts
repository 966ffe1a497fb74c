/**
 * Decoding the Engine's events stream: newline-delimited JSON messages, arriving in chunks that
 * may split a message (or a UTF-8 character) anywhere and may hold several messages.
 * https://docs.docker.com/reference/api/engine/version/v1.41/#tag/System/operation/SystemEvents
 */
import { StringDecoder } from 'node:string_decoder';
import type { ContainerEvent } from '../../pipeline/ports.js';

/** One message as the Engine sends it; the legacy fields (`status`, `from`) predate API 1.22. */
export interface EventMessage {
  readonly Type?: string;
  readonly Action?: string;
  readonly Actor?: { readonly ID?: string; readonly Attributes?: Readonly<Record<string, string>> | null };
  readonly status?: string;
  readonly id?: string;
  readonly from?: string;
  readonly time?: number;
  readonly timeNano?: number;
}

/** A message this long without a newline is not an event; drop it rather than grow without bound. */
const MAX_MESSAGE_CHARS = 1 << 20;

/** Splits the byte stream into parsed JSON messages. Lines that are not JSON objects are skipped. */
export class EventLineDecoder {
  readonly #decoder = new StringDecoder('utf8');
  #pending = '';
  #discarding = false;
  /** How many lines were dropped as malformed or oversized. */
  skipped = 0;

  /** Feeds one chunk; returns the complete messages it finished. */
  push(chunk: Uint8Array | string): EventMessage[] {
    const text = typeof chunk === 'string' ? chunk : this.#decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    return this.#consume(text);
  }

  /** Flushes a final message that lacked its newline. */
  end(): EventMessage[] {
    const messages = this.#consume(this.#decoder.end() + '\n');
    return messages;
  }

  #consume(text: string): EventMessage[] {
    const messages: EventMessage[] = [];
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      const line = this.#pending + text.slice(start, newline);
      this.#pending = '';
      start = newline + 1;
      if (this.#discarding) {
        this.#discarding = false;
        continue;
      }
      const message = parseMessage(line);
      if (message) messages.push(message);
      else if (line.trim() !== '') this.skipped++;
    }
    if (!this.#discarding) {
      this.#pending += text.slice(start);
      if (this.#pending.length > MAX_MESSAGE_CHARS) {
        this.#pending = '';
        this.#discarding = true;
        this.skipped++;
      }
    }
    return messages;
  }
}

function parseMessage(line: string): EventMessage | null {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(trimmed);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as EventMessage) : null;
  } catch {
    return null;
  }
}

/**
 * Reduces a message to a ContainerEvent, or null when it is not about a container.
 * `Actor.Attributes` holds the container's labels beside `name`, `image`, `exitCode` (die) and
 * `signal` (kill).
 */
export function toContainerEvent(message: EventMessage, host: string): ContainerEvent | null {
  if (message.Type !== undefined && message.Type !== 'container') return null;
  const action = message.Action ?? message.status;
  const id = message.Actor?.ID ?? message.id;
  if (!action || !id) return null;
  const attributes = { ...(message.Actor?.Attributes ?? {}) };
  return {
    host,
    id,
    name: attributes['name'] ?? '',
    image: attributes['image'] ?? message.from ?? '',
    action,
    attributes,
    timeMs: readTimeMs(message),
  };
}

/** `timeNano` exceeds 2^53, so it arrives rounded; still far finer than the milliseconds kept. */
export function readTimeMs(message: EventMessage): number {
  if (typeof message.timeNano === 'number' && message.timeNano > 0) return Math.floor(message.timeNano / 1e6);
  if (typeof message.time === 'number') return message.time * 1000;
  return 0;
}
