import path from 'node:path';
import { readAuditLog } from '../../adapters/audit/audit-log.js';
import { readBudgetTotals } from '../../adapters/claude/diagnosis-budget.js';
import { parseContainerRef } from '../../core/container-name.js';
import { ConfigError, ExitCode } from '../../core/errors.js';
import { auditPath, stateFiles } from '../bootstrap.js';
import { configFromFlags, type CommonFlags } from '../config-flags.js';
import { colorsFor } from '../render/colors.js';
import { formatAiTotals, formatHistory } from '../render/history-text.js';

export interface HistoryFlags extends CommonFlags {
  container?: string;
  limit?: string;
  json?: boolean;
}

export async function runHistoryCommand(flags: HistoryFlags): Promise<number> {
  if (flags.container !== undefined) {
    const parsed = parseContainerRef(flags.container, '--container');
    if (!parsed.ok) throw new ConfigError(parsed.message);
  }
  const config = configFromFlags(flags);
  const { records, skipped } = await readAuditLog(auditPath(config), { container: flags.container, limit: Number(flags.limit ?? 20) });
  if (skipped > 0) process.stderr.write(`doctor: skipped ${skipped} damaged line(s) in ${auditPath(config)}\n`);
  if (flags.json) {
    for (const r of records) process.stdout.write(`${JSON.stringify(r)}\n`);
  } else {
    const colors = colorsFor(process.stdout);
    process.stdout.write(formatHistory(colors, records));
    const totals = await readBudgetTotals(path.join(config.stateDir, stateFiles.budget));
    if (totals && totals.calls > 0) process.stdout.write(formatAiTotals(colors, totals));
  }
  return ExitCode.ok;
}
