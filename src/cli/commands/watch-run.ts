/**
 * The running `doctor watch`: the runtime, the watcher, the health endpoint with /metrics and the
 * web timeline, the Slack app and the alert queues, until a signal stops it. The command's entry
 * is watch.ts, which loads this module after the configuration and the V8 flags.
 */
import { ExitCode } from '../../core/errors.js';
import type { FeedEvent, FeedListener } from '../../pipeline/feed.js';
import { Metrics } from '../../pipeline/metrics.js';
import { Watcher } from '../../pipeline/watcher.js';
import { handlerDeps, openRuntime } from '../bootstrap.js';
import { createUiRoute } from './watch-ui.js';
import type { CommonFlags } from '../config-flags.js';
import { colorsFor } from '../render/colors.js';
import { formatFeedEvent } from '../render/feed-text.js';
import { formatLogLine, isLogged, type LogLevel } from '../render/feed-log.js';
import { DoctorMetrics } from '../../adapters/metrics/doctor-metrics.js';
import { createFeedMetrics } from '../../adapters/metrics/feed-metrics.js';
import { timeDiagnoser } from '../../adapters/metrics/timed-diagnoser.js';
import { VERSION } from '../../version.js';
import { snapshotOf, startHealthServer } from './watch-health.js';
import { startReportDigests } from './watch-digest.js';
import { ApprovalDesk } from '../../pipeline/approvals.js';
import { QuietAlerts } from '../../pipeline/quiet-alerts.js';
import { HeldAlertsStore } from '../../adapters/state/held-alerts-store.js';
import { SlackMessagesStore } from '../../adapters/state/slack-messages-store.js';
import type { StorageHealthSink } from '../../pipeline/ports.js';
import { activeQuietHours } from '../../core/quiet-periods.js';
import { controlRoutes, pendingDocument } from '../../adapters/http/control-routes.js';
import { systemClock } from '../bootstrap.js';
import type { Config } from '../../config/load-config.js';

export interface WatchFlags extends CommonFlags {
  once?: boolean;
  json?: boolean;
  ai?: boolean;
}

/**
 * JSON lines with --json, with LOG_FORMAT=json, or (LOG_FORMAT=auto) when stdout is not a
 * terminal (a daemon's log); text for people otherwise. LOG_LEVEL drops quieter events.
 */
function makeFeed(json: boolean, showHost: boolean, level: LogLevel): FeedListener {
  if (json) {
    return (event: FeedEvent) => {
      if (isLogged(event, level)) process.stdout.write(`${formatLogLine(event)}\n`);
    };
  }
  const c = colorsFor(process.stdout);
  return (event: FeedEvent) => {
    if (!isLogged(event, level)) return;
    const line = formatFeedEvent(c, event, { showHost });
    if (line === undefined) return;
    (event.type === 'warning' || event.type === 'engine-down' ? process.stderr : process.stdout).write(`${line}\n`);
  };
}

