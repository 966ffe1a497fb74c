import { readAuditLog } from '../../adapters/audit/audit-log.js';
import { startHealthServer as startServer, type HealthServer, type HttpRoute } from '../../adapters/http/health-server.js';
import type { MetricsSnapshot } from '../../adapters/http/metrics-text.js';
import type { DoctorMetrics } from '../../adapters/metrics/doctor-metrics.js';
import type { Config } from '../../config/load-config.js';
import type { FeedListener } from '../../pipeline/feed.js';
import type { Metrics } from '../../pipeline/metrics.js';
import type { Watcher } from '../../pipeline/watcher.js';
import { VERSION } from '../../version.js';
import type { SlackAppStatus } from '../../adapters/slack/slack-app.js';
import { auditPath, type Runtime } from '../bootstrap.js';

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** Assembles the numbers /health and /metrics show from the pipeline and the adapters. */
export function snapshotOf(metrics: Metrics, runtime: Runtime): MetricsSnapshot {
  const now = Date.now();
  const budget = runtime.budget.totals();
  const slackChannel = runtime.notifiers.find((n) => n.channel === 'slack' || n.channel.startsWith('slack://'));
  const slack = slackChannel?.stats();
  return {
    uptimeSeconds: (now - metrics.startedAt) / 1000,
    totals: {
      incidents: metrics.incidents,
      restarts: metrics.restarts,
      restartFailures: metrics.restartFailures,
      escalations: metrics.escalations,
      repeats: metrics.repeats,
      recoveries: metrics.recoveries,
      cycles: metrics.cycles,
    },
    restartsPerContainer: Object.fromEntries(metrics.restartsByContainer),
    diagnoses: {
      enabled: runtime.diagnoser !== undefined,
      remainingThisHour: runtime.budget.remaining(now),
      calls: budget.calls,
      failures: metrics.diagnosisFailures,
      inputTokens: budget.inputTokens,
      outputTokens: budget.outputTokens,
      estimatedCostUsd: budget.estimatedCostUsd,
    },
    slack: {
      enabled: slack !== undefined,
      delivered: slack?.delivered ?? 0,
      failed: slack?.failed ?? 0,
      dropped: slack?.dropped ?? 0,
      failing: slack?.failing ?? false,
      lastError: slack?.lastError ?? null,
      lastErrorAt: slack?.lastErrorAt ?? null,
      lastDeliveredAt: slack?.lastDeliveredAt ?? null,
    },
    channels: runtime.notifiers.map((n) => ({ channel: n.channel, ...n.stats() })),
    backends: runtime.diagnoser?.stats() ?? [],
  };
}

/** Serves /health, /history and /metrics for `doctor watch`, unless HEALTH_PORT=0. */
export async function startHealthServer(input: {
  config: Config;
  watcher: Watcher;
  runtime: Runtime;
  metrics: Metrics;
  prom: DoctorMetrics | undefined;
  feed: FeedListener;
  /** Endpoints beside /health (control, UI), mounted on the same server. */
  routes?: readonly HttpRoute[];
  /** Slack app mode's posting and Socket Mode state, and what waits for people (issue 10). */
  slackApp?: { status(): SlackAppStatus };
  people?: () => Record<string, unknown>;
}): Promise<HealthServer | undefined> {
  const { config, watcher, runtime, metrics, prom, feed } = input;
  if (config.health.port === 0 || !prom) return undefined;
  if (!isLoopback(config.health.host) && !config.health.token) {
    feed({
      type: 'warning',
      message: `HEALTH_HOST=${config.health.host} is not a loopback address and HEALTH_TOKEN is unset: /health and /history are open to the network`,
    });
  }
  return startServer({
    host: config.health.host,
    port: config.health.port,
    token: config.health.token,
    routes: input.routes,
    sources: {
      version: VERSION,
      history: async (query) => (await readAuditLog(auditPath(config), query)).records,
      engines: () => watcher.status(),
      snapshot: () => snapshotOf(metrics, runtime),
      metrics: () => prom.render(),
      failingChannels: () => runtime.notifiers.filter((n) => n.stats().failing).map((n) => n.channel),
      storageProblems: () => runtime.storage.problems(),
      extras: () => {
        const app = input.slackApp?.status();
        const problems: string[] = [];
        if (app?.socket.enabled && !app.socket.connected) problems.push(`slack socket mode ${app.socket.state}${app.socket.lastError ? `: ${app.socket.lastError}` : ''}`);
        return { sections: { ...(app ? { slackApp: app } : {}), ...(input.people ? { people: input.people() } : {}) }, problems };
      },
    },
  });
}
