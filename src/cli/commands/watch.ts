/**
 * `doctor watch` in the order its memory needs: the configuration, then V8's flags for a long run
 * (long-running.ts), then the watcher's code (watch-run.ts), which loads only when
 * runWatchCommand imports it. Flags set after that code has loaded keep less of what they save
 * (57 instead of 53 MB with 200 containers). The shell imports this one module for all three
 * steps (scripts/bundle.mjs builds it as ES modules, with the watcher in chunks of its own).
 */
import type { Config } from '../../config/load-config.js';
import type { WatchFlags } from './watch-run.js';

export { configFromFlags } from '../config-flags.js';
export { tuneForLongRunning } from '../long-running.js';
export type { WatchFlags };

/** Runs until `stop` aborts (watch-run.ts). */
export async function runWatchCommand(flags: WatchFlags, stop: AbortSignal, config: Config): Promise<number> {
  const { runWatchCommand: run } = await import('./watch-run.js');
  return run(flags, stop, config);
}
