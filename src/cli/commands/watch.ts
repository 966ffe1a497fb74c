/**
 * `doctor watch` in the order its memory needs: the configuration, then V8's flags for a long run
 * (long-running.ts), then the watcher's code (watch-run.ts), which the bundle evaluates only when
 * runWatchCommand imports it. Flags set after that code has loaded keep less of what they save
 * (57 instead of 53 MB with 200 containers). One module for all three, so a watch loads its
 * configuration code once: as two files of the build, the shell's configuration step and the
 * watcher each had a copy (the parser, zod's schemas). Measured 2026-12-03, 200 idle containers,
 * Node 24.21, two 40 s windows each: 55.4-56.1 -> 54.4-55.2 MB median, peak 58.3 -> 56.9-57.7 MB.
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
