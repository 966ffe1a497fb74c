import { open, rename, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { safeParse, type ZodMiniType } from 'zod/mini';
import { StateError, describeWriteError } from '../../core/errors.js';
import type { StorageHealthSink } from '../../pipeline/ports.js';

let tmpCounter = 0;

/**
 * Replaces a JSON file atomically: write a temporary sibling, flush it, rename over the target,
 * flush the directory. A crash leaves either the old or the new file, never half of one; a failed
 * write (ENOSPC, EACCES, EROFS) removes its temporary file, so a full disk does not fill up with them.
 */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  tmpCounter += 1;
  const tmp = `${file}.${process.pid}.${tmpCounter}.tmp`;
  try {
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(`${JSON.stringify(value)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  try {
    const dir = await open(path.dirname(file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself is still atomic.
  }
}

/**
 * What reading a state file found. `corrupt`: not JSON, or JSON of the wrong shape; `reason` says
 * what was wrong (for the warning line). `movedTo`: where the file was moved aside; absent when
 * the reader was read-only and left the file exactly where and as it was.
 */
export type JsonRead<T> = { kind: 'missing' } | { kind: 'ok'; value: T } | { kind: 'corrupt'; movedTo?: string; reason: string };

/** A check of a parsed value: a zod schema, or a type guard. */
export type JsonCheck<T> = ZodMiniType<T> | ((v: unknown) => v is T);

function check<T>(value: unknown, validate: JsonCheck<T>): { ok: true; value: T } | { ok: false; reason: string } {
  if (typeof validate === 'function') return validate(value) ? { ok: true, value } : { ok: false, reason: 'unexpected content' };
  const parsed = safeParse(validate, value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.map(String).join('.')}` : '';
  return { ok: false, reason: `wrong content${where}: ${issue?.message ?? 'invalid'}` };
}

/**
 * Reads and validates a JSON state file. A damaged file (not JSON, or valid JSON with the wrong
 * types) is moved aside, never deleted, so whatever it held can still be recovered by hand, and
 * the caller starts fresh and says so. Any state file in STATE_DIR should be read through here.
 *
 * `readOnly` (`doctor report`, `doctor diagnose` without --fix, a copied STATE_DIR): the file is
 * never moved, rewritten or deleted; the damage is only reported, and the writer (`doctor watch`)
 * moves it aside when it next opens the directory.
 */
export async function readJsonFile<T>(file: string, validate: JsonCheck<T>, opts: { readonly readOnly?: boolean } = {}): Promise<JsonRead<T>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw error;
  }
  let reason: string;
  try {
    const result = check(JSON.parse(text) as unknown, validate);
    if (result.ok) return { kind: 'ok', value: result.value };
    reason = result.reason;
  } catch {
    reason = text.trim() === '' ? 'empty file' : 'not valid JSON';
  }
  if (opts.readOnly === true) return { kind: 'corrupt', reason };
  const movedTo = `${file}.corrupt-${Date.now()}`;
  await rename(file, movedTo);
  return { kind: 'corrupt', movedTo, reason };
}

/**
 * One state file's writes, in the order asked for (the last one wins), each atomic. A failure is
 * told to the storage health (on /health and in the feed) and thrown: the caller decides whether
 * losing that write is acceptable. The next success clears the health's failure.
 */
export class SerialJsonWriter {
  private saving: Promise<void> = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly health: StorageHealthSink | undefined,
  ) {}

  write(value: unknown): Promise<void> {
    const next = this.saving.then(async () => {
      try {
        await writeJsonAtomic(this.file, value);
        this.health?.succeeded(this.file);
      } catch (error) {
        this.health?.failed(this.file, describeWriteError(error));
        throw new StateError(`cannot write ${this.file}: ${describeWriteError(error)}`, { cause: error });
      }
    });
    this.saving = next.catch(() => undefined);
    return next;
  }

  /** Resolves when every write asked for so far has finished. */
  settled(): Promise<void> {
    return this.saving;
  }
}

/**
 * Opens a state file that a store keeps whole in memory and rewrites whole: its checked value
 * (undefined when missing or damaged) and where a damaged one was moved aside. A file that
 * cannot be read at all (EACCES, EISDIR) is a StateError.
 */
export async function loadStateFile<T>(file: string, validate: JsonCheck<T>): Promise<{ value: T | undefined; recoveredFrom: string | undefined }> {
  try {
    const read = await readJsonFile(file, validate);
    return { value: read.kind === 'ok' ? read.value : undefined, recoveredFrom: read.kind === 'corrupt' ? read.movedTo : undefined };
  } catch (error) {
    throw new StateError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
}
