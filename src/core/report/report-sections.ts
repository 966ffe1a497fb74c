/**
 * The report as titled tables of strings: one layout that the terminal text, the markdown and the
 * /ui report page each draw, so all three show the same numbers in the same words.
 */
import { formatCompactDuration } from '../format.js';
import type { DurationStats, Report, ReportFigures } from './report-types.js';
import { byText } from '../text-order.js';

/** How a cell reads: `good` and `bad` are painted by renderers that have colour. */
export type Tone = 'plain' | 'good' | 'bad' | 'warn' | 'dim';

export interface Cell {
  readonly text: string;
  readonly tone?: Tone;
}

export interface ReportSection {
  readonly title: string;
  /** Shown under the title. */
  readonly note?: string;
  readonly head: readonly string[];
  readonly rows: ReadonlyArray<readonly Cell[]>;
  /** Shown instead of the table when there are no rows. */
  readonly empty: string;
}

const cell = (text: string | number, tone: Tone = 'plain'): Cell => ({ text: String(text), tone });
const dur = (ms: number | null) => (ms === null ? '-' : formatCompactDuration(ms));
const counts = (m: Readonly<Record<string, number>>) =>
  Object.entries(m)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || byText(a[0], b[0]))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || '-';
const ttr = (s: DurationStats) => (s.count === 0 ? '-' : `${dur(s.medianMs)} / ${dur(s.worstMs)}`);
const time = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
const usd = (n: number | null) => (n === null ? 'unknown' : `$${n.toFixed(4)}`);

function figureRow(name: string, f: ReportFigures): Cell[] {
  const r = f.restarts;
  // Restarts younger than 10 minutes are not counted as held yet: say so rather than show 0.
  const notes = [r.watching > 0 ? `${r.watching} watching` : '', r.takenOver > 0 ? `${r.takenOver} taken over by a person` : ''].filter(Boolean).join(', ');
  const held = r.made === 0 ? '-' : `${r.held}/${r.made}${notes ? ` (${notes})` : ''}`;
  return [
    cell(name),
    cell(f.incidents),
    cell(counts(f.byClass)),
    cell(held, r.made === 0 ? 'dim' : r.relapsed + r.failed > 0 ? 'bad' : r.held === r.made ? 'good' : 'warn'),
    cell(counts(f.escalations)),
    cell(dur(f.downMs)),
    cell(ttr(f.timeToRecovery)),
    cell(f.stillDown, f.stillDown > 0 ? 'bad' : 'plain'),
  ];
}

export function buildReportSections(report: Report): ReportSection[] {
  const t = report.total.timeToRecovery;
  const sections: ReportSection[] = [
    {
      title: 'What happened',
      note: `${time(report.from)} to ${time(report.to)}${report.container ? `, container ${report.container}` : ''}; time to recovery is median / worst`,
      head: ['container', 'incidents', 'by class', 'restarts held', 'escalations', 'down', 'recovery', 'still down'],
      rows: [...report.containers.map((c) => figureRow(c.name, c.figures)), ...(report.containers.length > 1 ? [figureRow('total', report.total)] : [])],
      empty: 'no incidents in this window',
    },
    {
      title: 'Time to recovery by who brought it back',
      head: ['by', 'recoveries', 'median', 'worst'],
      rows: (['doctor', 'docker', 'person', 'itself'] as const)
        .filter((k) => t.by[k].count > 0)
        .map((k) => [cell(k), cell(t.by[k].count), cell(dur(t.by[k].medianMs)), cell(dur(t.by[k].worstMs))]),
      empty: 'no recoveries in this window',
    },
    {
      title: 'Restarts',
      head: ['time', 'container', 'verdict', 'detail'],
      rows: report.restarts.map((r) => [cell(time(r.at)), cell(r.container), cell(r.verdict, r.verdict === 'held' ? 'good' : r.verdict === 'watching' || r.verdict === 'taken-over' ? 'warn' : 'bad'), cell(r.detail, 'dim')]),
      empty: 'the doctor restarted nothing',
    },
    {
      title: 'Did it help: restarts that did not',
      head: ['time', 'container', 'verdict', 'detail'],
      rows: report.didItHelp.restartsNotHelped.map((r) => [cell(time(r.at)), cell(r.container), cell(r.verdict, 'bad'), cell(r.detail)]),
      empty: 'every restart held (or none was made)',
    },
    {
      title: 'Did it help: escalations a person fixed with a plain restart',
      note: 'rules that could be bolder',
      head: ['time', 'container', 'guardrail', 'restarted by a person'],
      rows: report.didItHelp.escalationsResolvedByPerson.map((e) => [cell(time(e.at)), cell(e.container), cell(e.guardrail ?? '-'), cell(time(e.resolvedAt))]),
      empty: 'none',
    },
    {
      title: 'Repeated failures',
      head: ['container', 'rule', 'times', 'pattern', 'when'],
      rows: report.didItHelp.repeatedSignatures.map((s) => [cell(s.container), cell(s.rule ?? '-'), cell(s.count), cell(s.pattern ?? '-', s.pattern ? 'warn' : 'dim'), cell(s.times.map(time).join(', '), 'dim')]),
      empty: 'no failure came back',
    },
    {
      title: 'Observe-only review (AUTO_FIX=false)',
      note: `${report.observeOnly.incidents} incident(s) decided in observe-only mode; the doctor would have restarted ${report.observeOnly.wouldRestart}`,
      head: ['time', 'container', 'would have', 'then', 'down'],
      rows: report.observeOnly.reviews.map((o) => [cell(time(o.at)), cell(o.container), cell(o.wouldHave), cell(o.then, o.then === 'still-down' ? 'bad' : 'plain'), cell(dur(o.downMs))]),
      empty: 'no observe-only decisions in this window',
    },
    {
      title: 'Diagnosis cost',
      note: `${report.diagnosis.calls} AI call(s), ${usd(report.diagnosis.estimatedCostUsd)} estimated; the AI changed ${report.diagnosis.aiChangedDecision} decision(s); the rules alone decided ${report.diagnosis.rulesOnly}`,
      head: ['backend', 'calls', 'input tokens', 'output tokens', 'estimated cost'],
      rows: report.diagnosis.byBackend.map((b) => [cell(b.backend), cell(b.calls), cell(b.inputTokens), cell(b.outputTokens), cell(usd(b.estimatedCostUsd))]),
      empty: 'no AI calls',
    },
  ];
  return sections;
}
