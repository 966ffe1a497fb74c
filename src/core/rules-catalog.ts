/**
 * The built-in catalog of known container failures. Works with no API key: evidence in, the
 * original Container Doctor's diagnosis fields out. Entries are tried in priority order and the
 * first that matches wins, so the more fundamental explanation is listed first (an OOM kill
 * before the SIGKILL it causes, a full disk before the connection errors it cascades into).
 */
import { DEFAULT_CRASH_LOOP, DEFAULT_OOM_LEAK } from './container-policy.js';
import {
  evidenceLines,
  extractEndpoint,
  extractPath,
  extractPort,
  extractUnresolvedHost,
  extractUrlHost,
  findLastLine,
  formatBytes,
  lastIndexOf,
  ordinal,
  quoteLine,
  type LineMatch,
} from './evidence-text.js';
import { DAY_MS, HOUR_MS, countWithin, formatDuration, includeTime, incidentsWithRule, isStaleExit, parseTime } from './history.js';
import type { ContainerFacts, ContainerHistory, Diagnosis, Evidence, RulesVerdict, Severity, Trigger } from './types.js';

/** What the catalog judges. */
export interface RulesInput {
  readonly facts: ContainerFacts;
  readonly evidence: Evidence;
  readonly trigger: Trigger;
  readonly history: ContainerHistory;
  readonly now: number;
}

/** The diagnosis fields an entry writes; `source` and `rule` are added by the catalog. */
export type DiagnosisFields = Omit<Diagnosis, 'source' | 'rule' | 'model'>;

/** Derived once per diagnosis and shared by every entry. */
export interface RuleContext {
  readonly input: RulesInput;
  readonly name: string;
  readonly running: boolean;
  /** The container is down (or between Docker's restarts) after an exit: exit-code rules apply. */
  readonly exited: boolean;
  readonly exitCode: number | null;
  readonly lines: readonly string[];
  /** Deaths in the last 24 h, counting this one. */
  readonly deaths24h: number;
}

/** What `match` found: the line it is about, if any. Truthy means the entry applies. */
export interface RuleMatch {
  readonly line?: string;
  /** The pattern's first capture group (a variable name, say), when it has one. */
  readonly captured?: string;
}

/** One known failure class. */
export interface CatalogEntry {
  readonly id: string;
  /**
   * A restart cannot fix this class: the cause lives outside the process (disk, permissions, the
   * image, the container's configuration), so restarting only repeats the failure.
   */
  readonly restartCannotFix: boolean;
  /** The entry explains the failure specifically; false for fallbacks, which are worth a second opinion. */
  readonly settled: boolean;
  match(ctx: RuleContext): RuleMatch | undefined;
  build(ctx: RuleContext, found: RuleMatch): DiagnosisFields;
}

const SIGNAL_NAMES: Readonly<Record<number, string>> = {
  1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 5: 'SIGTRAP', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE',
  9: 'SIGKILL', 10: 'SIGUSR1', 11: 'SIGSEGV', 12: 'SIGUSR2', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM',
};

// ---------------------------------------------------------------------------------------------
// Text patterns. Kept broad across runtimes (Node, Python, Go, JVM, libc, shells, databases).

