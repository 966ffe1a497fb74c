import { loadReport } from '../../adapters/audit/load-report.js';
import type { Config } from '../../config/load-config.js';
import { buildReportDigest } from '../../core/report/report-digest.js';
import { digestWindowMs, parseReportSchedule } from '../../core/report/report-schedule.js';
import type { FeedListener } from '../../pipeline/feed.js';
import type { Notifier } from '../../pipeline/ports.js';
import { runReportDigests } from '../../pipeline/report-digest.js';
import { sleepUnlessAborted } from '../../pipeline/sleep.js';
import { auditPath } from '../bootstrap.js';


/** REPORT_SCHEDULE for `doctor watch`: the digest loop, or nothing when unset or no channel is configured. */
export function startReportDigests(config: Config, notifiers: readonly Notifier[], feed: FeedListener, stop: AbortSignal): Promise<void> {
  if (!config.reportSchedule || notifiers.length === 0) return Promise.resolve();
  const parsed = parseReportSchedule(config.reportSchedule);
  if (!parsed.ok) return Promise.resolve();
  const label = digestWindowMs(parsed.schedule) === 86_400_000 ? '1d' : '7d';
  return runReportDigests(
    {
      schedule: parsed.schedule,
      clock: { now: () => Date.now() },
      notifiers,
      compose: async (fromMs, toMs) => buildReportDigest(await loadReport(config.stateDir, auditPath(config), { sinceMs: fromMs, now: toMs }), label),
      onSent: () => undefined,
      onError: (message) => feed({ type: 'warning', message }),
      sleep: sleepUnlessAborted,
    },
    stop,
  );
}
