/**
 * A container's own life: a person's stop, a finished job, an interrupt. Nothing failed, or a
 * person chose it, so nothing is undone.
 */
import { fields, lead, type CatalogEntry, type RuleContext } from './rule-kit.js';

export const manualStop: CatalogEntry = {
  id: 'manual-stop',
  failureClass: 'person',
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
};

export const completed: CatalogEntry = {
  id: 'completed',
  failureClass: 'none',
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
};

/** `docker run -it`: a terminal with stdin attached, the only way Ctrl-C reaches the process. */
function interactive(ctx: RuleContext): boolean {
  return ctx.input.facts.tty && ctx.input.facts.openStdin === true;
}

export const sigint: CatalogEntry = {
  id: 'sigint',
  // Exit 130 (128 + SIGINT) from an interactive session is a person pressing Ctrl-C; without a
  // terminal nobody can be said to have done it, so it stays a question for a person.
  failureClass: (ctx) => (interactive(ctx) ? 'person' : 'unknown'),
  restartCannotFix: false,
  settled: true,
  match: (ctx) => (ctx.exited && ctx.exitCode === 130 ? {} : undefined),
  build: (ctx) =>
    interactive(ctx)
      ? fields(ctx, 'sigint', {
          root_cause: `${ctx.name} was an interactive session (docker run -it) that a person ended with Ctrl-C (exit 130, SIGINT).`,
          severity: 'low',
          auto_restart_safe: false,
          suggested_fix: 'Nothing to fix: the person at the terminal stopped it.',
          config_suggestions: [],
          likely_recurring: false,
          estimated_impact: 'None: an interactive session ended.',
        })
      : fields(ctx, 'sigint', {
          root_cause: `${lead(ctx, ':')} it was interrupted (SIGINT, as Ctrl-C in an attached terminal sends).`,
          severity: 'medium',
          auto_restart_safe: false,
          suggested_fix: `Start it again if it should be running (docker start ${ctx.name}); run it detached (-d) so a terminal cannot interrupt it.`,
          config_suggestions: [],
        }),
};