const MEMORY_LINE = /out of memory|heap|OutOfMemory|MemoryError|Cannot allocate memory|\bKilled\b|oom/i;
const APP_OOM = /JavaScript heap out of memory|OutOfMemoryError|\bMemoryError\b|runtime: out of memory|Cannot allocate memory|\bENOMEM\b|std::bad_alloc|\bout of memory\b|memory allocation failed/i;
const COMMAND_NOT_FOUND = /executable file not found|command not found|exec: "[^"]*": (?:stat [^:]+: )?no such file|exec [^\s:]+: no such file or directory|^(?:\/bin\/)?(?:sh|bash|ash|dash|zsh)(?::| line \d+:| \d+:)? [^:]+: (?:not found|No such file or directory)/i;
const NOT_EXECUTABLE = /exec format error|exec [^\s:]+: permission denied|exec: "[^"]*": permission denied|cannot execute binary file|cannot execute: Permission denied|Permission denied.*OCI runtime|(?:sh|bash)(?::| line \d+:| \d+:) [^:]+: Permission denied$/i;
const SEGFAULT = /segmentation fault|\bSIGSEGV\b|\bsegfault\b|signal 11\b/i;
const ABORT = /\bSIGABRT\b|Aborted \(core dumped\)|abort\(\) called|terminate called after throwing|core dumped/i;
const DISK_FULL = /no space left on device|\bENOSPC\b|\[Errno 28\]|disk quota exceeded|\bEDQUOT\b|database or disk is full|not enough space on the disk|could not extend file|\bdisk (?:is )?full\b|insufficient (?:disk|storage) space/i;
/** ENOSPC also reports inotify's watch limit (a kernel setting, not a full disk). */
const DISK_FULL_NOT = /file watchers|inotify|max_user_watches/i;
const READ_ONLY_FS = /read-only file system|\bEROFS\b|\[Errno 30\]/i;
const PERMISSION_DENIED = /\bEACCES\b|\bEPERM\b|\[Errno 13\]|\[Errno 1\] Operation not permitted|permission denied|operation not permitted|access (?:to the path .* )?is denied|AccessDeniedException/i;
/** Permission words that are about a database privilege or a login, not a file. */
/** Words that make a bare "permission denied" about a file ("error loading the DB: Permission denied"). */
const FILE_ACCESS = /\b(?:open|opening|read|reading|write|writing|creat\w*|load\w*|sav\w*|mkdir|file|director\w*|folder|volume|mount\w*|chown|chmod|lock\w*|DB|database|data)\b/i;
const PERMISSION_NOT_FILE = /permission denied for (?:table|relation|schema|database|sequence|function|view|column|language|tablespace|large object)|permission denied \(publickey|authentication failed|access denied for user/i;
const TLS_EXPIRED = /certificate has expired|certificate (?:is )?expired|CERT_HAS_EXPIRED|CertificateExpired|ERR_CERT_DATE_INVALID|certificate is not yet valid|certificate expired/i;
const ADDRESS_IN_USE = /\bEADDRINUSE\b|address already in use|port is already allocated|\bAddress in use\b|Port \d+ (?:was|is) already in use|Only one usage of each socket address|BindException/i;
const POOL_EXHAUSTED = /remaining connection slots are reserved|too many connections|too many clients|pool (?:is )?exhausted|Timeout acquiring a connection|Connection is not available, request timed out|QueuePool limit of size|Timeout waiting for idle object|could not (?:obtain|acquire|get) (?:a )?connection from (?:the )?pool|no more connections allowed|connection pool (?:is )?(?:full|exhausted)|pool timeout|ConnectionPoolTimeout|timeout exceeded when trying to connect/i;
/** The code or a library it needs is missing from the image: the same image fails the same way. */
const MISSING_DEPENDENCY = /ModuleNotFoundError|ImportError: (?:cannot import|No module named)|Cannot find module|Cannot find package|ERR_MODULE_NOT_FOUND|NoClassDefFoundError|ClassNotFoundException|LoadError: cannot load such file|error while loading shared libraries|cannot open shared object file|undefined symbol: |Could not load file or assembly|Class "[^"]+" not found|uninitialized constant/i;
const SHARED_LIBRARY = /shared librar|shared object/i;
/** Code that cannot run at all. A JSON SyntaxError is bad input at run time, not bad code. */
const CODE_ERROR = /\b(?:SyntaxError|IndentationError|TabError)\b|\bParseError: syntax error|PHP Parse error|compilation (?:error|failed)|cannot find symbol/i;
const CODE_ERROR_NOT = /JSON|Unexpected token < in|Unexpected end of (?:JSON )?input/i;
/** A configuration the program rejects; re-reading the same file on restart rejects it again. */
const INVALID_CONFIG = /unknown directive|directive is not allowed here|directive is duplicate|invalid number of arguments in|configuration file \S+ test failed|yaml: line \d+|mapping values are not allowed|could not find expected ':'|(?:error|failed to|cannot|unable to) (?:parse|parsing|load|loading|read|reading|decode|decoding) (?:the )?(?:config|configuration|settings|\S+\.(?:ya?ml|json|toml|ini|conf|properties))|invalid (?:config|configuration)\b|configuration (?:file )?(?:is )?invalid|unknown (?:flag|shorthand flag|option)[: ]|flag provided but not defined|unrecognized (?:option|argument|arguments)|Unrecognized VM option|Invalid (?:value|setting) for (?:option|setting|parameter|configuration)/i;
/** Credentials a dependency rejects: the container keeps sending the same ones after a restart. */
const BAD_CREDENTIALS = /password authentication failed|Access denied for user|Login failed for user|authentication failed for user|(?:invalid|incorrect|wrong) (?:username or password|password|credentials)|WRONGPASS|NOAUTH Authentication required|SASL authentication failed|Authentication failed\.? \(?(?:bad|invalid) (?:credentials|auth)|AuthenticationFailed|invalid_client|InvalidAccessKeyId|SignatureDoesNotMatch|The security token included in the request is invalid/i;
/** The database schema does not match the code: a migration has not run. */
const SCHEMA_MISMATCH = /relation "[^"]+" does not exist|Table '[^']+' doesn't exist|no such table|column "?[^" ]+"? (?:of relation "[^"]+" )?does not exist|Unknown column '[^']+'|pending migrations?|migrations? (?:are )?pending|Undefined table|database "[^"]+" does not exist|Unknown database '[^']+'/i;
const DNS_FAILURE = /could not translate host name|host not found in upstream|getaddrinfo (?:ENOTFOUND|EAI_AGAIN)|\bENOTFOUND\b|\bEAI_AGAIN\b|Name or service not known|no such host|Temporary failure in name resolution|UnknownHostException|nodename nor servname provided|Could not resolve host|Name does not resolve|server misbehaving/i;
const CONNECTION_REFUSED = /\bECONNREFUSED\b|connection refused|actively refused|could not connect to server|Can't connect to (?:local )?MySQL server|Error 111 connecting|\[Errno 111\]|\(111: Connection refused\)|ConnectException|EHOSTUNREACH|No route to host/i;
const DEPENDENCY_TIMEOUT = /\bETIMEDOUT\b|connect(?:ion)? timed out|timed out (?:while )?connecting|connection timeout|i\/o timeout|context deadline exceeded|deadline exceeded|Read timed out|SocketTimeoutException|timeout expired|operation timed out|(?:request|upstream|query|read|write|socket|gateway|call) timed out|\bTimeout(?:Error|Exception)\b/i;
/** Lines that look like a transient hiccup. */
const TRANSIENT = /timed? ?out|timeout|\bETIMEDOUT\b|deadline exceeded|\bECONNRESET\b|\bECONNREFUSED\b|connection (?:refused|reset|lost|closed)|temporarily unavailable|\bEAI_AGAIN\b|temporary failure|\b50[234]\b|unreachable|retrying|back(?:ing)? ?off/i;
/** Lines that say the hiccup is over. */
const RECOVERED = /\b(?:recovered|reconnected|re-?established|connection (?:restored|established|ok)|connected (?:to|successfully)|successfully (?:connected|reconnected)|succeeded|success(?:ful)?\b|back (?:online|up|to normal)|resumed|restored|ready to accept connections|is healthy|retry (?:ok|succeeded))/i;

/**
 * Missing configuration. Each pattern's first group, when present, is the missing name. Python's
 * KeyError counts only for environment-style names (upper case) so `KeyError: 'id'` in app code
 * is not mistaken for configuration.
 */
const MISSING_CONFIG: readonly RegExp[] = [
  /KeyError: '([A-Z][A-Z0-9_]*)'/,
  /environment variable:? "?'?\$?([A-Za-z_]\w*)"?'? (?:is )?(?:not set|not defined|missing|required|unset|empty|undefined)/i,
  /(?:missing|required|undefined|unset) (?:required )?env(?:ironment)?(?: var(?:iable)?)?s?:? "?'?\$?([A-Za-z_]\w*)/i,
  /\b([A-Z][A-Z0-9_]{2,})\b (?:env(?:ironment)? var(?:iable)? )?(?:is )?(?:not set|must be set|must be defined|must be provided|is required|required but not set|is missing|undefined)/,
  /([A-Za-z_]\w*): (?:parameter not set|parameter null or not set|unbound variable)/,
  /missing required (?:config(?:uration)?|setting|option|key|field|property)s?:? "?'?([\w.-]+)/i,
  /Could not resolve placeholder '([^']+)'/,
  /(?:config(?:uration)?|settings) file [^\n]*(?:not found|missing|does not exist|no such file)/i,
  /validation errors? for \w*(?:Settings|Config)\b/,
  /ImproperlyConfigured: (?:Set the )?([A-Z][A-Z0-9_]+)?/,
  /missing required config/i,
  /undefined env/i,
];

const LOG_LEVELS = new Set(['ERROR', 'WARN', 'WARNING', 'INFO', 'DEBUG', 'FATAL', 'TRACE', 'CRITICAL', 'NOTICE']);

// ---------------------------------------------------------------------------------------------
// Helpers shared by entries.

function lineHit(ctx: RuleContext, pattern: RegExp, unless?: RegExp): RuleMatch | undefined {
  const hit = findLastLine(ctx.lines, pattern, unless);
  return hit ? fromLine(hit) : undefined;
}

function fromLine(hit: LineMatch): RuleMatch {
  return hit.match[1] !== undefined ? { line: hit.line, captured: hit.match[1] } : { line: hit.line };
}

function quoteHit(found: RuleMatch, prefix = ' The log says '): string {
  return found.line ? `${prefix}${quoteLine(found.line)}.` : '';
}

/** The line that best stands for the failure: the newest error line the detector kept, else the newest output. */
function topErrorLine(ctx: RuleContext): string | undefined {
  const { matchedLines, logTail, stateError } = ctx.input.evidence;
  if (stateError.trim()) return stateError;
  return matchedLines[matchedLines.length - 1] ?? [...logTail].reverse().find((l) => l.trim().length > 0);
}

function exitPhrase(ctx: RuleContext): string {
  if (ctx.input.evidence.status === 'restarting') return `keeps exiting (last exit code ${ctx.exitCode ?? 'unknown'}; Docker restart count ${ctx.input.evidence.restartCount})`;
  if (ctx.input.evidence.status === 'created') return `could not start${ctx.exitCode !== null && ctx.exitCode !== 0 ? ` (exit code ${ctx.exitCode})` : ''}`;
  if (ctx.running) return 'is still running';
  return `exited with code ${ctx.exitCode ?? 'unknown'}`;
}

