import { open, rename, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Replaces a JSON file atomically: write a temporary sibling, flush it, rename over the target,
 * flush the directory. A crash leaves either the old or the new file, never half of one.
 */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(`${JSON.stringify(value)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
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

export type JsonRead<T> = { kind: 'missing' } | { kind: 'ok'; value: T } | { kind: 'corrupt'; movedTo: string };

/**
 * Reads a JSON file. A damaged file is moved aside (never deleted) so whatever it held can still
 * be recovered by hand, and the caller starts fresh.
 */
export async function readJsonFile<T>(file: string, isValid: (v: unknown) => v is T): Promise<JsonRead<T>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw error;
  }
  try {
    const value: unknown = JSON.parse(text);
    if (isValid(value)) return { kind: 'ok', value };
  } catch {
    // fall through: corrupt
  }
  const movedTo = `${file}.corrupt-${Date.now()}`;
  await rename(file, movedTo);
  return { kind: 'corrupt', movedTo };
}
