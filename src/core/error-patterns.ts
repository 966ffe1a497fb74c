/**
 * The detector: which log lines are errors.
 *
 * One combined case-insensitive regex finds candidate words in a line; the rare lines that hold
 * one are then judged in context (the line's own level, counts of zero, settings, identifiers,
 * paths, recovery in the same line). JSON lines with a level field are judged by it. Most lines
 * cost one regex scan and nothing else (`bench/detector.ts` measures it).
 */
import { knownNoise } from './known-noise.js';
import type { Finding, LogLine } from './types.js';

/** The Python Container Doctor's vocabulary, kept so its users see the same words. */
export const PYTHON_DOCTOR_PATTERNS: readonly string[] = [
  'error',
  'exception',
  'traceback',
  'failed',
  'crash',
  'fatal',
  'panic',
  'segmentation fault',
  'out of memory',
  'killed',
  'oomkiller',
  'connection refused',
  'timeout',
  'permission denied',
  'no such file',
  'errno',
];

/**
 * The default vocabulary: the Python doctor's list plus failure phrases that carry none of its
 * words (`write /data: no space left on device`, `bind: address already in use`).
 */
export const DEFAULT_ERROR_PATTERNS: readonly string[] = [
  ...PYTHON_DOCTOR_PATTERNS,
  'failure',
  'no space left on device',
  'address already in use',
  'cannot allocate memory',
  'too many open files',
  'core dumped',
  'unhandled',
  'uncaught',
  'access denied',
  'no such host',
  'could not connect',
  'unable to connect',
  'cannot connect',
  'certificate has expired',
  'deadlock',
  'could not be established',
  'terminated by signal',
];

/**
 * Words in the default vocabulary that name more than the listed text: plurals, tenses, the
 * errno names runtimes print, and the spellings of the kernel and Docker.
 */
const WORD_FORMS: Readonly<Record<string, string>> = {
  error: 'errors?',
  exception: 'exceptions?',
  failed: 'failed',
  failure: 'failures?',
  crash: 'crash(?:e[sd]|ing)?|crashloopbackoff',
  panic: 'panic(?:ked|king|s)?',
  'segmentation fault': 'segmentation[\\s_-]+fault|segfault|sigsegv',
  'out of memory': 'out[\\s_-]?of[\\s_-]?memory',
  oomkiller: 'oom[\\s_-]?kill(?:er|ed)?|oom_kill_process|oom',
  'connection refused': 'connection[\\s_-]+refused|econnrefused',
  timeout: 'time[\\s_-]?outs?|timed[\\s_-]?out|etimedout',
  'permission denied': 'permission[\\s_-]+denied|eacces',
  'no such file': 'no[\\s_-]+such[\\s_-]+file|enoent',
  'core dumped': 'core[\\s_-]+dumped|sigabrt',
  unhandled: 'unhandled',
  'stack overflow': 'stack[\\s_-]?overflow',
};

/** Words that are errors whatever level the line claims (a panic logged at INFO is still a panic). */
const ALWAYS_ERRORS = new Set([
  'traceback',
  'panic',
  'segmentation fault',
  'out of memory',
  'oomkiller',
  'core dumped',
  // Postgres reports a killed backend at its LOG level: `server process (PID 812) was terminated by signal 9: Killed`.
  'terminated by signal',
  // A full disk is a failure at any level: postgres logs `could not fork new process for
  // connection: No space left on device` at LOG while refusing every new connection.
  'no space left on device',
]);

/** Words runtimes glue to a type name: `TypeError`, `IOException`, `psycopg2.OperationalError`. */
const TYPE_SUFFIXES = new Set(['error', 'exception']);

/** A detector compiled once from a vocabulary. */
export interface Detector {
  /** The vocabulary this detector was compiled from, lowercased. */
  readonly patterns: readonly string[];
  /**
   * Judges a batch of lines in order, following stack traces across lines, and marks findings
   * that a later line of the batch reported recovered from.
   */
  detect(lines: readonly LogLine[]): Finding[];
  /** Judges one line on its own: the vocabulary entry (or `level:<value>`) that made it an error, or null. */
  isErrorLine(text: string): string | null;
}

/** Warnings count their words; info, debug and trace lines count only the words in `ALWAYS_ERRORS`. */
export type Level = 'error' | 'warn' | 'info';

