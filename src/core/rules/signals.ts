/**
 * Signals: crashes (SIGSEGV, SIGABRT) and kills (SIGKILL, SIGTERM) read off the exit code (128+N)
 * and the lines before it.
 */
import { diedAtStartUp, fields, lead, lineHit, quoteHit, recurrenceNote, seenBefore, type CatalogEntry } from './rule-kit.js';

const SEGFAULT = /segmentation fault|\bSIGSEGV\b|\bsegfault\b|signal 11\b/i;
const ABORT = /\bSIGABRT\b|Aborted \(core dumped\)|abort\(\) called|terminate called after throwing|core dumped/i;

export const segfault: CatalogEntry = {
  id: 'segfault',
  failureClass: 'code',
  restartCannotFix: false,
  // A crash during initialisation is deterministic (issue 8: a segfault or abort within seconds
  // of starting): the same binary, configuration and data crash the same way on every start.
  // Later crashes can be races, so they get one restart.
  cannotFix: (ctx) => diedAtStartUp(ctx),
  settled: true,
  match(ctx) {
    if (ctx.exited && ctx.exitCode === 139) return lineHit(ctx, SEGFAULT) ?? {};
    return lineHit(ctx, SEGFAULT);
  },
  build(ctx, found) {
    // A crash once can be a rare race; the same crash again is a bug a restart only repeats.
    const again = seenBefore(ctx, 'segfault') > 0;
    const atStart = diedAtStartUp(ctx);
    return fields(ctx, 'segfault', {
      root_cause: `${lead(ctx, ':')} its process crashed with a segmentation fault (SIGSEGV, invalid memory access)${atStart ? ' while starting, so every start crashes the same way' : ''}.${quoteHit(found)}${recurrenceNote(ctx, 'segfault')}`,
      severity: 'high',
      auto_restart_safe: !again && !atStart,
      suggested_fix: atStart
        ? 'Find what crashes at start-up: run the image with a core dump or stack trace (ulimit -c unlimited; a debug build), check native extensions and the last image upgrade, and roll back to the previous image tag meanwhile; a restart crashes the same way.'
        : again
          ? 'It crashed the same way before: capture a core dump or stack trace, and check native modules and the image version for a known crash bug.'
          : 'Restart it; if it crashes again, collect a core dump and check native extensions or a recent image upgrade.',
      config_suggestions: ['Pin the image version so a crash can be bisected to an upgrade.'],
    });
  },
};

export const abort: CatalogEntry = {
  id: 'abort',
  failureClass: 'code',
  restartCannotFix: false,
  cannotFix: (ctx) => diedAtStartUp(ctx),
  settled: true,
  match(ctx) {
    if (ctx.exited && ctx.exitCode === 134) return lineHit(ctx, ABORT) ?? {};
    return lineHit(ctx, /\bSIGABRT\b|Aborted \(core dumped\)|terminate called after throwing/i);
  },
  build(ctx, found) {
    const again = seenBefore(ctx, 'abort') > 0;
    const atStart = diedAtStartUp(ctx);
    return fields(ctx, 'abort', {
      root_cause: `${lead(ctx, ':')} its process aborted itself (SIGABRT: a failed assertion or an unhandled fatal error)${atStart ? ' while starting, so every start aborts the same way' : ''}.${quoteHit(found, ' Last error: ')}${recurrenceNote(ctx, 'abort')}`,
      severity: 'high',
      auto_restart_safe: !again && !atStart,
      suggested_fix: atStart
        ? 'Read the lines before the abort for the failed assertion or fatal error and fix what it names (often a setting, file or library the program checks as it starts); a restart aborts the same way.'
        : again
          ? 'It aborted the same way before: read the lines before the abort for the failed assertion or fatal error and treat it as a bug.'
          : 'Read the lines before the abort for the failed assertion or fatal error; restart once, and treat a repeat as a bug.',
      config_suggestions: [],
    });
  },
};

export const sigkill: CatalogEntry = {
  id: 'sigkill',
  failureClass: 'host',
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
};

export const sigterm: CatalogEntry = {
  id: 'sigterm',
  failureClass: 'unknown',
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
};

const SIGNAL_NAMES: Readonly<Record<number, string>> = {
  1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 5: 'SIGTRAP', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE',
  9: 'SIGKILL', 10: 'SIGUSR1', 11: 'SIGSEGV', 12: 'SIGUSR2', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM',
};

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
