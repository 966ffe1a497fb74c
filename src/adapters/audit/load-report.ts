import { buildReport } from '../../core/report/build-report.js';
import type { Report } from '../../core/report/report-types.js';
import type { ContainerStory } from '../../core/story.js';
import { StoryStore } from '../state/story-store.js';
import { readAuditLog, readAuditNotes } from './audit-log.js';

/**
 * Reads a STATE_DIR's audit log and stories (the running doctor's, or a copy: the stories are
 * opened read-only) into the report `doctor report` prints and /ui/report shows. `stories`: the
 * running doctor's own store, read in memory (fresher than the file, and never reopened).
 * `warn`: hears one line when the story file is damaged (left as it is; the report goes on without stories).
 */
export async function loadReport(
  stateDir: string,
  auditFile: string,
  opts: { readonly sinceMs: number; readonly now: number; readonly container?: string; readonly stories?: () => readonly ContainerStory[]; readonly warn?: (message: string) => void },
): Promise<Report> {
  const [{ records, skipped }, notes, stories] = await Promise.all([
    readAuditLog(auditFile, { sinceMs: opts.sinceMs }),
    readAuditNotes(auditFile, { sinceMs: opts.sinceMs }),
    opts.stories ? opts.stories() : readStoriesOnly(stateDir, opts.warn),
  ]);
  return buildReport({
    records,
    notes,
    stories,
    fromMs: opts.sinceMs,
    toMs: opts.now,
    ...(opts.container ? { container: opts.container } : {}),
    skippedLines: skipped,
  });
}

async function readStoriesOnly(stateDir: string, warn: ((message: string) => void) | undefined): Promise<readonly ContainerStory[]> {
  const store = await StoryStore.open(stateDir, { readOnly: true });
  if (store.damage) warn?.(`story file ${store.file} is damaged (${store.damage}); left as it is, reporting without stories`);
  return store.allStories();
}
