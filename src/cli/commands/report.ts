import { loadReport } from '../../adapters/audit/load-report.js';
import { parseContainerRef } from '../../core/container-name.js';
import { ConfigError, ExitCode } from '../../core/errors.js';
import { buildReportSections } from '../../core/report/report-sections.js';
import { parseSince } from '../../core/report/report-window.js';
import { auditPath } from '../bootstrap.js';
import { configFromFlags, type CommonFlags } from '../config-flags.js';
import { colorsFor } from '../render/colors.js';
import { formatReportMarkdown } from '../render/report-markdown.js';
import { formatReportText } from '../render/report-text.js';

export interface ReportFlags extends CommonFlags {
  since?: string;
  until?: string;
  container?: string;
  json?: boolean;
  markdown?: boolean;
}

const DEFAULT_SINCE = '7d';

export async function runReportCommand(flags: ReportFlags): Promise<number> {
  if (flags.json && flags.markdown) throw new ConfigError('--json and --markdown cannot be used together');
  if (flags.container !== undefined) {
    const parsed = parseContainerRef(flags.container, '--container');
    if (!parsed.ok) throw new ConfigError(parsed.message);
  }
  let now = Date.now();
  if (flags.until !== undefined) {
    const until = parseSince(flags.until, now, '--until');
    if (!until.ok) throw new ConfigError(until.message);
    now = until.ms;
  }
  const since = parseSince(flags.since ?? DEFAULT_SINCE, now);
  if (!since.ok) throw new ConfigError(since.message);
  const config = configFromFlags(flags);
  const report = await loadReport(config.stateDir, auditPath(config), {
    sinceMs: since.ms,
    now,
    ...(flags.container ? { container: flags.container } : {}),
    warn: (message) => process.stderr.write(`doctor: warning: ${message}\n`),
  });
  if (report.skippedLines > 0) process.stderr.write(`doctor: skipped ${report.skippedLines} damaged line(s) in ${auditPath(config)}\n`);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return ExitCode.ok;
  }
  const sections = buildReportSections(report);
  if (flags.markdown) process.stdout.write(formatReportMarkdown(sections, 'Container doctor report'));
  else process.stdout.write(formatReportText(colorsFor(process.stdout), sections));
  return ExitCode.ok;
}
