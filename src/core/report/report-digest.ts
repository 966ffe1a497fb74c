/**
 * The scheduled digest (REPORT_SCHEDULE): the report's answers in a few lines any channel can
 * show (chat apps do not draw tables). The full report stays one `doctor report` away.
 */
import { formatCompactDuration } from '../format.js';
import type { Report } from './report-types.js';

const MAX_LIST = 5;
const dur = (ms: number | null) => (ms === null ? '-' : formatCompactDuration(ms));

export function buildReportDigest(report: Report, windowLabel: string): { title: string; markdown: string } {
  const t = report.total;
  const r = t.restarts;
  const esc = Object.entries(t.escalations).map(([k, n]) => `${k} ${n}`).join(', ');
  const lines = [
    `*What happened*: ${t.incidents} incident(s) on ${report.containers.length} container(s)${t.repeats ? `, seen again ${t.repeats} time(s)` : ''}${esc ? `; escalated: ${esc}` : ''}`,
    `*Restarts*: ${r.made} made, ${r.held} held, ${r.relapsed} did not help, ${r.failed} failed${r.takenOver ? `, ${r.takenOver} taken over by a person` : ''}${r.watching ? `, ${r.watching} too recent to tell` : ''}`,
    `*Time to recovery*: median ${dur(t.timeToRecovery.medianMs)}, worst ${dur(t.timeToRecovery.worstMs)}; down ${dur(t.downMs)} in all${t.stillDown ? `; ${t.stillDown} still down` : ''}`,
  ];
  for (const x of report.didItHelp.restartsNotHelped.slice(0, MAX_LIST)) lines.push(`• did not help: ${x.container} at ${x.at} (${x.detail})`);
  for (const x of report.didItHelp.escalationsResolvedByPerson.slice(0, MAX_LIST)) lines.push(`• a person fixed with a plain restart: ${x.container} (${x.guardrail ?? 'no guardrail'})`);
  for (const s of report.didItHelp.repeatedSignatures.slice(0, MAX_LIST)) lines.push(`• repeated: ${s.container} ${s.rule ?? s.signature} ${s.count} times${s.pattern ? `, ${s.pattern}` : ''}`);
  if (report.observeOnly.incidents > 0) {
    const then = report.observeOnly.reviews.reduce<Record<string, number>>((m, o) => ({ ...m, [o.then]: (m[o.then] ?? 0) + 1 }), {});
    lines.push(`*Observe-only*: would have restarted ${report.observeOnly.wouldRestart} of ${report.observeOnly.incidents}; then ${Object.entries(then).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }
  const d = report.diagnosis;
  lines.push(`*Diagnosis*: ${d.calls} AI call(s)${d.estimatedCostUsd !== null && d.calls > 0 ? `, about $${d.estimatedCostUsd.toFixed(2)}` : ''}; the AI changed ${d.aiChangedDecision} decision(s)`);
  lines.push(`Full report: \`doctor report --since ${windowLabel}\``);
  return { title: `Doctor report: the last ${windowLabel === '1d' ? 'day' : 'week'}`, markdown: lines.join('\n') };
}