interface Verdict {
  /** The vocabulary entry or `level:<value>`; null when the line is not an error. */
  readonly pattern: string | null;
  /** The line reports that something worked again (`reconnected`, `succeeded`). */
  readonly recovery: boolean;
}

const NOT_ERROR: Verdict = { pattern: null, recovery: false };
const RECOVERY: Verdict = { pattern: null, recovery: true };

/** Words that say something worked again; folded into the combined regex as one more group. */
const RECOVERY_SOURCE =
  'succeeded|successfully|recovered|reconnected|re-?established|restored|back[\\s-]online|ready to accept connections';
/** Level tokens that are not vocabulary words; the combined regex finds them, the level parser confirms them. */
const LEVEL_WORDS_SOURCE = '(?:error|fatal|panic|critical|crit|emerg(?:ency)?|alert|severe|eror|err|fail)\\b';
const LEVEL_ANCHORED_SOURCE = '^[EF]\\d{4} |^[EF], \\[|^<[0-3]>';
const LEVEL_SOURCE = `${LEVEL_ANCHORED_SOURCE}|\\b${LEVEL_WORDS_SOURCE}`;

/**
 * Compiles the vocabulary into one detector. `patterns` defaults to {@link DEFAULT_ERROR_PATTERNS};
 * entries are matched case-insensitively as whole words (`killed` does not match `skilled`).
 */
export function compileDetector(patterns: readonly string[] = DEFAULT_ERROR_PATTERNS): Detector {
  const vocabulary = [...new Set(patterns.map((pattern) => pattern.trim().toLowerCase()).filter(Boolean))];
  const forms = vocabulary.map((pattern) => WORD_FORMS[pattern] ?? escapeRegex(pattern).replace(/\s+/g, '[\\s_-]+'));
  // Type suffixes may follow an identifier (`TypeError`); the rest need a word start before them.
  const glued = (i: number): boolean => TYPE_SUFFIXES.has(vocabulary[i]!) || !/^\w/.test(vocabulary[i]!);
  const groups = forms.map((form, i) => `${glued(i) ? '' : '\\b'}(${form})`);
  const recoveryGroup = vocabulary.length + 1;
  const levelGroup = vocabulary.length + 2;
  const matcher = new RegExp([...groups, `\\b(${RECOVERY_SOURCE})\\b`, `(${LEVEL_SOURCE})`].join('|'), 'gi');
  // The same alternatives without capture groups and with one shared word boundary: about twice
  // as fast, and most lines hold no candidate, so they cost this one scan and nothing more.
  const gluedForms = forms.filter((_, i) => glued(i));
  const wordForms = forms.filter((_, i) => !glued(i));
  const scanner = new RegExp(
    [...gluedForms, `\\b(?:${[...wordForms, `(?:${RECOVERY_SOURCE})\\b`, LEVEL_WORDS_SOURCE].join('|')})`, LEVEL_ANCHORED_SOURCE].join('|'),
    'i',
  );

  const judge = (text: string): Verdict => {
    if (text.length === 0) return NOT_ERROR;
    let level: ParsedLevel | null | undefined;
    if (text.charCodeAt(0) === 0x7b /* { */) {
      level = parseJsonLevel(text);
      if (level?.level === 'error') return { pattern: `level:${level.raw}`, recovery: false };
    }
    if (!scanner.test(text)) return NOT_ERROR;
    matcher.lastIndex = 0;
    let best: string | null = null;
    let recovery = false;
    for (let match = matcher.exec(text); match !== null; match = matcher.exec(text)) {
      if (match[recoveryGroup] !== undefined) {
        recovery = true;
        continue;
      }
      // Only lines that hold a candidate pay for finding their level.
      if (level === undefined) level = parseTextLevel(text);
      if (match[levelGroup] !== undefined) continue;
      const start = match.index;
      const end = start + match[0].length;
      const pattern = vocabulary[groupIndex(match, vocabulary.length)]!;
      if (level?.level === 'info' && !ALWAYS_ERRORS.has(pattern)) continue;
      if (!isErrorWord(text, start, end, pattern)) continue;
      if (best === null || isMoreSpecific(pattern, best)) best = pattern;
    }
    if (best !== null && !ALWAYS_ERRORS.has(best) && knownNoise(text)) return NOT_ERROR;
    if (level?.level === 'error') {
      // The line declares itself an error: name the most specific word in it, else its level.
      if (best !== null) return { pattern: best, recovery: false };
      const raw = level.raw.toLowerCase();
      return { pattern: vocabulary.includes(raw) ? raw : `level:${level.raw}`, recovery: false };
    }
    if (best === null) return recovery ? RECOVERY : NOT_ERROR;
    // `connection failed, retrying... succeeded`: the line reports its own recovery.
    if (recovery && !ALWAYS_ERRORS.has(best)) return RECOVERY;
    return { pattern: best, recovery: false };
  };

  const detect = (lines: readonly LogLine[]): Finding[] => {
    const findings: Finding[] = [];
    const indexes: number[] = [];
    let lastRecovery = -1;
    // Per stream: inside a Python traceback, waiting for the exception line that ends it.
    const inTraceback = { stdout: false, stderr: false };
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const text = line.text;
      const first = text.charCodeAt(0);
      if (first === 0x20 || first === 0x09) {
        // Indented lines inside a trace are its frames and source excerpts: context, not findings.
        if (inTraceback[line.stream] || STACK_FRAME.test(text)) continue;
      }
      const verdict = judge(text);
      let pattern = verdict.pattern;
      if (inTraceback[line.stream]) {
        inTraceback[line.stream] = PYTHON_TRACE_CONTINUES.test(text);
        // The first unindented line after the frames names the exception (`KeyError: 'id'`).
        if (pattern === null && !inTraceback[line.stream] && text.trim().length > 0) pattern = 'traceback';
      }
      if (pattern !== null && TRACEBACK_HEADER.test(text)) inTraceback[line.stream] = true;
      if (pattern === null) {
        if (verdict.recovery) lastRecovery = i;
        continue;
      }
      findings.push(line.ts === undefined ? { line: text, stream: line.stream, pattern } : { line: text, stream: line.stream, pattern, ts: line.ts });
      indexes.push(i);
    }
    if (lastRecovery === -1) return findings;
    return findings.map((finding, k) => (indexes[k]! < lastRecovery ? { ...finding, recovered: true } : finding));
  };

  return {
    patterns: vocabulary,
    detect,
    isErrorLine: (text) => judge(text).pattern,
  };
}

