/**
 * Incident signatures for dedupe: the same error repeating, or re-read on the next cycle, hashes
 * the same; a different error hashes differently. Lines are normalised first so that what varies
 * between repeats (times, ids, addresses, counters) does not count.
 */
import { sha256Hex } from './sha256.js';

/** At most this many distinct normalised lines feed a signature, so a flood cannot keep changing it. */
export const SIGNATURE_MAX_LINES = 16;
/** Lines are judged on their head; a 16 KiB line costs no more than this. */
const NORMALISE_MAX_CHARS = 512;

const MONTH = '(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*';
const DAY = '(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*';

/** Applied in order: the specific shapes first, then what is left of numbers. */
const REPLACEMENTS: ReadonlyArray<readonly [RegExp, string]> = [
  // ISO 8601 / RFC 3339 and `2025/03/01 10:00:00`, with fractions and zones.
  [/\d{4}[-/]\d\d[-/]\d\d(?:[t ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:z|\s?[+-]\d\d:?\d\d|\s?utc)?)?/gi, '<time>'],
  // nginx/apache access `01/Mar/2025:10:00:00 +0000`, syslog `Mar  1 10:00:00`, Redis `01 Mar 2025 10:00:00.000`.
  [new RegExp(`\\d{1,2}/${MONTH}/\\d{4}(?::\\d\\d:\\d\\d:\\d\\d(?:\\s[+-]\\d{4})?)?`, 'gi'), '<time>'],
  [new RegExp(`(?:${DAY},?\\s+)?(?:\\d{1,2}\\s+${MONTH}|${MONTH}\\s+\\d{1,2})(?:,?\\s+\\d{4})?\\s+\\d\\d:\\d\\d:\\d\\d(?:[.,]\\d+)?(?:\\s+\\d{4})?`, 'gi'), '<time>'],
  // Clock times on their own, and klog's `E0301 10:00:00.000000` prefix.
  [/\b[a-z]?\d{4}\s+\d\d:\d\d:\d\d(?:\.\d+)?/gi, '<time>'],
  [/\b\d\d:\d\d:\d\d(?:[.,]\d+)?\b/g, '<time>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  // IPv6 (two colons or more and a digit), with a zone, brackets and a port.
  [/\[?(?<![\w:])(?=[0-9a-f:]*\d)(?:[0-9a-f]{1,4}:|:){2,7}[0-9a-f]{0,4}(?:%\w+)?\]?(?::\d+)?/gi, '<ip>'],
  [/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g, '<ip>'],
  // Kubernetes pod names: `<deployment>-<replicaset hash>-<5 chars>` from the safe alphabet of names.
  [/-[bcdfghjklmnpqrstvwxz2456789]{8,10}-[bcdfghjklmnpqrstvwxz2456789]{5}\b/g, '-<pod>'],
  // Hex ids of six characters or more (container ids, digests, pointers); a digit must appear, so words like `decade` stay.
  [/\b0x[0-9a-f]+\b|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{6,}\b/gi, '<hex>'],
  // Request ids and tokens: `request_id=abc123`, or quoted/bare mixed letter-and-digit runs of eight or more.
  [/\b((?:request|req|trace|span|correlation|session|txn|transaction)[_-]?id["']?\s*[:=]\s*)["']?[\w.-]+["']?/gi, '$1<id>'],
  [/\b(?=[a-z_-]*\d)(?=[\d_-]*[a-z])[a-z0-9_-]{8,}\b/gi, '<id>'],
  [/\b\d+(?:\.\d+)?\s?(?:ns|us|\u00b5s|ms|s|sec|secs|seconds|m|min|mins|minutes|h|hours?)\b/gi, '<dur>'],
  [/\d+/g, '<n>'],
];

/**
 * Reduces an error line to what stays the same when it repeats: times, UUIDs, IP addresses and
 * ports, hex ids, request ids, durations and numbers become placeholders; whitespace collapses;
 * lowercase.
 */
export function normaliseErrorLine(line: string): string {
  let text = line.length > NORMALISE_MAX_CHARS ? line.slice(0, NORMALISE_MAX_CHARS) : line;
  for (const [pattern, replacement] of REPLACEMENTS) text = text.replace(pattern, replacement);
  return text.replace(/\s+/g, ' ').trim().toLowerCase();
}

/**
 * What a signature hashes: the normalised line with every kind of variable token alike, so one
 * error logged with an all-digit request id, a hex id, a UUID or a timestamp is one incident.
 */
export function signatureShape(line: string): string {
  return normaliseErrorLine(line).replace(/<(?:n|hex|uuid|id|time)>/g, '<v>');
}

/**
 * A short stable hash (16 hex characters of SHA-256) of a set of error lines: order and repeats
 * do not matter, and only the first {@link SIGNATURE_MAX_LINES} distinct normalised lines (sorted)
 * count. `extra` adds what the lines do not say (`exit:1`, a trigger kind).
 */
export function signatureOf(lines: readonly string[], extra = ''): string {
  const distinct = [...new Set(lines.map(signatureShape).filter((line) => line.length > 0))].sort();
  return sha256Hex(`${extra}\n${distinct.slice(0, SIGNATURE_MAX_LINES).map((line) => `${line}\n`).join('')}`).slice(0, 16);
}

/**
 * The signature of an incident defined by container state rather than by log lines alone:
 * `state` names it (`oom`, `exit:1`, `unhealthy`, `restarting`) and the error lines refine it.
 */
export function stateSignature(state: string, lines: readonly string[] = []): string {
  return signatureOf(lines, `state:${state.trim().toLowerCase()}`);
}
