import { buildReport } from '../../core/report/build-report.js';
import type { Report } from '../../core/report/report-types.js';
import { StoryStore } from '../state/story-store.js';
import { readAuditLog, readAuditNotes } from './audit-log.js';

/**
 * Reads a STATE_DIR's audit log and stories (the running doctor's, or a copy: the stories are
 * opened read-only) into the report `doctor report` prints and /ui/report shows.
 */
export async function loadReport(stateDir: string, auditFile: string, opts: { readonly sinceMs: number; readonly now: number; readonly container?: string }): Promise<Report> {
  const [{ records, skipped }, notes, stories] = await Promise.all([
    readAuditLog(auditFile, { sinceMs: opts.sinceMs }),
    readAuditNotes(auditFile, { sinceMs: opts.sinceMs }),
    StoryStore.open(stateDir, { readOnly: true }),
  ]);
  return buildReport({
    records,
    notes,
    stories: stories.allStories(),
    fromMs: opts.sinceMs,
    toMs: opts.now,
    ...(opts.container ? { container: opts.container } : {}),
    skippedLines: skipped,
  });
}
