import { readAuditLog, readAuditNotes } from '../../adapters/audit/audit-log.js';
import { loadReport } from '../../adapters/audit/load-report.js';
import { UiRoute } from '../../adapters/http/ui/ui-route.js';
import type { StoryStore } from '../../adapters/state/story-store.js';
import type { Config } from '../../config/load-config.js';
import { auditPath } from '../bootstrap.js';

/** The web timeline for `doctor watch`, reading STATE_DIR's audit log and stories as `doctor report` does. */
export function createUiRoute(config: Config, live: StoryStore): UiRoute {
  const auditFile = auditPath(config);
  return new UiRoute({
    token: config.health.token,
    sources: {
      records: async (query) => (await readAuditLog(auditFile, query)).records,
      notes: () => readAuditNotes(auditFile),
      // The watcher's own store, in memory: what it knows this moment.
      stories: async () => live.allStories(),
      report: (query) => loadReport(config.stateDir, auditFile, { ...query, stories: () => live.allStories() }),
    },
  });
}
