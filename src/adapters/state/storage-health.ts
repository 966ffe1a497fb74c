/**
 * Whether the doctor's own files can be written. A full or read-only STATE_DIR must show: the
 * doctor keeps working from memory, but what it learns is lost on restart, so /health turns
 * degraded with the reason and the feed says so once when writing fails and once when it works again.
 */

/** Told when one file starts or stops failing. */
export type StorageListener = (change: { readonly file: string; readonly error: string | null }) => void;

export class StorageHealth {
  private readonly failing = new Map<string, string>();

  constructor(private readonly onChange?: StorageListener) {}

  /** A write of `file` failed with `error` (a one-line description). */
  failed(file: string, error: string): void {
    const before = this.failing.get(file);
    this.failing.set(file, error);
    if (before !== error) this.onChange?.({ file, error });
  }

  /** A write of `file` worked. */
  succeeded(file: string): void {
    if (this.failing.delete(file)) this.onChange?.({ file, error: null });
  }

  /** One line per file that cannot be written, for /health's problems. */
  problems(): string[] {
    return [...this.failing].map(([file, error]) => `cannot write ${file}: ${error}`);
  }
}

/** `ENOSPC: no space left on device, open '/state/x.tmp'` -> `no space left on device (ENOSPC)`. */
export function describeWriteError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (typeof e?.code === 'string') {
    const text = /^[A-Z]+: ([^,]+)/.exec(e.message)?.[1];
    return text ? `${text} (${e.code})` : e.code;
  }
  return error instanceof Error ? error.message : String(error);
}