/** How a sentence about the failure starts: `web exited with code 1 because`, or `web is running but`. */
function lead(ctx: RuleContext, joiner: ' because' | ':' | ' after'): string {
  return ctx.running ? `${ctx.name} is running but` : `${ctx.name} ${exitPhrase(ctx)}${joiner}`;
}

/**
 * Earlier incidents of the same class in the window (each remembered signature counts its
 * repeats). For an exit, a memory last seen after the exit already holds the judgement of this
 * very exit (a second look, `doctor diagnose`), which is not "before".
 */
function seenBefore(ctx: RuleContext, id: string, windowMs = DAY_MS): number {
  const finished = ctx.exited ? parseTime(ctx.input.evidence.finishedAt) : null;
  return incidentsWithRule(ctx.input.history, id, ctx.input.now, windowMs).reduce((sum, m) => {
    const judgedThisExit = finished !== null && (parseTime(m.lastSeen) ?? 0) >= finished;
    return sum + (judgedThisExit ? m.count - 1 : m.count);
  }, 0);
}

function recurrenceNote(ctx: RuleContext, id: string): string {
  const before = seenBefore(ctx, id);
  if (before > 0) return ` The same failure was seen ${before} time${before === 1 ? '' : 's'} before in the last 24 h.`;
  if (ctx.exited && ctx.deaths24h >= 2) return ` It has died ${ctx.deaths24h} times in the last 24 h.`;
  return '';
}

function isRecurring(ctx: RuleContext, id: string): boolean {
  return seenBefore(ctx, id) > 0 || (ctx.exited && ctx.deaths24h >= 2);
}

function impactOf(ctx: RuleContext): string {
  const { evidence } = ctx.input;
  if (ctx.running && evidence.health === 'unhealthy') return `${ctx.name} is up but failing its health check: requests to it are likely failing.`;
  if (ctx.running) return `${ctx.name} is still up; some requests or jobs handled by it may be failing.`;
  if (evidence.status === 'restarting') return `${ctx.name} is flapping: it is unavailable most of the time and everything that depends on it fails intermittently.`;
  const policy = evidence.restartPolicy;
  const comeback = policy === 'always' || policy === 'unless-stopped' || (policy === 'on-failure' && ctx.exitCode !== 0)
    ? ` Docker's restart policy (${policy}) may bring it back.`
    : '';
  return `${ctx.name} is down: whatever it serves is unavailable until it runs again.${comeback}`;
}

function fields(ctx: RuleContext, id: string, f: Omit<DiagnosisFields, 'estimated_impact' | 'likely_recurring'> & Partial<Pick<DiagnosisFields, 'estimated_impact' | 'likely_recurring'>>): DiagnosisFields {
  return {
    ...f,
    likely_recurring: f.likely_recurring ?? isRecurring(ctx, id),
    estimated_impact: f.estimated_impact ?? impactOf(ctx),
  };
}

/** Fields for classes a restart cannot fix: always high severity and never restart-safe. */
function unfixable(ctx: RuleContext, f: { root_cause: string; suggested_fix: string; config_suggestions: string[] }): DiagnosisFields {
  return fields(ctx, '', { ...f, severity: 'high', auto_restart_safe: false, likely_recurring: true });
}

function oomTime(ctx: RuleContext): string {
  const { evidence, trigger } = ctx.input;
  return (ctx.running ? null : evidence.finishedAt) ?? trigger.at;
}

function oomCount(ctx: RuleContext): number {
  return countWithin(includeTime(ctx.input.history.ooms, oomTime(ctx)), ctx.input.now, DEFAULT_OOM_LEAK.windowMs);
}

// ---------------------------------------------------------------------------------------------
// The catalog, in priority order.

