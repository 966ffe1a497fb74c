import type { ChalkInstance } from 'chalk';
import { restartResult } from '../../core/outcome.js';
import type { AuditRecord } from '../../core/types.js';

/** Whether an executed restart held: the settle check found the container running. */
export function restartHeld(record: Pick<AuditRecord, 'outcome'>): boolean {
  return record.outcome.status === 'restarted';
}

/**
 * An executed restart as the feed and `doctor history` show it: green only when it held; a
 * restart the Engine refused, or one after which the container was down again, in red.
 */
export function describeExecutedRestart(c: ChalkInstance, record: Pick<AuditRecord, 'outcome'>): string {
  const { status, detail } = record.outcome;
  if (status === 'restarted') return c.green(`restarted: ${detail}`);
  if (status === 'not-running-after-restart') return c.red.bold(`restart did not hold: ${detail}`);
  if (status === 'restart-failed') return c.red.bold(`restart failed: ${detail}`);
  if (restartResult(status) === 'person') return c.yellow(`a person took over: ${detail}`);
  return c.yellow(`restart issued: ${detail}`);
}
