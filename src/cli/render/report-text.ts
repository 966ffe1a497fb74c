import type { ChalkInstance } from 'chalk';
import type { Cell, ReportSection, Tone } from '../../core/report/report-sections.js';

function paint(c: ChalkInstance, tone: Tone | undefined, text: string): string {
  switch (tone) {
    case 'good':
      return c.green(text);
    case 'bad':
      return c.red(text);
    case 'warn':
      return c.yellow(text);
    case 'dim':
      return c.dim(text);
    default:
      return text;
  }
}

/** Pads before painting, so escape codes never skew the columns. */
function drawRow(c: ChalkInstance, cells: readonly Cell[], widths: readonly number[]): string {
  return cells
    .map((cell, i) => {
      const last = i === cells.length - 1;
      const padded = last ? cell.text : cell.text.padEnd(widths[i]!);
      return paint(c, cell.tone, padded);
    })
    .join('  ')
    .trimEnd();
}

/** The report for a terminal: one aligned table per section, coloured when `c` has colour. */
export function formatReportText(c: ChalkInstance, sections: readonly ReportSection[]): string {
  const out: string[] = [];
  for (const s of sections) {
    out.push(c.bold(s.title));
    if (s.note) out.push(c.dim(s.note));
    if (s.rows.length === 0) {
      out.push(`  ${s.empty}`, '');
      continue;
    }
    const head = s.head.map((h): Cell => ({ text: h, tone: 'dim' }));
    const widths = s.head.map((h, i) => Math.max(h.length, ...s.rows.map((r) => r[i]?.text.length ?? 0)));
    out.push(`  ${drawRow(c, head, widths)}`);
    for (const row of s.rows) out.push(`  ${drawRow(c, row, widths)}`);
    out.push('');
  }
  return `${out.join('\n')}\n`;
}
