/**
 * Start-up: the command cannot be found or executed, or the engine could not start the process.
 * The same container configuration fails the same way on every start.
 */
import { MISSING_DEPENDENCY } from './code.js';
import { APP_OOM } from './memory.js';
import { ADDRESS_IN_USE } from './dependencies.js';
import { diedAtStartUp, lead, lineHit, quoteHit, unfixable, uptimeMs, type CatalogEntry, type RuleContext, type RuleMatch } from './rule-kit.js';
import { extractPath, findLastLine, quoteLine } from '../evidence-text.js';
import type { FailureClass } from '../types.js';

const COMMAND_NOT_FOUND = /executable file not found|exec user process caused:? "?no such file or directory|command not found|exec: "[^"]*": (?:stat [^:]+: )?no such file|exec [^\s:]+: no such file or directory|^(?:\/bin\/)?(?:sh|bash|ash|dash|zsh)(?::| line \d+:| \d+:)? [^:]+: (?:not found|No such file or directory)/i;
const NOT_EXECUTABLE = /exec format error|exec [^\s:]+: permission denied|exec: "[^"]*": permission denied|cannot execute binary file|cannot execute: Permission denied|Permission denied.*OCI runtime|(?:sh|bash)(?::| line \d+:| \d+:) [^:]+: Permission denied$/i;
export const SHARED_LIBRARY = /shared librar|shared object/i;

