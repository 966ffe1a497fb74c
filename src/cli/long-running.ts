import { setFlagsFromString } from 'node:v8';

/**
 * V8 flags for `doctor watch`, set as it starts, before the watcher's code loads. A watch runs for
 * months and spends nearly all of that time waiting, for an event or the next cycle; its busiest
 * work, the log scan, reads at most 500 new lines per container a cycle. An optimizing compiler
 * earns its memory back only on long hot loops, so both are off: TurboFan (`--no-opt`) and Maglev
 * (`--no-maglev`, the mid tier newer V8s run by default). The heap is tuned for size, and the young
 * generation stays at its first size (`--semi-space-growth-factor=1`, read whenever V8 would grow
 * it, so it works set at run time, unlike `--max-semi-space-size`): the first reconcile grew it by
 * 4 MB that stayed resident until V8's memory reducer gave it back some 8 s later.
 *
 * Baseline code (Sparkplug, `--no-sparkplug`) is off as well: the interpreter alone runs what
 * starts after this point. Measured 2026-12-03, 200 idle containers, this build against the same
 * without it side by side, three pairs: Node 24.21 56.7-56.8 -> 55.8-56.0 MB, Node 20.20 51.2-51.6
 * -> 50.5-50.8 MB; for a log scan about 11 % slower (the detector 147 -> 130 MB/s, decoding the
 * frames 34.5 -> 30.6 MB/s, `bench/run.ts --detector-only`), where the regular expressions, compiled
 * to machine code by V8's regexp engine whatever the tiers, do most of the work.
 *
 * Measured (docs/scale.md, "Start-up and memory"), 200 idle containers: 61-63 -> 52 MB resident on
 * Node 20 (peak after the first cycle 59-60 -> 55 MB), 89 -> 68 MB on Node 24 (63 MB since the
 * bundle takes node:http through require(), scripts/bundle.mjs; 58-59 MB with crypto/https/tls loaded
 * on first use and WATCH_NODE_FLAGS below, measured 2026-12-02 on 24.21). The detector alone
 * runs at about 200 -> 68-115 MB/s, decoding log frames about 90 -> 21-27 MB/s, which kept a
 * 20,000-lines/s flood at 4 % of a core. One-shot commands keep V8's defaults, and so does a watch
 * with LOW_MEMORY=false.
 */
export const LONG_RUNNING_V8_FLAGS = ['--no-opt', '--no-maglev', '--no-sparkplug', '--optimize-for-size', '--semi-space-growth-factor=1'] as const;

/**
 * What the image's ENTRYPOINT gives node on its command line, before any code runs (Dockerfile and
 * test/fixtures/sidecar/Dockerfile.test; test/unit/watch-node-flags.test.ts keeps them in step).
 * Set from code, `--no-maglev` comes too late on Node 24: Maglev has compiled the start-up's code
 * by then, and that code stays. On the command line, measured 2026-12-02 with 200 idle containers
 * on Node 24.21 (65 s, same run): 60.5 -> 58.3 MB mean, 62.8 -> 60.0 MB max. Node 20 does not run
 * Maglev (the flag is accepted and changes nothing). NODE_OPTIONS refuses V8 flags like this one.
 * `--single-threaded` measured 58.5 MB with a worse peak and is not set. `--no-sparkplug` is set
 * from code (LONG_RUNNING_V8_FLAGS), where it measured the saving above.
 */
export const WATCH_NODE_FLAGS = ['--no-maglev'] as const;

export function tuneForLongRunning(): void {
  for (const flag of LONG_RUNNING_V8_FLAGS) setFlagsFromString(flag);
}
