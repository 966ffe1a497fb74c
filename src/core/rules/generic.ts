/**
 * Fallbacks: the rules did not recognise the failure. Restart once, escalate if it recurs, and
 * say so in the record (`recognised: false`).
 */
import { describeExitCode } from './signals.js';
import { exitPhrase, fields, recurrenceNote, restartDidNotHelp, topErrorLine, type CatalogEntry } from './rule-kit.js';
import { quoteLine } from '../evidence-text.js';
import { DEFAULT_CRASH_LOOP } from '../container-policy.js';

export const restartLoop: CatalogEntry = {
  id: 'restart-loop',
  fallback: true,
  failureClass: 'unknown',
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
};

export const exitError: CatalogEntry = {
  id: 'exit-error',
  fallback: true,
  failureClass: 'unknown',
  restartCannotFix: false,
  settled: false,
  match: (ctx) => (ctx.exited && ctx.exitCode !== null && ctx.exitCode !== 0 ? {} : undefined),
  build(ctx) {
    const code = ctx.exitCode ?? -1;
    const top = topErrorLine(ctx);
    const meaning = describeExitCode(code, top);
    // Restarted by the doctor within the hour and dead again of the same unexplained error:
    // the restart did not help, so do not repeat it blindly.
    const again = restartDidNotHelp(ctx, 'exit-error');
    return fields(ctx, 'exit-error', {
      root_cause: `${ctx.name} ${exitPhrase(ctx)} (${meaning}).${top ? ` Last error: ${quoteLine(top)}.` : ' It printed no error line before exiting.'}${recurrenceNote(ctx, 'exit-error')}`,
      severity: 'high',
      auto_restart_safe: !again,
      suggested_fix: again
        ? `It failed again after the last restart: read the start-up logs (docker logs ${ctx.name}) and fix the error before restarting.`
        : `Restart it to restore service, then read the lines before the exit (docker logs ${ctx.name}) for the cause.`,
      config_suggestions: [],
    });
  },
};

export const errorsLogged: CatalogEntry = {
  id: 'errors-logged',
  fallback: true,
  failureClass: 'unknown',
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
};

export const noProblem: CatalogEntry = {
  id: 'no-problem',
  failureClass: 'none',
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
};
