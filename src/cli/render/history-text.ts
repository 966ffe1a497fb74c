import type { ChalkInstance } from 'chalk';
import type { AuditRecord } from '../../core/types.js';
import { paintSeverity } from './colors.js';

/** The audit log as a timeline, oldest at the top so it reads like a story. */
export function formatHistory(c: ChalkInstance, newestFirst: readonly AuditRecord[]): string {
  if (newestFirst.length === 0) return 'No incidents recorded.\n';
  const lines: string[] = [];
  for (const r of [...newestFirst].reverse()) {
    const d = r.decision;
    const action =
      d.action === 'restart'
        ? d.executed
          ? c.green(`restarted: ${r.outcome.detail}`)
          : c.cyan(`restart not executed: ${d.reason}`)
        : d.action === 'escalate'
          ? c.red(`escalated: ${d.reason}`)
          : c.dim(`no action: ${d.reason}`);
    const host = r.container.host ? c.dim(` @${r.container.host}`) : '';
    const by = r.diagnosis.source === 'claude' ? c.magenta(' [AI]') : '';
    lines.push(
      `${r.time.replace('T', ' ').slice(0, 19)}  ${c.bold(r.container.name)}${host}  ${paintSeverity(c, r.diagnosis.severity)}  ${r.trigger.kind}${
        r.occurrence > 1 ? c.dim(` (#${r.occurrence})`) : ''
      }`,
      `    ${r.diagnosis.root_cause}${by}`,
      `    ${action}${d.guardrail ? c.dim(` [${d.guardrail}]`) : ''}`,
      c.dim(`    ${r.incidentId}`),
    );
  }
  return `${lines.join('\n')}\n`;
}
