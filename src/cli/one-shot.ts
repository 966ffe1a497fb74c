/**
 * How a one-shot command (`diagnose`, `history`, `healthcheck`, ...) starts: it reads a container
 * or a file once, prints and exits, so what it compiles it uses once or a few times.
 *
 * Compiled code kept on disk: the command's own file by compiled-require.ts, after the run, and
 * on Node 22.1 and later the package files it loads (the Anthropic SDK, nodemailer) by Node's
 * compile cache, in the same place (NODE_COMPILE_CACHE, NODE_DISABLE_COMPILE_CACHE=1). The image's
 * HEALTHCHECK runs `doctor healthcheck` every 30 s.
 *
 * Each regular expression compiled once, to machine code (`--no-regexp-tier-up`), instead of to
 * bytecode first and again to machine code on its second use: the detector's and the rules'
 * hundred-odd patterns meet a container's few log lines once or twice each, so V8's default
 * compiled most of them twice. Measured 2026-12-03, Node 20.20, the rules on a two-line log 12.5 ->
 * 5.9 ms at first use; `doctor diagnose <c> --json` 114 -> 108 ms median (20 runs each,
 * interleaved).
 *
 * `doctor watch` goes without both: it compiles once and runs for months, judged by its memory
 * (long-running.ts). node:v8 and node:module are imported here, not at the top: with what they load
 * (the streams, Node's ES module loader) they were 2-3 ms of `doctor --help`, which needs neither.
 */
export async function tuneForOneShot(): Promise<void> {
  const [{ setFlagsFromString }, { default: module }, { keepCompiledCode }] = await Promise.all([import('node:v8'), import('node:module'), import('./compiled-require.js')]);
  setFlagsFromString('--no-regexp-tier-up');
  (module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
  keepCompiledCode();
}
