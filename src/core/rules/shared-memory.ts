/**
 * Shared memory: POSIX shared memory lives in the container's /dev/shm, which Docker makes 64 MB
 * unless `--shm-size` (compose `shm_size`) says otherwise; System V and anonymous shared memory
 * count against the memory limit. Neither grows on restart, and the server asks for the same
 * amount again, so this is not a heap running out and not a full disk.
 */
import { lead, lineHit, quoteHit, unfixable, type CatalogEntry } from './rule-kit.js';

/** /dev/shm is full: Postgres parallel queries and DSM, Chromium, PyTorch DataLoader workers. */
const SHM_FULL = /could not (?:resize|create|open|allocate) shared memory segment[^\n]*(?:No space left on device|ENOSPC)|\/dev\/shm[^\n]*(?:No space left on device|too small|is full)|DataLoader worker[^\n]*shared memory|insufficient shared memory \(shm\)|(?:No space left on device|ENOSPC)[^\n]*\/dev\/shm/i;
/** The shared memory the server asks for at start does not fit (Postgres shared_buffers, huge pages). */
const SHM_TOO_BIG = /could not (?:map anonymous|create) shared memory(?: segment)?: (?:Cannot allocate memory|Invalid argument|ENOMEM)/i;
const SHM_MEMORY = new RegExp(`${SHM_FULL.source}|${SHM_TOO_BIG.source}`, 'i');

export const sharedMemory: CatalogEntry = {
  id: 'shared-memory',
  failureClass: 'environment',
  restartCannotFix: true,
  settled: true,
  match: (ctx) => lineHit(ctx, SHM_MEMORY),
  build(ctx, found) {
    const line = found.line ?? '';
    if (SHM_TOO_BIG.test(line)) {
      return unfixable(ctx, {
        root_cause: `${lead(ctx, ' because')} the shared memory it asks for at start does not fit in the memory it is given (for Postgres: shared_buffers, or huge pages it cannot get); it asks for the same amount on every start.${quoteHit(found)}`,
        suggested_fix: `Lower the shared memory setting (Postgres shared_buffers, or huge_pages=try/off) or raise the container's memory limit${ctx.input.facts.memoryLimit > 0 ? ` (now ${Math.round(ctx.input.facts.memoryLimit / 1024 / 1024)} MiB)` : ''}, then re-create it.`,
        config_suggestions: ['Size shared_buffers to about a quarter of the container memory limit, not of the host.'],
      });
    }
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} its shared memory (/dev/shm) is full: Docker gives a container 64 MB unless shm_size says otherwise. This is not the disk and not its heap.${quoteHit(found)}`,
      suggested_fix: 'Give the container more shared memory (docker run --shm-size=1g, compose shm_size: 1gb) and re-create it; for Postgres, lowering max_parallel_workers_per_gather also reduces its use.',
      config_suggestions: ['Set shm_size for databases and browsers in the compose file.'],
    });
  },
};
