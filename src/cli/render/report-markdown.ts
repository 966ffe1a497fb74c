import type { ReportSection } from '../../core/report/report-sections.js';

/** `|` ends a cell and a newline ends a row in GitHub-flavoured markdown tables. */
function escapeCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** The report for pasting into a ticket: one heading and one table per section. */
export function formatReportMarkdown(sections: readonly ReportSection[], title: string): string {
  const out: string[] = [`# ${title}`, ''];
  for (const s of sections) {
    out.push(`## ${s.title}`, '');
    if (s.note) out.push(`_${escapeCell(s.note)}_`, '');
    if (s.rows.length === 0) {
      out.push(s.empty, '');
      continue;
    }
    out.push(`| ${s.head.map(escapeCell).join(' | ')} |`, `|${s.head.map(() => ' --- ').join('|')}|`);
    for (const row of s.rows) out.push(`| ${row.map((c) => escapeCell(c.text)).join(' | ')} |`);
    out.push('');
  }
  return `${out.join('\n')}`;
}