export const RULES_CATALOG: readonly CatalogEntry[] = [
  {
    id: 'oom-kill',
    restartCannotFix: false,
    settled: true,
    match(ctx) {
      const { evidence, trigger, history } = ctx.input;
      // The die event carries no OOM flag; an `oom` event recorded moments before the exit does.
      const finished = parseTime(evidence.finishedAt);
      const oomJustBefore = ctx.exitCode === 137 && finished !== null && history.ooms.some((t) => Math.abs((parseTime(t) ?? 0) - finished) < 60_000);
      if (!evidence.oomKilled && trigger.kind !== 'oom' && !oomJustBefore) return undefined;
      return lineHit(ctx, MEMORY_LINE) ?? {};
    },
    build(ctx, found) {
      const limit = ctx.input.facts.memoryLimit;
      const count = oomCount(ctx);
      const leak = count >= DEFAULT_OOM_LEAK.ooms;
      const nth = count >= 2 ? ` This is the ${ordinal(count)} OOM kill in 24 h${leak ? ', which points to a memory leak or a limit set too low for the workload' : ''}.` : '';
      const limitText = limit > 0 ? `its memory limit of ${formatBytes(limit)}` : 'the memory of the host (it has no memory limit)';
      const what = ctx.running
        ? `A process in ${ctx.name} was killed by the kernel OOM killer for exceeding ${limitText}; the container is still running.`
        : `${ctx.name} was killed by the kernel OOM killer (exit ${ctx.exitCode ?? 137}, OOMKilled) after exceeding ${limitText}.`;
      return fields(ctx, 'oom-kill', {
        root_cause: `${what}${nth}${quoteHit(found, ' Last memory-related line: ')}`,
        severity: 'high',
        auto_restart_safe: !leak,
        suggested_fix: leak
          ? 'Stop restarting and find the leak: watch memory over time (docker stats), take a heap profile, then fix it or raise the limit to what the workload really needs.'
          : 'Restart it to restore service; if it happens again, raise the memory limit or reduce the memory the process uses.',
        config_suggestions: limit > 0
          ? [
              `Raise the memory limit above ${formatBytes(limit)} if the workload needs it (docker run --memory, compose deploy.resources.limits.memory).`,
              'Keep the runtime heap below the container limit (Node --max-old-space-size, JVM -XX:MaxRAMPercentage=75, GOMEMLIMIT).',
            ]
          : [
              'Set a memory limit (docker run --memory) so one container cannot exhaust the host and an OOM kill points at the right process.',
              'Keep the runtime heap bounded (Node --max-old-space-size, JVM -XX:MaxRAMPercentage, GOMEMLIMIT).',
            ],
        likely_recurring: count >= 2 || seenBefore(ctx, 'oom-kill') > 0,
      });
    },
  },
  {
    id: 'manual-stop',
    restartCannotFix: false,
    settled: true,
    match: (ctx) => (ctx.input.evidence.stoppedByUser && !ctx.running ? {} : undefined),
    build: (ctx) =>
      fields(ctx, 'manual-stop', {
        root_cause: `${ctx.name} was stopped on purpose: a stop or kill request (docker stop/kill, compose, or another tool) came before it exited with code ${ctx.exitCode ?? 'unknown'}.`,
        severity: 'low',
        auto_restart_safe: false,
        suggested_fix: `Nothing to fix. Start it again when it is wanted (docker start ${ctx.name}).`,
        config_suggestions: [],
        likely_recurring: false,
        estimated_impact: `${ctx.name} is down by choice; anything depending on it is unavailable until it is started.`,
      }),
  },
  {
    id: 'completed',
    restartCannotFix: false,
    settled: true,
    match: (ctx) => (ctx.exited && ctx.exitCode === 0 && ctx.input.evidence.status !== 'restarting' ? {} : undefined),
    build: (ctx) =>
      fields(ctx, 'completed', {
        root_cause: `${ctx.name} exited with code 0: its main process finished normally (a one-off job or a command that returned).`,
        severity: 'low',
        auto_restart_safe: false,
        suggested_fix: 'Nothing to fix. If it is meant to keep running, its command is returning early: check its entrypoint and command.',
        config_suggestions: [],
        likely_recurring: false,
        estimated_impact: `${ctx.name} is not running, as a finished job would not be.`,
      }),
  },
  {
    // Docker's convention: 127 when the command cannot be found (also the shell's own code).
    id: 'command-not-found',
    // The image or the command line is wrong; a restart runs the same missing command.
    restartCannotFix: true,
    settled: true,
    match(ctx) {
      const hit = lineHit(ctx, COMMAND_NOT_FOUND, SHARED_LIBRARY);
      if (hit) return hit;
      // The engine also reports 127 for other start errors that say "no such file" (a missing
      // mount source); those carry a State.Error and are judged by `start-failed`. The dynamic
      // loader exits 127 too when a shared library is missing: `missing-dependency` says that.
      if (lineHit(ctx, MISSING_DEPENDENCY)) return undefined;
      return ctx.exited && ctx.exitCode === 127 && !ctx.input.evidence.stateError.trim() ? {} : undefined;
    },
    build(ctx, found) {
      const line = found.line ?? '';
      const command = line.match(/exec: "([^"]+)"/)?.[1]
        ?? line.match(/exec ([^\s:]+): no such file/)?.[1]
        ?? line.match(/:\s*([^\s:]+): (?:command )?not found/)?.[1]
        ?? line.match(/([^\s:]+): command not found/)?.[1];
      const which = command ? `the command "${command}"` : 'its command';
      const scriptHint = /no such file or directory/i.test(line)
        ? ' When the file does exist, this is usually a script whose interpreter is missing (#!/bin/bash on Alpine) or that has Windows line endings.'
        : '';
      return unfixable(ctx, {
        root_cause: `${lead(ctx, ' because')} ${which} was not found in the image or on its PATH.${quoteHit(found)}${scriptHint}`,
        suggested_fix: `Fix the image or the command: check the entrypoint/command spelling, that ${command ?? 'the program'} is installed in the image, and PATH. Then re-create the container.`,
        config_suggestions: ['Run the command in the image once by hand (docker run --rm --entrypoint sh IMAGE -c "command -v NAME") to confirm it exists.'],
      });
    },
  },
  {
    // Docker's convention: 126 when the command exists but cannot be executed.
    id: 'not-executable',
    // A missing execute bit, wrong CPU architecture or a noexec mount survive any restart.
    restartCannotFix: true,
    settled: true,
    match(ctx) {
      const hit = lineHit(ctx, NOT_EXECUTABLE);
      if (hit) return hit;
      return ctx.exited && ctx.exitCode === 126 && !ctx.input.evidence.stateError.trim() ? {} : undefined;
    },
    build(ctx, found) {
      const line = found.line ?? '';
      const file = line.match(/exec:? "?([^\s:"]+)"?: /)?.[1] ?? extractPath(line);
      const formatError = /exec format error|cannot execute binary file/i.test(line);
      const why = formatError
        ? `${file ? `"${file}"` : 'its program'} is not a program this machine can run (exec format error: built for another CPU architecture, or a script without a #! line)`
        : `${file ? `"${file}"` : 'its program'} cannot be executed (no execute permission, or on a noexec mount)`;
      return unfixable(ctx, {
        root_cause: `${lead(ctx, ' because')} ${why}.${quoteHit(found)}`,
        suggested_fix: formatError
          ? 'Use an image built for this platform (docker image inspect --format {{.Architecture}}; build with --platform) or add a #! line to the script.'
          : 'Make the file executable in the image (RUN chmod +x, or COPY --chmod=755) or run it through its interpreter (sh script.sh), then re-create the container.',
        config_suggestions: formatError ? ['Pin the platform in compose (platform: linux/amd64) or publish a multi-arch image.'] : [],
      });
    },
  },
  {
    // The engine could not start the process at all (State.Error set): a missing bind-mount
    // source, a network or device that is gone. Docker's restart policy does not retry a failed
    // start, and the same container configuration fails the same way; it must be re-created.
    id: 'start-failed',
    restartCannotFix: true,
    settled: true,
    match(ctx) {
      const stateError = ctx.input.evidence.stateError.trim();
      if (!stateError || ctx.running || ADDRESS_IN_USE.test(stateError)) return undefined;
      return { line: stateError };
    },
    build(ctx, found) {
      const line = found.line ?? '';
      const mount = /mount/i.test(line);
      const path = extractPath(line);
      return unfixable(ctx, {
        root_cause: `${ctx.name} could not be started by the engine${mount ? `: a mount failed${path ? ` (${path})` : ''}` : ''}. Docker says ${quoteLine(line, 300)}.`,
        suggested_fix: mount
          ? `Create the missing source path on the host${path ? ` (${path})` : ''} or fix the volume definition, then re-create the container.`
          : 'Fix what the engine reports (a missing network, device or mount), then re-create the container.',
        config_suggestions: ['Prefer named volumes to host bind mounts where the host path may not exist.'],
      });
    },
  },
  {
    id: 'out-of-memory',
    restartCannotFix: false,
    settled: true,
    match: (ctx) => lineHit(ctx, APP_OOM),
    build(ctx, found) {
      const before = seenBefore(ctx, 'out-of-memory');
      return fields(ctx, 'out-of-memory', {
        root_cause: `${lead(ctx, ' after')} its runtime ran out of memory (its own heap limit or an allocation failure, not the kernel OOM killer).${quoteHit(found)}${recurrenceNote(ctx, 'out-of-memory')}`,
        severity: 'high',
        auto_restart_safe: before < 2,
        suggested_fix: 'Restart it to restore service, then find what grows: raise the runtime heap limit if the workload needs it, or fix the leak.',
        config_suggestions: [
          'Size the runtime heap to the container (Node --max-old-space-size, JVM -Xmx or -XX:MaxRAMPercentage) and the container limit above it.',
        ],
      });
    },
  },
  {
    id: 'segfault',
    restartCannotFix: false,
    settled: true,
    match(ctx) {
      if (ctx.exited && ctx.exitCode === 139) return lineHit(ctx, SEGFAULT) ?? {};
      return lineHit(ctx, SEGFAULT);
    },
    build(ctx, found) {
      // A crash once can be a rare race; the same crash again is a bug a restart only repeats.
      const again = seenBefore(ctx, 'segfault') > 0;
      return fields(ctx, 'segfault', {
        root_cause: `${lead(ctx, ':')} its process crashed with a segmentation fault (SIGSEGV, invalid memory access).${quoteHit(found)}${recurrenceNote(ctx, 'segfault')}`,
        severity: 'high',
        auto_restart_safe: !again,
        suggested_fix: again
          ? 'It crashed the same way before: capture a core dump or stack trace, and check native modules and the image version for a known crash bug.'
          : 'Restart it; if it crashes again, collect a core dump and check native extensions or a recent image upgrade.',
        config_suggestions: ['Pin the image version so a crash can be bisected to an upgrade.'],
      });
    },
  },
  {
    id: 'abort',
    restartCannotFix: false,
    settled: true,
    match(ctx) {
      if (ctx.exited && ctx.exitCode === 134) return lineHit(ctx, ABORT) ?? {};
      return lineHit(ctx, /\bSIGABRT\b|Aborted \(core dumped\)|terminate called after throwing/i);
    },
    build(ctx, found) {
      const again = seenBefore(ctx, 'abort') > 0;
      return fields(ctx, 'abort', {
        root_cause: `${lead(ctx, ':')} its process aborted itself (SIGABRT: a failed assertion or an unhandled fatal error).${quoteHit(found, ' Last error: ')}${recurrenceNote(ctx, 'abort')}`,
        severity: 'high',
        auto_restart_safe: !again,
        suggested_fix: 'Read the lines before the abort for the failed assertion or fatal error; restart once, and treat a repeat as a bug.',
        config_suggestions: [],
      });
    },
  },
  {
    id: 'sigkill',
    restartCannotFix: false,
    settled: true,
    match: (ctx) => (ctx.exited && ctx.exitCode === 137 ? {} : undefined),
    build: (ctx) =>
      fields(ctx, 'sigkill', {
        root_cause: `${lead(ctx, ':')} it was killed with SIGKILL but Docker did not mark it OOM-killed, so something outside the process killed it (docker kill, a stop that ran past its timeout, an orchestrator, or the host running out of memory).${recurrenceNote(ctx, 'sigkill')}`,
        severity: 'high',
        auto_restart_safe: true,
        suggested_fix: 'Restart it, and check `docker events` and the host kernel log (dmesg) for who sent the kill.',
        config_suggestions: ['If it is killed during shutdown, raise its stop timeout (docker run --stop-timeout, compose stop_grace_period).'],
      }),
  },
  {
    id: 'sigterm',
    restartCannotFix: false,
    settled: true,
    match: (ctx) => (ctx.exited && ctx.exitCode === 143 ? {} : undefined),
    // A graceful stop request was obeyed, and nobody was seen sending it: restarting could undo a
    // deliberate shutdown (host reboot, deploy script), so a person should look first.
    build: (ctx) =>
      fields(ctx, 'sigterm', {
        root_cause: `${lead(ctx, ':')} it received SIGTERM and shut down, but no stop by a person was seen. Something asked it to stop (a deploy or script, an orchestrator, the host shutting down, or a stop the doctor missed).`,
        severity: 'medium',
        auto_restart_safe: false,
        suggested_fix: `Find who sent SIGTERM (docker events, deploy logs); start it again if it should be running (docker start ${ctx.name}).`,
        config_suggestions: [],
      }),
  },
  {
    id: 'sigint',
    restartCannotFix: false,
    settled: true,
    match: (ctx) => (ctx.exited && ctx.exitCode === 130 ? {} : undefined),
    build: (ctx) =>
      fields(ctx, 'sigint', {
        root_cause: `${lead(ctx, ':')} it was interrupted (SIGINT, as Ctrl-C in an attached terminal sends).`,
        severity: 'medium',
        auto_restart_safe: false,
        suggested_fix: `Start it again if it should be running (docker start ${ctx.name}); run it detached (-d) so a terminal cannot interrupt it.`,
        config_suggestions: [],
      }),
  },
  {
    id: 'disk-full',
    // Restarting frees no space: the volume or the host filesystem stays full.
    restartCannotFix: true,
    settled: true,
    match: (ctx) => lineHit(ctx, DISK_FULL, DISK_FULL_NOT),
    build(ctx, found) {
      const path = found.line ? extractPath(found.line) : undefined;
      return unfixable(ctx, {
        root_cause: `${lead(ctx, ' because')} the disk it writes to is full${path ? ` (writing ${path})` : ''}.${quoteHit(found)}`,
        suggested_fix: `Free space on the volume or the host (docker system df; prune unused images, old logs, build cache), or grow the volume${path ? ` that holds ${path}` : ''}; then start it.`,
        config_suggestions: [
          'Cap container log size (log-opts max-size/max-file) so logs cannot fill the disk.',
          'Alert on disk usage of Docker\'s data directory and data volumes before they fill.',
        ],
      });
    },
  },
  {
    id: 'read-only-filesystem',
    // The mount is read-only by configuration (:ro, --read-only); a restart keeps the same mounts.
    restartCannotFix: true,
    settled: true,
    match: (ctx) => lineHit(ctx, READ_ONLY_FS),
    build(ctx, found) {
      const path = found.line ? extractPath(found.line) : undefined;
      return unfixable(ctx, {
        root_cause: `${lead(ctx, ' because')} it tried to write to a read-only filesystem${path ? ` (${path})` : ''}.${quoteHit(found)}`,
        suggested_fix: `Mount a writable volume or tmpfs at ${path ?? 'the path it writes'} (or drop :ro / --read-only for it), then re-create the container.`,
        config_suggestions: ['With --read-only, give writable paths their own tmpfs (--tmpfs /tmp) or volumes.'],
      });
    },
  },
  {
    id: 'permission-denied',
    // File ownership and modes on a volume do not change on restart; neither does the user it runs as.
    restartCannotFix: true,
    settled: true,
    match(ctx) {
      const hit = findLastLine(ctx.lines, PERMISSION_DENIED, PERMISSION_NOT_FILE);
      if (!hit) return undefined;
      // A bare "permission denied" must name a file to be about one.
      if (!/EACCES|EPERM|Errno 1[3]?\]/i.test(hit.line) && !extractPath(hit.line) && !FILE_ACCESS.test(hit.line)) return undefined;
      return fromLine(hit);
    },
    build(ctx, found) {
      const path = found.line ? extractPath(found.line) : undefined;
      return unfixable(ctx, {
        root_cause: `${lead(ctx, ' because')} it was denied access to ${path ?? 'a file or directory'} (the user it runs as lacks permission, often on a mounted volume).${quoteHit(found)}`,
        suggested_fix: `Give the container's user access to ${path ?? 'the path'}: chown/chmod it on the host or volume to the UID the image runs as, or run the container with a matching --user.`,
        config_suggestions: ['Create data directories in the image with the right owner, or use named volumes (Docker copies the image directory\'s ownership into a new named volume).'],
      });
    },
  },
  {
    id: 'tls-expired',
    // Certificates do not renew on restart. (A server whose renewed certificate is already on disk
    // would pick it up on restart; the suggested fix says so, but that is a person's call.)
    restartCannotFix: true,
    settled: true,
    match: (ctx) => lineHit(ctx, TLS_EXPIRED),
    build(ctx, found) {
      const line = found.line ?? '';
      const host = extractUrlHost(line) ?? line.match(/(?:for|host|server) "?([a-z0-9][\w.-]*\.[a-z]{2,})"?/i)?.[1];
      const notYet = /not yet valid/i.test(line) && !/expired/i.test(line);
      return unfixable(ctx, {
        root_cause: `${lead(ctx, ' because')} a TLS certificate${host ? ` presented by ${host}` : ''} ${notYet ? 'is not yet valid (check the clock)' : 'has expired'}.${quoteHit(found)}`,
        suggested_fix: notYet
          ? 'Check the system clock of the host (NTP); a certificate only reads as not yet valid when the clock is behind.'
          : `Renew the certificate${host ? ` of ${host}` : ''} (or update the CA bundle in the image if an intermediate expired). If it is this container's own certificate and a renewed one is already on disk, a restart will load it.`,
        config_suggestions: ['Automate renewal (ACME/certbot) and alert on certificates expiring within 14 days.'],
      });
    },
  },
  {
    id: 'missing-config',
    // The environment is fixed when a container is created: `docker restart` keeps Config.Env, so a
    // missing variable stays missing until the container is re-created with it.
    restartCannotFix: true,
    settled: true,
    match(ctx) {
      for (const pattern of MISSING_CONFIG) {
        const hit = findLastLine(ctx.lines, pattern);
        // "WARN not set ..." names a log level, not a variable.
        if (hit && !LOG_LEVELS.has(hit.match[1] ?? '')) return fromLine(hit);
      }
      // A KeyError on os.environ: Python says which key on the last line, the environ access above it.
      if (ctx.lines.some((l) => /os\.environ\[|environ\.get|getenv/.test(l))) {
        const hit = findLastLine(ctx.lines, /KeyError: '([^']+)'/);
        if (hit) return fromLine(hit);
      }
      return undefined;
    },
    build(ctx, found) {
      const name = found.captured;
      const file = found.line && /file/i.test(found.line) ? extractPath(found.line) : undefined;
      const what = name ? `the setting ${name}` : file ? `the configuration file ${file}` : 'a required setting';
      const present = name && ctx.input.facts.env.some((e) => e.startsWith(`${name}=`));
      return unfixable(ctx, {
        root_cause: `${lead(ctx, ' because')} ${what} is missing or invalid${present ? ` (${name} is set in the container's environment, so check its value)` : ''}.${quoteHit(found)}`,
        suggested_fix: name
          ? `Set ${name} for the container (docker run -e ${name}=..., compose environment: or env_file:) and re-create it; a restart keeps the old environment.`
          : 'Provide the missing configuration (environment variable, config file or mounted secret) and re-create the container.',
        config_suggestions: ['Validate required settings at start-up and list every one in an .env.example.'],
      });
    },
  },
  {
    id: 'address-in-use',
    // In its own network namespace the port is taken by another process in the same container or,
    // with host networking or a published port, by another service: neither goes away on restart.
    // The transient case (its own previous instance still closing) is what Docker's restart policy
    // already retries.
    restartCannotFix: true,
    settled: true,
    match: (ctx) => lineHit(ctx, ADDRESS_IN_USE),
    build(ctx, found) {
      const port = found.line ? extractPort(found.line) : undefined;
      const published = found.line && /already allocated/i.test(found.line);
      return unfixable(ctx, {
        root_cause: `${lead(ctx, ' because')} ${port ? `port ${port}` : 'the port it binds'} is already in use${published ? ' on the host by another container' : ''}.${quoteHit(found)}`,
        suggested_fix: published
          ? `Free host port ${port ?? ''} (docker ps --filter publish=${port ?? 'PORT'}) or publish this container on another port.`
          : `Find what holds ${port ? `port ${port}` : 'the port'} (ss -ltnp, or another process in the container) and stop it, or configure a different port.`,
        config_suggestions: ['Give each service its own port in configuration rather than a hard-coded default.'],
      });
    },
  },
  {
    id: 'missing-dependency',
    // The image lacks a module, class or shared library: every run of the same image fails alike.
    restartCannotFix: true,
    settled: true,
    match: (ctx) => lineHit(ctx, MISSING_DEPENDENCY),
    build(ctx, found) {
      return unfixable(ctx, {
        root_cause: `${lead(ctx, ' because')} a module or library it needs is missing from the image (a dependency not installed, a wrong path, or a build step that did not run).${quoteHit(found)}`,
        suggested_fix: 'Add the missing dependency to the image (package manifest and lock file, or the system package for a shared library), rebuild and re-create the container.',
        config_suggestions: ['Build the image from the lock file (npm ci, pip install -r with pinned versions, ...) and run its start command once in CI before shipping it.'],
      });
    },
  },
  {
    id: 'code-error',
    // Code that does not parse or compile fails the same way on every start.
    restartCannotFix: true,
    settled: true,
    match: (ctx) => lineHit(ctx, CODE_ERROR, CODE_ERROR_NOT),
    build(ctx, found) {
      return unfixable(ctx, {
        root_cause: `${lead(ctx, ' because')} its code cannot be loaded (a syntax or compile error shipped in the image).${quoteHit(found)}`,
        suggested_fix: 'Fix the error at the file and line the log names, rebuild the image and re-create the container; roll back to the previous image tag meanwhile.',
        config_suggestions: ['Run the start command (or a lint/compile step) in CI so an image that cannot start is never deployed.'],
      });
    },
  },
  {
    id: 'invalid-config',
    // The program rejects its configuration; the same file or flags are read again on restart.
    restartCannotFix: true,
    settled: true,
    match: (ctx) => lineHit(ctx, INVALID_CONFIG),
    build(ctx, found) {
      const file = found.line ? extractPath(found.line) : undefined;
      return unfixable(ctx, {
        root_cause: `${lead(ctx, ' because')} it rejected its configuration${file ? ` (${file})` : ''}: a syntax error, an unknown option or an invalid value.${quoteHit(found)}`,
        suggested_fix: `Correct the configuration${file ? ` in ${file}` : ''} (the log names the line or option), then restart; validate it first where the program offers a check (nginx -t, --check, --dry-run).`,
        config_suggestions: ['Validate configuration in CI or in an entrypoint check before the service starts.'],
      });
    },
  },
  {
    id: 'bad-credentials',
    // The container sends the credentials it was created with; a restart sends the same ones.
    restartCannotFix: true,
    settled: true,
    match: (ctx) => lineHit(ctx, BAD_CREDENTIALS),
    build(ctx, found) {
      return unfixable(ctx, {
        root_cause: `${lead(ctx, ' because')} a dependency rejected its credentials (a wrong or rotated password, key or token).${quoteHit(found)}`,
        suggested_fix: 'Check the credentials the container is given (environment, secrets, mounted files) against the dependency, update them and re-create the container.',
        config_suggestions: ['Keep credentials in one secret shared by both services, and rotate them in both places at once.'],
      });
    },
  },
  {
    id: 'schema-mismatch',
    // The code expects tables or columns the database does not have: a migration has not run.
    restartCannotFix: true,
    settled: true,
    match: (ctx) => lineHit(ctx, SCHEMA_MISMATCH),
    build(ctx, found) {
      return unfixable(ctx, {
        root_cause: `${lead(ctx, ' because')} the database schema does not match the code (a table, column or database it expects does not exist: a migration has not run, or it points at the wrong database).${quoteHit(found)}`,
        suggested_fix: 'Run the pending migrations against the database it uses (or point it at the right database), then restart it.',
        config_suggestions: ['Run migrations as a one-off step before the new version starts (a compose service it depends_on, or the deploy pipeline).'],
      });
    },
  },
  {
    id: 'transient-recovered',
    restartCannotFix: false,
    settled: true,
    match(ctx) {
      const { health, matchedLines, logTail: lines } = ctx.input.evidence;
      if (!ctx.running || health === 'unhealthy') return undefined;
      // Only when every error the detector kept is a hiccup of that kind.
      if (matchedLines.some((l) => !TRANSIENT.test(l) && !RECOVERED.test(l))) return undefined;
      const lastTrouble = lastIndexOf(lines, TRANSIENT, RECOVERED);
      const lastRecovery = lastIndexOf(lines, RECOVERED);
      if (lastTrouble < 0 || lastRecovery <= lastTrouble) return undefined;
      return { line: lines[lastRecovery]! };
    },
    build(ctx, found) {
      const lines = ctx.input.evidence.logTail;
      const trouble = findLastLine(lines, TRANSIENT, RECOVERED);
      const count = lines.filter((l) => TRANSIENT.test(l) && !RECOVERED.test(l)).length;
      return fields(ctx, 'transient-recovered', {
        root_cause: `${ctx.name} hit ${count} transient error line${count === 1 ? '' : 's'} (timeouts or dropped connections${trouble ? `, last ${quoteLine(trouble.line)}` : ''}) and then recovered on its own: ${found.line ? quoteLine(found.line) : 'a later line reports success'}.`,
        severity: 'low',
        auto_restart_safe: false,
        suggested_fix: 'Nothing to do now. If it keeps happening, check the latency and availability of the dependency it was waiting for.',
        config_suggestions: ['Keep retries with backoff on dependency calls; alert only when retries are exhausted.'],
        estimated_impact: `${ctx.name} is running; some requests may have been slow or failed while it was waiting.`,
      });
    },
  },
  {
    id: 'pool-exhausted',
    restartCannotFix: false,
    settled: true,
    match: (ctx) => lineHit(ctx, POOL_EXHAUSTED),
    build(ctx, found) {
      const line = found.line ?? '';
      const serverSide = /remaining connection slots|too many (?:connections|clients)|no more connections allowed/i.test(line);
      const pool = line.match(/(HikariPool-\d+|[\w-]*Pool[\w-]*) - Connection is not available/)?.[1] ?? line.match(/QueuePool limit of size \d+ overflow \d+/)?.[0];
      return fields(ctx, 'pool-exhausted', {
        root_cause: serverSide
          ? `${lead(ctx, ':')} the database refused new connections because all its connection slots are in use (by this service or others).${quoteHit(found)}${recurrenceNote(ctx, 'pool-exhausted')}`
          : `${lead(ctx, ':')} its database connection pool${pool ? ` (${pool})` : ''} is exhausted, so requests time out waiting for a connection (leaked connections, slow queries, or a pool too small for the load).${quoteHit(found)}${recurrenceNote(ctx, 'pool-exhausted')}`,
        severity: 'high',
        // A restart drops this process's connections, which releases leaked ones.
        auto_restart_safe: true,
        suggested_fix: serverSide
          ? 'Restart to release its connections; then compare the sum of all clients\' pool sizes with the database\'s max_connections, or add a pooler (PgBouncer).'
          : 'Restart to release leaked connections; then look for connections not returned to the pool and for slow queries, and size the pool for the load.',
        config_suggestions: ['Keep the sum of pool sizes across replicas below the database\'s connection limit.', 'Enable leak detection (e.g. HikariCP leakDetectionThreshold).'],
      });
    },
  },
  {
    id: 'dns-failure',
    restartCannotFix: false,
    settled: true,
    match: (ctx) => lineHit(ctx, DNS_FAILURE),
    build(ctx, found) {
      const host = found.line ? extractUnresolvedHost(found.line) ?? extractUrlHost(found.line) : undefined;
      return fields(ctx, 'dns-failure', {
        root_cause: `${lead(ctx, ' because')} it could not resolve ${host ? `the host name "${host}"` : 'a dependency\'s host name'} (the dependency is not running, not on the same Docker network, or the name is wrong).${quoteHit(found)}${recurrenceNote(ctx, 'dns-failure')}`,
        severity: 'high',
        // Usually the dependency's container was down; a restart after it is back recovers. A wrong
        // name repeats, and the crash-loop and throttle guardrails stop that.
        auto_restart_safe: true,
        suggested_fix: `Check that ${host ?? 'the dependency'} is running and attached to the same user-defined network as ${ctx.name} (docker network inspect), and that the name is spelled as its service or container name.`,
        config_suggestions: ['Declare the dependency (compose depends_on with condition: service_healthy) and retry name resolution at start-up.'],
      });
    },
  },
  {
    id: 'connection-refused',
    restartCannotFix: false,
    settled: true,
    match: (ctx) => lineHit(ctx, CONNECTION_REFUSED),
    build(ctx, found) {
      const endpoint = found.line ? extractEndpoint(found.line) : undefined;
      return fields(ctx, 'connection-refused', {
        root_cause: `${lead(ctx, ' because')} a dependency refused its connection${endpoint ? ` (${endpoint})` : ''}: nothing was listening there, usually because that service is down or still starting.${quoteHit(found)}${recurrenceNote(ctx, 'connection-refused')}`,
        severity: 'high',
        auto_restart_safe: true,
        suggested_fix: `Check that ${endpoint ?? 'the dependency'} is up and listening, then restart ${ctx.name}; make it retry the connection at start-up instead of exiting.`,
        config_suggestions: ['Start it after its dependencies are healthy (compose depends_on: condition: service_healthy).', 'Retry connections with backoff at start-up.'],
      });
    },
  },
  {
    id: 'dependency-timeout',
    restartCannotFix: false,
    settled: true,
    match: (ctx) => lineHit(ctx, DEPENDENCY_TIMEOUT),
    build(ctx, found) {
      const endpoint = found.line ? extractEndpoint(found.line) : undefined;
      return fields(ctx, 'dependency-timeout', {
        root_cause: `${lead(ctx, ' after')} a call to a dependency timed out${endpoint ? ` (${endpoint})` : ''}: it is slow, overloaded or unreachable on the network.${quoteHit(found)}${recurrenceNote(ctx, 'dependency-timeout')}`,
        severity: 'high',
        auto_restart_safe: true,
        suggested_fix: `Check the health and latency of ${endpoint ?? 'the dependency'} and the network between them; restart ${ctx.name} once it answers.`,
        config_suggestions: ['Retry timed-out calls with backoff instead of exiting.'],
      });
    },
  },
  {
    id: 'unhealthy',
    restartCannotFix: false,
    settled: true,
    match: (ctx) => (ctx.running && (ctx.input.evidence.health === 'unhealthy' || ctx.input.trigger.kind === 'unhealthy') ? {} : undefined),
    build(ctx) {
      const streak = ctx.input.facts.health.failingStreak;
      const output = ctx.input.evidence.healthOutput;
      const top = topErrorLine(ctx);
      return fields(ctx, 'unhealthy', {
        root_cause: `${ctx.name} is running but its health check is failing${streak > 0 ? ` (${streak} failures in a row)` : ''}${output ? `; the probe said ${quoteLine(output)}` : ''}.${top && top !== output ? ` Newest error line: ${quoteLine(top)}.` : ''}${recurrenceNote(ctx, 'unhealthy')}`,
        severity: 'high',
        // Restarting a hung or wedged process is what health checks are for; Docker itself only
        // reports the status and never restarts a standalone container for it.
        auto_restart_safe: true,
        suggested_fix: `Restart ${ctx.name}; if it turns unhealthy again, look at what the probe checks and why the service stops answering it.`,
        config_suggestions: ['Give the health check a start period (--health-start-period) long enough for slow starts.'],
      });
    },
  },
  {
    id: 'restart-loop',
    restartCannotFix: false,
    settled: false,
    // One `restarting` status is only Docker's restart delay after a single exit (the exit rules
    // judge that one); a loop needs repeated restarts, as decide.ts's crash-loop guardrail counts.
    match: (ctx) => {
      const { status, restartCount } = ctx.input.evidence;
      return status === 'restarting' && (restartCount >= DEFAULT_CRASH_LOOP.deaths || ctx.exitCode === null) ? {} : undefined;
    },
    build(ctx) {
      const top = topErrorLine(ctx);
      const { restartCount, restartPolicy } = ctx.input.evidence;
      return fields(ctx, 'restart-loop', {
        root_cause: `${ctx.name} is in a restart loop: it ${exitPhrase(ctx)} and Docker keeps restarting it (restart policy ${restartPolicy}).${top ? ` Newest error line: ${quoteLine(top)}.` : ' It printed no error line before exiting.'}`,
        severity: 'high',
        auto_restart_safe: false,
        suggested_fix: `Read the first error after start-up (docker logs ${ctx.name}) and fix that; another restart will only repeat it.`,
        config_suggestions: ['Use restart policy on-failure with a retry limit (on-failure:5) so a broken container stops instead of looping.'],
        likely_recurring: true,
        estimated_impact: `${ctx.name} is flapping (Docker restart count ${restartCount}): unavailable most of the time.`,
      });
    },
  },
  {
    id: 'exit-error',
    restartCannotFix: false,
    settled: false,
    match: (ctx) => (ctx.exited && ctx.exitCode !== null && ctx.exitCode !== 0 ? {} : undefined),
    build(ctx) {
      const code = ctx.exitCode ?? -1;
      const top = topErrorLine(ctx);
      const meaning = describeExitCode(code, top);
      const { restarts } = ctx.input.history;
      // Restarted by the doctor within the hour and dead again of the same unexplained error:
      // the restart did not help, so do not repeat it blindly.
      const restartDidNotHelp = countWithin(restarts, ctx.input.now, HOUR_MS) > 0 && seenBefore(ctx, 'exit-error', HOUR_MS) > 0;
      return fields(ctx, 'exit-error', {
        root_cause: `${ctx.name} ${exitPhrase(ctx)} (${meaning}).${top ? ` Last error: ${quoteLine(top)}.` : ' It printed no error line before exiting.'}${recurrenceNote(ctx, 'exit-error')}`,
        severity: 'high',
        auto_restart_safe: !restartDidNotHelp,
        suggested_fix: restartDidNotHelp
          ? `It failed again after the last restart: read the start-up logs (docker logs ${ctx.name}) and fix the error before restarting.`
          : `Restart it to restore service, then read the lines before the exit (docker logs ${ctx.name}) for the cause.`,
        config_suggestions: [],
      });
    },
  },
  {
    id: 'errors-logged',
    restartCannotFix: false,
    settled: false,
    match: (ctx) => (ctx.running && ctx.input.evidence.matchedLines.length > 0 ? {} : undefined),
    build(ctx) {
      const { matchedLines, health } = ctx.input.evidence;
      const top = matchedLines[matchedLines.length - 1]!;
      return fields(ctx, 'errors-logged', {
        root_cause: `${ctx.name} is running${health === 'healthy' ? ' and healthy' : ''} but logged ${matchedLines.length} error line${matchedLines.length === 1 ? '' : 's'}; the newest: ${quoteLine(top)}.${recurrenceNote(ctx, 'errors-logged')}`,
        severity: 'medium',
        auto_restart_safe: false,
        suggested_fix: 'Read the errors in context; a running service usually needs its error fixed, not a restart.',
        config_suggestions: [],
      });
    },
  },
  {
    id: 'no-problem',
    restartCannotFix: false,
    settled: true,
    match: () => ({}),
    build(ctx) {
      const { status } = ctx.input.evidence;
      const state = status === 'paused'
        ? 'is paused (docker pause); its processes are frozen until unpaused'
        : status === 'created'
          ? 'was created but never started'
          : ctx.running
            ? 'is running with no error lines in its recent output'
            : `is ${status}`;
      return fields(ctx, 'no-problem', {
        root_cause: `${ctx.name} ${state}.`,
        severity: 'low',
        auto_restart_safe: false,
        suggested_fix: 'Nothing to fix.',
        config_suggestions: [],
        likely_recurring: false,
        estimated_impact: 'None seen.',
      });
    },
  },
];

