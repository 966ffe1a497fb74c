import module from 'node:module';

/**
 * Node's compile cache for the chunks a one-shot command loads: V8's compiled code of each is
 * kept on disk (in the system's temporary directory) and read back by the next run instead of
 * compiling the source again. Measured 2026-12-03 on Node 24.21, `doctor diagnose <c> --json`
 * 143 -> 125 ms median (15 runs each, interleaved); the image's HEALTHCHECK runs `doctor
 * healthcheck` every 30 s. Node 22.1 and later have it; on Node 20 this does nothing. As for any
 * Node program, NODE_COMPILE_CACHE=<dir> moves the cache and NODE_DISABLE_COMPILE_CACHE=1 turns
 * it off; a directory that cannot be written leaves the command as it was, only uncached.
 * `doctor watch` goes without: it compiles once and runs for months, judged by its memory.
 */
export function useCompileCache(): void {
  (module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
}