/** Runs until `stop` aborts (the CLI entry aborts it on SIGTERM or SIGINT), then lets work in flight finish. */
export async function runWatchCommand(flags: WatchFlags, stop: AbortSignal, config: Config): Promise<number> {
  const metrics = new Metrics();
  const json = flags.json === true || config.log.format === 'json' || (config.log.format === 'auto' && !process.stdout.isTTY);
  const print = makeFeed(json, config.dockerHosts.length > 1, config.log.level);
  // Prometheus metrics only when /metrics is served (HEALTH_PORT=0 turns the server off).
  let observeMetrics: FeedListener = () => undefined;
  const feed: FeedListener = (event) => {
    metrics.observe(event);
    observeMetrics(event);
    print(event);
  };
  const runtime = await openRuntime(config, { ai: flags.ai !== false, feed, notify: true });
  let watcher: Watcher | undefined;
  const prom = flags.once || config.health.port === 0
    ? undefined
    : new DoctorMetrics({ version: VERSION, snapshot: () => snapshotOf(metrics, runtime), engines: () => watcher?.status() ?? [] });
  if (prom) observeMetrics = createFeedMetrics(prom);
  const deps = handlerDeps(runtime, feed);
  // The web timeline lives on the health server; it hears incidents live from the bus.
  const ui = prom ? createUiRoute(config, runtime.stories) : undefined;
  const desk = new ApprovalDesk({
    ledger: runtime.people, audit: runtime.audit, stories: runtime.stories, history: runtime.store, clock: systemClock, feed,
    settings: { ...config.people },
    pipeline: () => ({ handler: watcher!.incidents, engineFor: (h) => watcher!.engineFor(h), exclusive: (h, id, fn) => watcher!.exclusive(h, id, fn), hosts: config.dockerHosts }),
  });
  const slackApp = flags.once ? undefined : await startSlackApp(config, desk, feed, deps.secrets ?? [], runtime.storage);
  const heldAlerts = await HeldAlertsStore.open(config.stateDir, { health: runtime.storage });
  if (heldAlerts.recoveredFrom) feed({ type: 'warning', message: `held alerts file was damaged; moved aside to ${heldAlerts.recoveredFrom} (each incident is in the audit log)` });
  const quiet = new QuietAlerts({
    notifiers: [...runtime.notifiers, ...(slackApp ? [slackApp] : [])],
    clock: systemClock,
    ledger: heldAlerts,
    quietUntil: (now) => activeQuietHours(config.people.quietHours, now, config.people.timeZone)?.until,
    feed,
  });
  watcher = new Watcher({
    ...deps,
    notifiers: slackApp ? [...(deps.notifiers ?? []), slackApp] : deps.notifiers,
    people: (host, name) => desk.peopleInput(host, name),
    subscribers: [desk.subscriber(), quiet.subscriber(), ...(ui ? [ui.live.subscriber] : [])],
    diagnosers: prom ? (deps.diagnosers ?? []).map((d) => timeDiagnoser(d, 'claude', (labels, seconds) => prom.diagnosisDuration.observe(labels, seconds))) : deps.diagnosers,
    engines: runtime.engines,
    askAi: flags.ai !== false,
  });
  feed({
    type: 'started',
    hosts: config.dockerHosts,
    autoFix: config.autoFix,
    ai: runtime.diagnoser !== undefined,
    slack: runtime.notifiers.some((n) => n.channel === 'slack' || n.channel.startsWith('slack://')),
    channels: runtime.notifiers.map((n) => n.channel),
    ...(runtime.selfId ? { self: runtime.selfId } : {}),
  });

  try {
    if (flags.once) {
      await watcher.runOnce();
      const down = watcher.status().filter((s) => !s.connected);
      if (down.length === watcher.status().length) {
        process.stderr.write(`doctor: cannot reach the Docker Engine (${down.map((d) => `${d.host || 'local'}: ${d.lastError}`).join('; ')})\n`);
        return ExitCode.dockerUnavailable;
      }
      // The others were checked, so this is not a failure of the run; but it must not pass unsaid.
      for (const d of down) process.stderr.write(`doctor: warning: engine ${d.host || 'local'} was not checked: ${d.lastError}\n`);
      return ExitCode.ok;
    }
    desk.start();
    quiet.resume();
    const routes = [controlRoutes({ desk, token: config.health.token, hosts: config.dockerHosts }), ...(ui ? [ui] : [])];
    const health = await startHealthServer({ config, watcher, runtime, metrics, prom, feed, routes, slackApp, people: () => pendingDocument(desk) });
    const digests = startReportDigests(config, runtime.notifiers, feed, stop);
    const onStop = () => feed({ type: 'stopped', reason: String(stop.reason ?? 'stop') });
    if (stop.aborted) onStop();
    else stop.addEventListener('abort', onStop, { once: true });
    try {
      await watcher.run(stop);
    } finally {
      await digests;
      ui?.close();
      desk.stop();
      await quiet.stop();
      await slackApp?.close();
      await health?.close();
    }
    return ExitCode.ok;
  } finally {
    // `--once` holds alerts too: their file is written before the process ends.
    await quiet.stop();
    await runtime.close();
  }
}

/** Slack app mode (SLACK_BOT_TOKEN): the SDKs are loaded only when it is configured. */
async function startSlackApp(config: Config, desk: ApprovalDesk, feed: FeedListener, secrets: readonly string[], storage: StorageHealthSink) {
  if (!config.slackApp.botToken || !config.slackApp.channel) return undefined;
  const { SlackApp } = await import('../../adapters/slack/slack-app.js');
  const messages = await SlackMessagesStore.open(config.stateDir, { health: storage });
  if (messages.recoveredFrom) feed({ type: 'warning', message: `Slack messages file was damaged; moved aside to ${messages.recoveredFrom}: earlier alerts are no longer updated in place` });
  const app = new SlackApp({ config, desk, feed, secrets, messages });
  await app.start();
  return app;
}
