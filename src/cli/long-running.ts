import { setFlagsFromString } from 'node:v8';

/**
 * V8 flags for `doctor watch`, set as it starts, before the watcher's code loads. A watch runs for
 * months and spends nearly all of that time waiting, for an event or the next cycle; its busiest
 * work, the log scan, reads at most 500 new lines per container a cycle. V8's optimizing compiler
 * earns its memory back only on long hot loops, so it is off (`--no-opt`; and `--no-maglev`, the
 * mid-tier optimizing compiler that newer V8s run by default: on Node 24, 200 containers, 74 -> 68
 * MB) and the heap is tuned for size. Measured (docs/scale.md, "Start-up and memory"): 200 idle containers, 63 -> 53 MB
 * resident; the detector alone about 200 -> 68-115 MB/s, decoding log frames about 90 -> 21-27 MB/s, which kept a
 * 20,000-lines/s flood at 4 % of a core. The young generation stays at its first size
 * (`--semi-space-growth-factor=1`, read whenever V8 would grow it, so it works set at run time,
 * unlike `--max-semi-space-size`): the first reconcile grew it by 4 MB that stayed committed, and
 * resident, until V8's memory reducer gave it back some 8 s later (200 containers: a 59-60 MB
 * peak after the first cycle, 55 MB with it). One-shot commands keep V8's defaults, and so does a
 * watch with LOW_MEMORY=false.
 */
export const LONG_RUNNING_V8_FLAGS = ['--no-opt', '--no-maglev', '--optimize-for-size', '--semi-space-growth-factor=1'] as const;

export function tuneForLongRunning(): void {
  for (const flag of LONG_RUNNING_V8_FLAGS) setFlagsFromString(flag);
}
