/**
 * What an executed restart came to, read off its outcome: it held, it failed, or a person took
 * over during its settle check (stopped, paused, restarted or removed it). A person's takeover is neither
 * the doctor's success nor its failure: metrics, reports and group summaries count it apart.
 */
import type { Outcome } from './types.js';

export type RestartResult = 'held' | 'failed' | 'person' | 'pending';

const PERSON: ReadonlySet<Outcome['status']> = new Set(['stopped-by-person', 'paused-by-person', 'restarted-by-person', 'removed-by-person']);

export function restartResult(status: Outcome['status']): RestartResult {
  if (status === 'restarted') return 'held';
  if (status === 'pending') return 'pending';
  return PERSON.has(status) ? 'person' : 'failed';
}
