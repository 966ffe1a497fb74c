import { readAuditLog } from '../../adapters/audit/audit-log.js';
import { ExitCode } from '../../core/errors.js';
import { auditPath } from '../bootstrap.js';
import { configFromFlags, type CommonFlags } from '../config-flags.js';
import { colorsFor } from '../render/colors.js';
import { formatHistory } from '../render/history-text.js';

export interface HistoryFlags extends CommonFlags {
  container?: string;
  limit?: string;
  json?: boolean;
}

export async function runHistoryCommand(flags: HistoryFlags): Promise<number> {
  const config = configFromFlags(flags);
  const { records, skipped } = await readAuditLog(auditPath(config), { container: flags.container, limit: Number(flags.limit ?? 20) });
  if (skipped > 0) process.stderr.write(`doctor: skipped ${skipped} damaged line(s) in ${auditPath(config)}\n`);
  if (flags.json) {
    for (const r of records) process.stdout.write(`${JSON.stringify(r)}\n`);
  } else {
    process.stdout.write(formatHistory(colorsFor(process.stdout), records));
  }
  return ExitCode.ok;
}
