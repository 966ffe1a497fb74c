/**
 * Memory: the kernel OOM killer and runtimes that run out of heap. A first OOM is worth a restart;
 * repeats point to a leak or a limit too low, which the counts make visible.
 */
import { fields, lead, lineHit, quoteHit, recurrenceNote, seenBefore, type CatalogEntry, type RuleContext } from './rule-kit.js';
import { ordinal } from '../evidence-text.js';
import { formatBytes } from '../format.js';
import { countWithin, includeTime, parseTime } from '../history.js';
import { DEFAULT_OOM_LEAK } from '../container-policy.js';

const MEMORY_LINE = /out of memory|heap|OutOfMemory|MemoryError|Cannot allocate memory|\bKilled\b|oom/i;
export const APP_OOM = /JavaScript heap out of memory|OutOfMemoryError|\bMemoryError\b|runtime: out of memory|Cannot allocate memory|\bENOMEM\b|std::bad_alloc|\bout of memory\b|memory allocation failed/i;

function oomTime(ctx: RuleContext): string {
  const { evidence, trigger } = ctx.input;
  return (ctx.running ? null : evidence.finishedAt) ?? trigger.at;
}

function oomCount(ctx: RuleContext): number {
  return countWithin(includeTime(ctx.input.history.ooms, oomTime(ctx)), ctx.input.now, DEFAULT_OOM_LEAK.windowMs);
}

export const oomKill: CatalogEntry = {
  id: 'oom-kill',
  failureClass: 'resource',
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
};

export const outOfMemory: CatalogEntry = {
  id: 'out-of-memory',
  failureClass: 'resource',
  restartCannotFix: false,
  settled: true,
  match: (ctx) => lineHit(ctx, APP_OOM),
  build(ctx, found) {
    const before = seenBefore(ctx, 'out-of-memory');
    return fields(ctx, 'out-of-memory', {
      root_cause: `${lead(ctx, ' after')} its runtime ran out of memory (its own heap limit or an allocation failure, not the kernel OOM killer).${quoteHit(found)}${recurrenceNote(ctx, 'out-of-memory')}`,
      severity: 'high',
      auto_restart_safe: before < 2,
      suggested_fix: before < 2
        ? 'Restart it to restore service, then find what grows: raise the runtime heap limit if the workload needs it, or fix the leak.'
        : 'It keeps running out of memory, so each restart only buys time: find what grows (a heap snapshot or profile) and fix the leak, or raise the runtime heap limit and the container limit if the workload needs it.',
      config_suggestions: [
        'Size the runtime heap to the container (Node --max-old-space-size, JVM -Xmx or -XX:MaxRAMPercentage) and the container limit above it.',
      ],
    });
  },
};