export const commandNotFound: CatalogEntry = {
  // Docker's convention: 127 when the command cannot be found (also the shell's own code).
  id: 'command-not-found',
  failureClass: 'environment',
  // The image or the command line is wrong; a restart runs the same missing command.
  restartCannotFix: true,
  settled: true,
  match(ctx) {
    const hit = lineHit(ctx, COMMAND_NOT_FOUND, SHARED_LIBRARY);
    if (hit) return hit;
    // The engine also reports 127 for other start errors that say "no such file" (a missing
    // mount source); those carry a State.Error and are judged by `start-failed`. The dynamic
    // loader exits 127 too when a shared library is missing: `missing-dependency` says that.
    // Elasticsearch halts with 127 when its JVM runs out of heap (ElasticsearchUncaughtExceptionHandler).
    if (lineHit(ctx, MISSING_DEPENDENCY) || lineHit(ctx, APP_OOM)) return undefined;
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
};

export const notExecutable: CatalogEntry = {
  // Docker's convention: 126 when the command exists but cannot be executed.
  id: 'not-executable',
  // The wrong CPU architecture is the host's; a missing execute bit or a noexec mount is the file's.
  failureClass: (_ctx, found) => (/exec format error|cannot execute binary file/i.test(found.line ?? '') ? 'host' : 'filesystem'),
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
};

export const startFailed: CatalogEntry = {
  // The engine could not start the process at all (State.Error set): a missing bind-mount
  // source, a network or device that is gone. Docker's restart policy does not retry a failed
  // start, and the same container configuration fails the same way; it must be re-created.
  id: 'start-failed',
  failureClass: 'environment',
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
};

/**
 * The shapes in which programs and official images say they will not start: a refusal, a
 * failed bootstrap check, a setting or file they name, an instruction to a person. Matched in
 * the last lines before the exit, where the fatal message is. Lines that fall back to a default
 * are advice, not refusal.
 */
const FATAL_START = new RegExp(
  [
    String.raw`\brefus(?:e[sd]?|ing) to (?:start|run|continue|boot|initiali[sz]e|launch)\b`,
    String.raw`\bcannot continue\b`,
    String.raw`\bcan(?:not|'t) (?:start|boot|initiali[sz]e|proceed)\b`,
    String.raw`\bunable to (?:start|boot|initiali[sz]e|proceed)\b`,
    String.raw`\bfailed to (?:start|boot|initiali[sz]e)\b`,
    String.raw`\b(?:will not|won't) (?:start|run)\b`,
    String.raw`\bstart-?up (?:failed|aborted)\b`,
    String.raw`\bbootstrap checks? failed\b`,
    String.raw`\bfatal (?:error|exception) (?:while|during|on) (?:boot|start)`,
    String.raw`\bAPPLICATION FAILED TO START\b`,
    String.raw`\b(?:is|are) uninitiali[sz]ed\b`,
    String.raw`\b(?:is|are|was) not (?:specified|set|configured|defined|provided)\b`,
    String.raw`\byou (?:must|need to|have to) (?:specify|set|provide|define|run|configure|use|add)\b`,
    String.raw`\bplease (?:run|set|fix|specify|provide|define|configure|increase|install|upgrade|remove|delete)\b`,
    String.raw`\bdid you forget\b`,
    String.raw`\b(?:is|are) (?:required|mandatory)\b`,
    String.raw`\b(?:must|needs? to) be (?:set|specified|provided|defined|owned|writable|increased)\b`,
    String.raw`\b(?:incompatible|not compatible) with\b`,
    String.raw`\bhas (?:wrong ownership|invalid permissions)\b`,
  ].join('|'),
  'i',
);
const FALLS_BACK = /\bdefault(?:ing|s)? to\b|\busing (?:the )?default\b|\bignor(?:e|ed|ing)\b|\bskipp(?:ed|ing)\b/i;
/** How far back from the exit the fatal message may be: programs print a few lines of help after it. */
const FATAL_TAIL_LINES = 15;

/** Where the named cause lives, read off the fatal line and the lines around it. */
const CAUSE_HOST = /vm\.max_map_count|sysctl|\bkernel\b|ulimit|file descriptors|mlockall|memory lock|seccomp|cgroup|architecture|\bCPU\b|\bAVX|instruction set|hugepage/i;
const CAUSE_FILESYSTEM = /ownership|\bowner\b|permissions?\b|writable|read-only|\bmount/i;
const CAUSE_DATA = /data(?:base)? (?:directory|files|dir)|initiali[sz]ed (?:by|with)|catalog|incompatible|not compatible|\block(?: file)?\b|corrupt|checksum|schema|migrat|\bWAL\b|journal|cluster[ _.-]?id/i;

function fatalHit(ctx: RuleContext): RuleMatch | undefined {
  const tail = ctx.lines.slice(-FATAL_TAIL_LINES);
  for (let i = tail.length - 1; i >= 0; i -= 1) {
    const line = tail[i]!;
    if (FATAL_START.test(line) && !FALLS_BACK.test(line)) return { line, captured: tail.slice(Math.max(0, i - 2), i + 3).join('\n') };
  }
  return undefined;
}

function fatalClass(found: RuleMatch): FailureClass {
  const around = found.captured ?? found.line ?? '';
  if (CAUSE_HOST.test(around)) return 'host';
  if (CAUSE_FILESYSTEM.test(around)) return 'filesystem';
  if (CAUSE_DATA.test(around)) return 'data';
  return 'environment';
}

const WHERE: Readonly<Record<string, string>> = {
  host: 'a setting of the host (the kernel, its limits or its CPU)',
  filesystem: 'the ownership or permissions of its files or volume',
  data: 'the data it keeps (its version, format or lock)',
  environment: 'its configuration (a setting, variable, file or command-line option)',
};

export const fatalStartUp: CatalogEntry = {
  // The program says why it will not start, and the cause it names lives outside the process,
  // so the same start is refused the same way (issue 15: read the log like an operator).
  id: 'fatal-start-up',
  failureClass: (_ctx, found) => fatalClass(found),
  restartCannotFix: true,
  settled: true,
  match: (ctx) => (ctx.exited && ctx.exitCode !== 0 ? fatalHit(ctx) : undefined),
  build(ctx, found) {
    const cause = fatalClass(found);
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} it refused to start and says why; the cause is ${WHERE[cause]}, which a restart does not change.${quoteHit(found)}`,
      suggested_fix: `Do what the message asks (${cause === 'host' ? 'change the host setting it names' : cause === 'filesystem' ? 'fix the owner or mode of the path it names' : cause === 'data' ? 'upgrade, repair or restore the data it names, or use the image version that wrote it' : 'set or correct the setting it names, then re-create the container'}); restarting only repeats the refusal.`,
      config_suggestions: ['Check required settings before deploying (docker compose config; the image documentation lists them).'],
    });
  },
};

/** Uncaught errors by runtime: a Go or Rust panic, a Python traceback, Node, Java, .NET. */
const UNCAUGHT = /^panic: |goroutine \d+ \[running\]|thread '[^']+' panicked at|Traceback \(most recent call last\)|Exception in thread "main"|^Unhandled exception|UnhandledPromiseRejection|\buncaught exception\b|\bUncaught \w*Error\b|throw er; \/\/ Unhandled/i;
/**
 * An exception's type leading the line (`ValueError: ...`, `java.lang.IllegalStateException: ...`).
 * Case matters and the type needs a name, so a log level (`ERROR: ...`) or a program's own
 * message (`Error: boom`) is not taken for an unhandled exception.
 */
const EXCEPTION_LINE = /^(?:[\w$]+\.)*[A-Z]\w*(?:Error|Exception): /;

/**
 * Node's own report of an uncaught exception: the source line with a caret under the `throw`, the
 * error and its stack, and (Node 18 and later) a footer naming the version. The error is whatever
 * the code threw (`Error: DB_URL missing` too), so the footer tells it apart from a logged error.
 */
const NODE_FOOTER = /^Node\.js v\d+\.\d+\.\d+\s*$/;
const NODE_THROWN = /^(?:Uncaught )?\[?(?:[\w$]+\.)*[A-Z]\w*(?: \[[A-Z_\d]+\])?: |^(?:[\w$]+\.)*[A-Z]\w*(?:Error|Exception)\b/;

function nodeUncaught(ctx: RuleContext): RuleMatch | undefined {
  const footer = ctx.lines.findLastIndex((l) => NODE_FOOTER.test(l));
  if (footer < 0) return undefined;
  const thrown = findLastLine(ctx.lines.slice(0, footer), NODE_THROWN, /^\s+at /);
  return { line: thrown?.line ?? ctx.lines[footer]! };
}

function uncaughtHit(ctx: RuleContext): RuleMatch | undefined {
  return lineHit(ctx, UNCAUGHT) ?? nodeUncaught(ctx) ?? lineHit(ctx, EXCEPTION_LINE);
}

export const initCrash: CatalogEntry = {
  // A panic or unhandled exception within seconds of starting, with no dependency to blame
  // (those rules come first): the code fails on its own inputs, every time.
  id: 'init-crash',
  failureClass: 'code',
  restartCannotFix: true,
  settled: true,
  match: (ctx) => (diedAtStartUp(ctx) && ctx.exitCode !== 0 ? uncaughtHit(ctx) : undefined),
  build(ctx, found) {
    const up = uptimeMs(ctx);
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} its code crashed while starting${up !== null ? ` (${Math.round(up / 1000)} s after the start)` : ''}: an unhandled error during initialisation fails the same way on every start.${quoteHit(found)}`,
      suggested_fix: 'Read the stack trace for the first frame in the application code and fix it (or the input it reads at start-up); roll back to the previous image tag meanwhile.',
      config_suggestions: ['Run the image once in CI with production-like settings so a crash at start-up never ships.'],
    });
  },
};
