/**
 * Private keys logged over several lines: a PEM block written line by line, with or without a
 * logger prefix on each line (`2024-05-01T02:00:13Z app[1]: MIIEvQ...`), or split across log
 * frames. Found across the whole tail before any line-by-line pass, because no single body line
 * says "private key" and the last one is too short to look random.
 *
 * Each line of the block keeps its prefix and suffix and loses its body, so the line count is
 * unchanged (callers map redacted text back to lines).
 */
import { marker, MARK } from './redact-rule.js';

const KIND = 'private-key';
const BEGIN = /-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/;
const END = /-----END[A-Z0-9 ]*-----/;
/** An earlier pass already replaced the BEGIN line: the block may still continue below it. */
const REDACTED_BEGIN = `${MARK}:${KIND}]`;
/** A block longer than this is not a key (an RSA 8192 key is about 100 lines). */
const MAX_BLOCK_LINES = 200;
/** Body lines shorter than this count only directly before the END line (the last, short line). */
const MIN_BODY = 16;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** The shape of a logger prefix or suffix: digits vary from line to line (timestamps, counters). */
function shapeSource(s: string): string {
  return s.split(/\d+/).map(escapeRegExp).join('\\d+');
}

interface Frame {
  readonly line: RegExp;
}

/** A pattern for the lines of this block: the same prefix and suffix shape around a body. */
function frameOf(prefix: string, suffix: string): Frame {
  const body = `(?<body>[A-Za-z0-9+/=]*|(?:Proc-Type|DEK-Info|Comment):[^\\r\\n]*|\\[REDACTED:[a-z0-9:_-]+\\])`;
  return { line: new RegExp(`^(?<pre>${shapeSource(prefix.trimEnd())}[ \\t]*)${body}(?<post>[ \\t]*${shapeSource(suffix.trim())}[ \\t]*\\r?)$`) };
}

function replaceBody(m: RegExpExecArray): string {
  const g = m.groups ?? {};
  return `${g['pre']}${marker(KIND)}${g['post']}`;
}

/** Redacts every multi-line private key block in `text`; other text is returned unchanged. */
export function redactPemBlocks(text: string): string {
  if (!text.includes('PRIVATE KEY') && !text.includes(REDACTED_BEGIN)) return text;
  if (!text.includes('\n')) return text;
  const lines = text.split('\n');
  let changed = false;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!;
    const begin = BEGIN.exec(line);
    const at = begin ? begin.index : line.indexOf(REDACTED_BEGIN);
    if (at < 0) continue;
    const headEnd = begin ? at + begin[0].length : at + REDACTED_BEGIN.length;
    const suffix = line.slice(headEnd);
    // A block collapsed onto one line (spaces or `\n` escapes) is for the line rules.
    if (/[A-Za-z0-9+/]{16,}/.test(suffix)) continue;
    const frame = frameOf(line.slice(0, at), suffix);
    const block: number[] = [];
    let ended = -1;
    for (let j = i + 1; j < lines.length && j - i <= MAX_BLOCK_LINES; j += 1) {
      const next = lines[j]!;
      const end = END.exec(next);
      if (end) {
        ended = j;
        break;
      }
      const m = frame.line.exec(next);
      if (!m) break;
      block.push(j);
    }
    // Without an END line (the tail was cut), a short last line may be ordinary output ("ready").
    if (ended < 0) {
      while (block.length > 0 && (frame.line.exec(lines[block.at(-1)!]!)?.groups?.['body'] ?? '').length < MIN_BODY) block.pop();
    }
    if (begin) lines[i] = `${line.slice(0, at)}${marker(KIND)}${suffix}`;
    for (const j of block) {
      const m = frame.line.exec(lines[j]!);
      if (m && (m.groups?.['body'] ?? '') !== '') lines[j] = replaceBody(m);
    }
    if (ended >= 0 && block.length === ended - i - 1) {
      lines[ended] = lines[ended]!.replace(/(?:[A-Za-z0-9+/=]*[ \t]*)?-----END[A-Z0-9 ]*-----/, marker(KIND));
      i = ended;
    } else {
      i += block.length;
    }
    changed = true;
  }
  return changed ? lines.join('\n') : text;
}
