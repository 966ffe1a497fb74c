import { ExitCode } from '../../core/errors.js';
import type { FeedEvent, FeedListener } from '../../pipeline/feed.js';
import { Metrics } from '../../pipeline/metrics.js';
import { Watcher } from '../../pipeline/watcher.js';
import { handlerDeps, openRuntime } from '../bootstrap.js';
import { configFromFlags, type CommonFlags } from '../config-flags.js';
import { colorsFor } from '../render/colors.js';
import { formatFeedEvent } from '../render/feed-text.js';
import { startHealthServer } from './watch-health.js';

export interface WatchFlags extends CommonFlags {
  once?: boolean;
  json?: boolean;
  ai?: boolean;
}

/** JSON lines when asked or when stdout is not a terminal (a daemon's log); text for people. */
function makeFeed(json: boolean, showHost: boolean): FeedListener {
  if (json) return (event: FeedEvent) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
  const c = colorsFor(process.stdout);
  return (event: FeedEvent) => {
    const line = formatFeedEvent(c, event, { showHost });
    if (line === undefined) return;
    (event.type === 'warning' || event.type === 'engine-down' ? process.stderr : process.stdout).write(`${line}\n`);
  };
}

export async function runWatchCommand(flags: WatchFlags): Promise<number> {
  const config = configFromFlags(flags);
  const metrics = new Metrics();
  const print = makeFeed(flags.json === true || !process.stdout.isTTY, config.dockerHosts.length > 1);
  const feed: FeedListener = (event) => {
    metrics.observe(event);
    print(event);
  };
  const runtime = await openRuntime(config, { ai: flags.ai !== false, feed, notify: true });
  const watcher = new Watcher({
    ...handlerDeps(runtime, feed),
    engines: runtime.engines,
    askAi: flags.ai !== false,
  });
  feed({ type: 'started', hosts: config.dockerHosts, autoFix: config.autoFix, ai: runtime.diagnoser !== undefined, slack: runtime.notifiers.some((n) => n.channel === 'slack' || n.channel.startsWith('slack://')), channels: runtime.notifiers.map((n) => n.channel) });

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
    const controller = new AbortController();
    const health = await startHealthServer({ config, watcher, runtime, metrics, feed });
    let signals = 0;
    const onSignal = (name: string) => {
      signals += 1;
      if (signals > 1) {
        process.stderr.write(`doctor: second ${name}, exiting now\n`);
        process.exit(130);
      }
      feed({ type: 'stopped', reason: name });
      controller.abort();
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    try {
      await watcher.run(controller.signal);
    } finally {
      await health?.close();
    }
    return ExitCode.ok;
  } finally {
    await runtime.close();
  }
}