/** What an exit code says on its own: shell conventions and 128+N for signal N. */
export function describeExitCode(code: number, topLine?: string): string {
  if (code > 128 && code <= 128 + 64) {
    const signal = SIGNAL_NAMES[code - 128];
    return `killed by signal ${code - 128}${signal ? ` (${signal})` : ''}`;
  }
  if (code === 1) return 'a general application error';
  if (code === 2) return topLine && /panic:/.test(topLine) ? 'a Go panic' : 'a usage error or a Go panic';
  if (code === 255) return 'exit status 255: an error code out of range, often a failed start or exit(-1)';
  return `application exit code ${code}`;
}

function contextFor(input: RulesInput): RuleContext {
  const { evidence, facts, history, now } = input;
  const running = evidence.status === 'running' || evidence.status === 'paused';
  // A container that was only created (never started, no start error) has no exit to judge.
  const neverStarted = evidence.status === 'created' && !evidence.stateError.trim();
  const exited = !running && evidence.exitCode !== null && !neverStarted;
  const deaths = exited ? includeTime(history.deaths, evidence.finishedAt) : history.deaths;
  return {
    input,
    name: facts.ref.name.replace(/^\//, '') || facts.ref.id.slice(0, 12),
    running,
    exited,
    exitCode: evidence.exitCode,
    // A running container's tail is mostly noise from normal work: judge it by the error lines
    // the detector found. The last lines before an exit are the best evidence there is.
    lines: running && evidence.matchedLines.length > 0 ? evidenceLines({ ...evidence, logTail: [] }) : evidenceLines(evidence),
    deaths24h: countWithin(deaths, now, DAY_MS),
  };
}

/** Notes that hold whichever entry matched: a failing health check, an exit found long after. */
function annotate(ctx: RuleContext, id: string, f: DiagnosisFields): DiagnosisFields {
  let rootCause = f.root_cause;
  const { evidence, trigger, now } = ctx.input;
  if (id !== 'unhealthy' && ctx.running && evidence.health === 'unhealthy') {
    const output = evidence.healthOutput;
    rootCause += ` Its health check is failing${output ? `: ${quoteLine(output)}` : ''}.`;
  }
  if (isStaleExit(trigger.kind, evidence.finishedAt, now)) {
    const finished = parseTime(evidence.finishedAt)!;
    rootCause += ` It exited ${formatDuration(now - finished)} ago, before the doctor was watching.`;
  }
  return rootCause === f.root_cause ? f : { ...f, root_cause: rootCause };
}

/** 0 for low, 1 for medium, 2 for high. */
export function severityRank(severity: Severity): number {
  return severity === 'high' ? 2 : severity === 'medium' ? 1 : 0;
}

/** The more serious of two severities. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return severityRank(a) >= severityRank(b) ? a : b;
}

/** Diagnoses an incident with the built-in catalog: the first matching entry, in priority order. */
export function diagnoseByRules(input: RulesInput): RulesVerdict {
  const ctx = contextFor(input);
  for (const entry of RULES_CATALOG) {
    const found = entry.match(ctx);
    if (!found) continue;
    const built = annotate(ctx, entry.id, entry.build(ctx, found));
    return {
      diagnosis: { ...built, source: 'rules', rule: entry.id },
      rule: entry.id,
      restartCannotFix: entry.restartCannotFix,
      settled: entry.settled,
    };
  }
  // The catalog ends with a catch-all, so this is unreachable; kept for the type checker.
  throw new Error('rules catalog has no fallback entry');
}