/**
 * Frames of traces: JavaScript (`at fn (file.js:1:2)`, `at file.js:1:2`), Java (`at a.B.c(B.java:9)`,
 * `... 12 more`), Python (`File "x.py", line 3`) and Go (`/app/main.go:12 +0x25`).
 */
const STACK_FRAME = /^\s+(?:at\s+(?:async\s+|new\s+)?(?:\S+\s+\(|[\w$.<>/]+\(|\S+:\d+:\d+\)?$)|File\s"|\.\.\.\s\d+\s(?:more|common)|\S+\.go:\d+)/;
const TRACEBACK_HEADER = /Traceback \(most recent call last\)/;
/** Inside a Python traceback: indented frames, or the chained-exception notes between tracebacks. */
const PYTHON_TRACE_CONTINUES = /^(?:\s|Traceback \(most|$)/;

/** Words that say only that something went wrong, not what. */
const GENERIC = new Set(['error', 'exception', 'failed', 'failure', 'fatal', 'errno', 'killed', 'crash', 'unhandled', 'uncaught']);

/** `no space left on device` says more than `errno`, `timeout` more than `exception`. */
function isMoreSpecific(pattern: string, than: string): boolean {
  const generic = GENERIC.has(pattern);
  if (generic !== GENERIC.has(than)) return !generic;
  return pattern.length > than.length;
}

function groupIndex(match: RegExpExecArray, count: number): number {
  for (let i = 1; i <= count; i++) if (match[i] !== undefined) return i - 1;
  return 0;
}

const WORD_CHAR = /\w/;
const ZERO_AFTER =
  /^s?(?:[\s_-]*(?:rate|count|total|ratio|num|number|found|occurred|reported))?["']?\s*[:=]?\s*(?:0+(?:\.0+)?%?(?![\w.])|(?:none|null|nil|false|no|\[\]|\{\}|""|''|-)(?=\s*(?:$|[,;}\])])))/i;
const ZERO_BEFORE = /(?:^|[^\w.])(?:0|no|none|zero|without|non|never|any)\s+(?:[a-z]+\s+)?$/i;
/** Advice about what could happen: `may fail`, `can also cause failures`, `could lead to errors`. */
const HYPOTHETICAL_BEFORE = /(?:^|[^\w])(?:may|might|could|can|would)(?:\s+(?:also|not|still|then|otherwise))?(?:\s+(?:cause|lead\s+to|result\s+in|produce|trigger))?\s+$/i;
const BENIGN_BEFORE =
  /(?:^|[^\w])(?:on|if|for|ignore|ignoring|ignored|suppress|suppressing|handle|handling|catch|catching|log|report|expected|simulated?)\s+(?:an?\s+|the\s+)?$/i;
const BENIGN_AFTER =
  /^s?[\s_-]*(?:handlers?|handling|boundary|boundaries|pages?|reporter|reporting|tracking|tracker|listeners?|middleware|hooks?|callbacks?|budget|threshold|policy|mode|strategy|injection|simulation|metrics?|reports?|logging(?!\s+in\b))\b/i;
const SETTING_AFTER = /^s?["']?\s*[:=]\s*["']?\d/;
const TYPE_CONTINUATION = /^(?:Error|Exception)/;

/**
 * Is the vocabulary word at [start, end) an error in this line, or a count of zero, a setting,
 * an identifier, a path, a flag?
 */
function isErrorWord(text: string, start: number, end: number, pattern: string): boolean {
  const previous = start > 0 ? text[start - 1]! : '';
  const next = end < text.length ? text[end]! : '';
  // `TimeoutError`, `java.lang.OutOfMemoryError`, `SocketTimeoutException`: a type named for the error.
  const typeName = next !== '' && TYPE_CONTINUATION.test(text.slice(end, end + 9));
  // `ErrorBoundary`, `error_count`, `failedJobs` are names.
  if (next !== '' && WORD_CHAR.test(next) && !typeName) return false;
  const capital = text[start] !== text[start]!.toLowerCase();
  if (previous !== '' && WORD_CHAR.test(previous)) {
    // Glued to a name: only type names count (`TypeError`, `ReadTimeoutError`), not `skilled`.
    if (previous === '_' || !capital || !(typeName || TYPE_SUFFIXES.has(pattern))) return false;
  } else if (typeName && capital) {
    return true;
  } else if (previous === '/') {
    return false; // a path: `/api/errors`, `/var/log/nginx/error.log`
  } else if ((previous === '.' || previous === '-') && start >= 2 && /[\w-]/.test(text[start - 2]!)) {
    return false; // a member or a compound: `logger.error`, `errors.New`, `--on-error`, `non-fatal`
  }
  const after = text.slice(end, end + 32);
  if (/^[.-][a-z]/.test(after)) return false; // `error.log`, `error-free`, `timeout-ms`
  if (ZERO_AFTER.test(after) || BENIGN_AFTER.test(after)) return false;
  if (pattern === 'timeout' && SETTING_AFTER.test(after)) return false;
  const before = text.slice(Math.max(0, start - 24), start);
  if (ZERO_BEFORE.test(before) || BENIGN_BEFORE.test(before) || HYPOTHETICAL_BEFORE.test(before)) return false;
  return true;
}

/** A level a log line declares, reduced to what the detector distinguishes. */
export interface ParsedLevel {
  readonly level: Level;
  /** The level as written (`ERROR`, `50`, `E`). */
  readonly raw: string;
}

const LEVEL_WORDS: Readonly<Record<string, Level>> = {
  error: 'error',
  err: 'error',
  'err!': 'error',
  eror: 'error',
  fatal: 'error',
  critical: 'error',
  crit: 'error',
  panic: 'error',
  dpanic: 'error',
  emerg: 'error',
  emergency: 'error',
  alert: 'error',
  severe: 'error',
  fail: 'error',
  e: 'error',
  f: 'error',
  warn: 'warn',
  warning: 'warn',
  w: 'warn',
  info: 'info',
  information: 'info',
  informational: 'info',
  notice: 'info',
  note: 'info',
  debug: 'info',
  dbug: 'info',
  trace: 'info',
  trce: 'info',
  verbose: 'info',
  silly: 'info',
  http: 'info',
  fine: 'info',
  finer: 'info',
  finest: 'info',
  config: 'info',
  log: 'info',
  system: 'info',
  detail: 'info',
  hint: 'info',
  statement: 'info',
  context: 'info',
  i: 'info',
  d: 'info',
  d1: 'info',
  d2: 'info',
  d3: 'info',
  d4: 'info',
  d5: 'info',
};

function classify(raw: string): ParsedLevel | null {
  if (/^\d+$/.test(raw)) {
    // pino and bunyan: 10 trace ... 40 warn, 50 error, 60 fatal.
    const value = Number(raw);
    if (value >= 50) return { level: 'error', raw };
    if (value >= 40) return { level: 'warn', raw };
    if (value >= 10) return { level: 'info', raw };
    return null;
  }
  const level = LEVEL_WORDS[raw.toLowerCase()];
  return level === undefined ? null : { level, raw };
}

/** `level`, `severity` (GCP), `lvl`, `levelname` (Python), `log.level` (ECS), `@l` (Serilog), `s` (MongoDB). */
const JSON_LEVEL = /"(?:level|severity|lvl|levelname|log\.level|log_level|loglevel|@l|@level|s)"\s*:\s*(?:"([A-Za-z0-9!]{1,16})"|(\d{1,3})(?![\d.]))/gi;

/** The level of a JSON log line, or null when it has none we know. */
export function parseJsonLevel(text: string): ParsedLevel | null {
  JSON_LEVEL.lastIndex = 0;
  for (let match = JSON_LEVEL.exec(text); match !== null; match = JSON_LEVEL.exec(text)) {
    const level = classify(match[1] ?? match[2]!);
    if (level !== null) return level;
  }
  return null;
}

const GLOG = /^([IWEF])\d{4} \d\d:\d\d:\d\d/; // klog/glog: `E1123 12:00:00.000000 1 main.go:42] ...`
const RUBY = /^([DIWEFU]), \[\d{4}-/; // Ruby Logger (Rails): `E, [2024-01-01T00:00:00.000000 #1] ERROR -- : ...`
const SYSLOG_PRIORITY = /^<([0-7])>/; // sd-daemon style `<3>message`
const REDIS = /^\d+:[MSCX] \d{1,2} [A-Z][a-z]{2} \d{4} [\d:.]+ ([.\-*#]) /; // `#` warning, `*` notice, `-` verbose, `.` debug
const DOTNET = /^(info|warn|fail|crit|dbug|trce): /; // Microsoft.Extensions.Logging console
const LOWER_PREFIX = /^(error|warn|warning|info|debug|verbose|silly|http)(?::|\s+\|)/; // winston's simple format
const LOGFMT = /(?:^|\s)(?:level|lvl|severity|loglevel)=["']?([A-Za-z]+!?|\d+)/;
const TOKEN =
  /(?:^|[\s[(<|:,;])(EMERG(?:ENCY)?|ALERT|CRIT(?:ICAL)?|FATAL|PANIC|SEVERE|ERROR|ERR!?|EROR|WARN(?:ING)?|NOTICE|NOTE|INFO|DEBUG|TRACE|VERBOSE|FINE(?:R|ST)?|LOG|DETAIL|HINT|STATEMENT|CONTEXT)(?=$|[\s\]):>|,;/!-])|\[(?:[\w]+:)?(emerg|alert|crit|critical|error|err|warn|warning|notice|note|info|debug|trace|Error|Warning|Note|System|Info|Debug|Critical|Fatal|Warn)\]/;
/** Level tokens further into the line than this belong to the message, not the prefix. */
const LEVEL_HEAD_CHARS = 96;

/** The level a plain-text line declares in its prefix, or null when it declares none. */
export function parseTextLevel(text: string): ParsedLevel | null {
  const fixed = GLOG.exec(text) ?? RUBY.exec(text) ?? DOTNET.exec(text) ?? LOWER_PREFIX.exec(text);
  if (fixed) return classify(fixed[1]!);
  const priority = SYSLOG_PRIORITY.exec(text);
  if (priority) {
    const value = Number(priority[1]);
    return { level: value <= 3 ? 'error' : value === 4 ? 'warn' : 'info', raw: priority[0] };
  }
  const redis = REDIS.exec(text);
  if (redis) return { level: redis[1] === '#' ? 'warn' : 'info', raw: redis[1]! };
  const logfmt = LOGFMT.exec(text);
  if (logfmt) {
    const level = classify(logfmt[1]!);
    if (level) return level;
  }
  const token = TOKEN.exec(text);
  if (token && token.index < LEVEL_HEAD_CHARS) return classify(token[1] ?? token[2]!);
  return null;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
