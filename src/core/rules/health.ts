/**
 * Health and running services: a failing health check, and hiccups a running service recovered
 * from by itself.
 */
import { fields, recurrenceNote, topErrorLine, type CatalogEntry } from './rule-kit.js';
import { findLastLine, lastIndexOf, quoteLine } from '../evidence-text.js';

/** Lines that look like a transient hiccup. */
export const TRANSIENT = /timed? ?out|timeout|\bETIMEDOUT\b|deadline exceeded|\bECONNRESET\b|\bECONNREFUSED\b|connection (?:refused|reset|lost|closed)|temporarily unavailable|\bEAI_AGAIN\b|temporary failure|\b50[234]\b|unreachable|retrying|back(?:ing)? ?off/i;
/** Lines that say the hiccup is over. */
export const RECOVERED = /\b(?:recovered|reconnected|re-?established|connection (?:restored|established|ok)|connected (?:to|successfully)|successfully (?:connected|reconnected)|succeeded|success(?:ful)?\b|back (?:online|up|to normal)|resumed|restored|ready to accept connections|is healthy|retry (?:ok|succeeded))/i;

export const transientRecovered: CatalogEntry = {
  id: 'transient-recovered',
  failureClass: 'transient',
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
};

export const unhealthy: CatalogEntry = {
  id: 'unhealthy',
  failureClass: 'unknown',
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
};
