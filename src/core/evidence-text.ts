/**
 * Reading the text of evidence: finding the line a rule is about and pulling out the names in it
 * (a host and port, a path, a variable) so diagnoses speak about this container, not in general.
 */
import type { Evidence } from './types.js';

/** A line a pattern matched, with the match. */
export interface LineMatch {
  readonly line: string;
  readonly match: RegExpMatchArray;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

/**
 * Every line of text the evidence carries, oldest first: error lines the detector kept that fell
 * out of the tail, the tail itself, then the engine's start error and the health probe output.
 */
export function evidenceLines(evidence: Evidence): string[] {
  const tail = new Set(evidence.logTail);
  const lines = [
    ...evidence.matchedLines.filter((l) => !tail.has(l)),
    ...evidence.logTail,
    evidence.stateError,
    evidence.healthOutput ?? '',
  ];
  return lines.map((l) => l.replace(ANSI, '')).filter((l) => l.trim().length > 0);
}

/** The newest line matching `pattern` (and not `unless`). */
export function findLastLine(lines: readonly string[], pattern: RegExp, unless?: RegExp): LineMatch | undefined {
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = lines[i]!;
    if (unless?.test(line)) continue;
    const match = line.match(pattern);
    if (match) return { line, match };
  }
  return undefined;
}

/** Index of the newest line matching `pattern`, or -1. */
export function lastIndexOf(lines: readonly string[], pattern: RegExp, unless?: RegExp): number {
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = lines[i]!;
    if (pattern.test(line) && !unless?.test(line)) return i;
  }
  return -1;
}

/** A JSON log line shown as its level and message; other lines unchanged. */
export function readableLine(line: string): string {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return trimmed;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (parsed === null || typeof parsed !== 'object') return trimmed;
    const record = parsed as Record<string, unknown>;
    const message = [record.msg, record.message, record.error, record.err, record.exception].find((v) => typeof v === 'string') as string | undefined;
    if (message === undefined) return trimmed;
    const level = [record.level, record.severity, record.lvl].find((v) => typeof v === 'string') as string | undefined;
    return level ? `${level}: ${message}` : message;
  } catch {
    return trimmed;
  }
}

/** A line fit to quote in one sentence: readable, whitespace collapsed, cut to `max` characters. */
export function quoteLine(line: string, max = 200): string {
  const flat = readableLine(line.replace(ANSI, '')).replace(/\s+/g, ' ').trim();
  const cut = flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
  return `"${cut}"`;
}

const HOST_PORT = /((?:\[[0-9a-f:]+\])|(?:\d{1,3}(?:\.\d{1,3}){3})|(?:[a-z][\w-]*(?:\.[\w-]+)*)|(?:::1?)):(\d{2,5})\b/i;

/** The dependency a connection error names, as `host:port`, `host` or a URL's host; undefined when it names none. */
export function extractEndpoint(line: string): string | undefined {
  const patterns: RegExp[] = [
    /(?:ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ECONNRESET)\s+(\S+:\d{2,5})\b/i,
    /dial tcp\s+(\S+:\d{2,5})\b/i,
    /server at "([^"]+)"(?: \([^)]*\))?,? port (\d+)/i,
    /host "([^"]+)"(?: \([^)]*\))? and accepting\s+TCP\/IP connections on port (\d+)/i,
    /connecting to (?:server )?'?([\w.-]+:\d{2,5})'?/i,
    /Can't connect to (?:MySQL )?server on '([^']+)'(?: \((\d+)\))?/i,
    /upstream: "?[a-z]+:\/\/([^/"\s]+)/i,
    /(?:https?|postgres(?:ql)?|mysql|mongodb(?:\+srv)?|redis|amqps?|nats|kafka):\/\/(?:[^@/\s]*@)?([^/"'\s?]+)/i,
  ];
  for (const pattern of patterns) {
    const m = line.match(pattern);
    if (m?.[1]) return m[2] ? `${m[1]}:${m[2]}` : m[1];
  }
  const hostPort = line.match(HOST_PORT);
  // Skip times like 12:30 that HOST_PORT would read as host "12" and port 30.
  if (hostPort?.[1] && !/^\d+$/.test(hostPort[1])) return `${hostPort[1]}:${hostPort[2]}`;
  return undefined;
}

/** The host name a DNS failure names, when it names one. */
export function extractUnresolvedHost(line: string): string | undefined {
  const patterns: RegExp[] = [
    /(?:ENOTFOUND|EAI_AGAIN|EAI_NONAME)\s+([\w.-]+)/i,
    /translate host name "([^"]+)"/i,
    /lookup ([\w.-]+)(?: on [^:]+:\d+)?: (?:no such host|server misbehaving|i\/o timeout|Temporary failure)/i,
    /UnknownHostException: ([\w.-]+)/i,
    /Could not resolve host:? ([\w.-]+)/i,
    /(?:unknown|unresolvable|can(?:'|no)t resolve) host(?:name)?:? '?"?([\w.-]+)/i,
    /Error \d+ connecting to ([\w.-]+):\d+\. (?:Name or service not known|Temporary failure)/i,
  ];
  for (const pattern of patterns) {
    const m = line.match(pattern);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

/** The first absolute path in a line (quoted or bare), when there is one. */
export function extractPath(line: string): string | undefined {
  const quoted = line.match(/['"`\u2018](\/[^'"`\u2019]+)['"`\u2019]/);
  if (quoted?.[1]) return quoted[1];
  const url = line.match(/unix:\/\/(\/[^\s:]+)/);
  if (url?.[1]) return url[1];
  const bare = line.match(/(?:^|[\s=(])(\/[\w.@%+~-]+(?:\/[\w.@%+~-]*)*)/);
  return bare?.[1];
}

/** A wall clock (`03:12:44`, `03:12:44.120`): never a host and port. */
const CLOCK = /\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b/g;

/** The port an address-in-use error names, when it names one. */
export function extractPort(line: string): string | undefined {
  // A line's clock reads as `:44` to the patterns below (PHP-FPM's `[01-Dec-2026 03:12:44]`).
  const text = line.replace(CLOCK, ' ');
  const patterns: RegExp[] = [
    /Port (\d{1,5}) (?:was|is) already in use/i,
    // PHP-FPM `for address '9000'`, Apache `could not bind to address [::]:80`.
    /\baddress ['"]?(?:\S*:)?(\d{1,5})(?=['"\s):,]|$)/i,
    /(?:EADDRINUSE|EACCES|address already in use|permission denied|bind(?:\(\))? to|Bind for|listen tcp\d?)[^\d\n]*?(?:[\w.\]\[:]*):(\d{1,5})\b/i,
    // The last `:port` before the phrase, never a JSON field's `"code":9001`.
    /(?<!"):(\d{2,5})\b(?![:.]\d)(?:(?!:\d)[^\n])*(?:address already in use|already allocated)/i,
    /\bport[ ,=:]+(\d{1,5})\b(?![:.]\d)/i,
  ];
  for (const pattern of patterns) {
    const m = text.match(pattern);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

/** A host name from the first URL in the line, when there is one. */
export function extractUrlHost(line: string): string | undefined {
  return line.match(/[a-z][a-z0-9+.-]*:\/\/(?:[^@/\s]*@)?([^/"'\s:?]+)/i)?.[1];
}


/** `1st`, `2nd`, `3rd`, `4th`, ... `11th`, `21st`. */
export function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  const suffix = ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
  return `${n}${suffix}`;
}
