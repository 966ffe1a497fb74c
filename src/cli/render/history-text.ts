import type { ChalkInstance } from 'chalk';
import type { BudgetTotals } from '../../adapters/claude/diagnosis-budget.js';
import type { AiUsage, AuditRecord } from '../../core/types.js';
import { paintSeverity } from './colors.js';
import { isAiDiagnosis } from '../../core/diagnosis-source.js';
import { describeExecutedRestart } from './restart-outcome.js';

/**
 * The audit log, newest first, as `--json` prints it too (so `-n 5` shows the latest five either
 * way); the first line says the order.
 */
export function formatHistory(c: ChalkInstance, newestFirst: readonly AuditRecord[]): string {
  if (newestFirst.length === 0) return 'No incidents recorded.\n';
  const lines: string[] = [c.dim(`${newestFirst.length} incident${newestFirst.length === 1 ? '' : 's'}, newest first`)];
  for (const r of newestFirst) {
    const d = r.decision;
    const action =
      d.action === 'restart'
        ? d.executed
          ? describeExecutedRestart(c, r)
          : c.cyan(`restart not executed: ${d.reason}`)
        : d.action === 'escalate'
          ? c.red(`escalated: ${d.reason}`)
          : c.dim(`no action: ${d.reason}`);
    const host = r.container.host ? c.dim(` @${r.container.host}`) : '';
    const by = isAiDiagnosis(r.diagnosis) ? c.magenta(' [AI]') : '';
    lines.push(
      `${r.time.replace('T', ' ').slice(0, 19)}  ${c.bold(r.container.name)}${host}  ${paintSeverity(c, r.diagnosis.severity)}  ${r.trigger.kind}${
        r.occurrence > 1 ? c.dim(` (#${r.occurrence})`) : ''
      }`,
      `    ${r.diagnosis.root_cause}${by}`,
      `    ${action}${d.guardrail ? c.dim(` [${d.guardrail}]`) : ''}`,
      ...(r.aiNote ? [c.dim(`    note: ${r.aiNote}`)] : []),
      ...(r.aiUsage ? [c.dim(`    Claude call: ${formatUsage(r.aiUsage)}`)] : []),
      c.dim(`    ${r.incidentId}`),
    );
  }
  return `${lines.join('\n')}\n`;
}

function formatUsd(usd: number | null): string {
  if (usd === null) return 'cost unknown';
  return `~$${usd < 0.01 ? usd.toFixed(4) : usd.toFixed(2)}`;
}

/** One call's tokens and estimated cost: `claude-haiku-4-5, 1200 in / 150 out tokens (900 cached), ~$0.0021`. */
export function formatUsage(u: AiUsage): string {
  const cached = u.cacheReadTokens > 0 ? ` (${u.cacheReadTokens} cache reads)` : '';
  return `${u.model}, ${u.inputTokens} in / ${u.outputTokens} out tokens${cached}, ${formatUsd(u.estimatedCostUsd)}`;
}

/** The running total of Claude calls since the state directory was created. */
export function formatAiTotals(c: ChalkInstance, t: BudgetTotals): string {
  const unpriced = t.unpricedCalls > 0 ? ` (${t.unpricedCalls} call${t.unpricedCalls === 1 ? '' : 's'} to models without a known price not included)` : '';
  return c.dim(
    `Claude diagnoses so far: ${t.calls} call${t.calls === 1 ? '' : 's'}, ${t.inputTokens} input + ${t.outputTokens} output tokens` +
      ` (${t.cacheReadTokens} cache reads, ${t.cacheWriteTokens} cache writes), estimated ${formatUsd(t.estimatedCostUsd)}${unpriced}\n`,
  );
}
