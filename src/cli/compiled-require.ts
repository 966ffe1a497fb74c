import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Script } from 'node:vm';
import { sha256Hex } from '../core/sha256.js';

/**
 * How the built shell (dist/doctor.cjs) loads a command's file, dist/commands/<name>.cjs
 * (scripts/bundle.mjs): with plain require(), or, for a one-shot command, with V8's code for it
 * kept on disk from the run before.
 *
 * A `doctor diagnose` compiled some 350 KB of JavaScript on every run: the file once, then each
 * function on its first call. V8 can write out what it has compiled so far; written after the
 * command ran, that covers every function the command used, and the next run reads it back
 * instead of compiling. Measured 2026-12-03 (diagnose --json, 25 runs each, interleaved): Node
 * 20.20 102.9 -> 79.8 ms median, Node 24.21 94.6 -> 81.5 ms; Node's own compile cache (Node 22
 * and later) keeps only what a file compiles as it loads, and gained 2 ms of it.
 *
 * Where: NODE_COMPILE_CACHE if set, else Node's default `node-compile-cache` in the system's
 * temporary directory, in a `container-doctor` folder only its owner can read; one file per
 * command, replaced when the build, the file or Node changes. NODE_DISABLE_COMPILE_CACHE=1 turns it
 * off, as it does Node's. Nothing here fails a command: a cache that cannot be read, written or
 * trusted (a folder someone else owns) leaves the command as it was, only uncached; V8 refuses
 * code it did not make for this source, this Node and these flags, and compiles afresh.
 *
 * `doctor watch` never uses it: it compiles once and runs for months, judged by its memory, and
 * code read from a cache is compiled code it would otherwise have dropped (long-running.ts).
 */

type Require = (id: string) => unknown;

let cacheDir: string | undefined;
const loadedFiles = new Map<string, unknown>();

/** One-shot commands from here on read and write their compiled code (one-shot.ts). */
export function keepCompiledCode(env: NodeJS.ProcessEnv = process.env): void {
  if (env['NODE_DISABLE_COMPILE_CACHE'] === '1') return;
  cacheDir = path.join(env['NODE_COMPILE_CACHE'] || path.join(tmpdir(), 'node-compile-cache'), 'container-doctor');
}

/** Loads the CommonJS file `file` (an absolute path) as require() would, from compiled code when there is some. */
export function requireCompiled(require: Require, file: string): unknown {
  const dir = cacheDir === undefined ? undefined : ownedDir(cacheDir);
  if (dir === undefined) return require(file);
  if (!loadedFiles.has(file)) loadedFiles.set(file, loadThroughCache(require, file, dir));
  return loadedFiles.get(file);
}

function loadThroughCache(require: Require, file: string, dir: string): unknown {
  let source: string;
  let cacheFile: string;
  try {
    const stat = statSync(file);
    source = readFileSync(file, 'utf8');
    const key = sha256Hex([file, stat.size, stat.mtimeMs, process.version, process.arch].join('\0')).slice(0, 16);
    cacheFile = path.join(dir, `${path.basename(file, '.cjs')}-${key}.code`);
  } catch {
    return require(file);
  }
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // none yet
  }
  const script = new Script(Module.wrap(source), { filename: file, ...(cachedData ? { cachedData } : {}) });
  if (cachedData === undefined || script.cachedDataRejected === true) {
    // At exit, when the command has compiled all it used.
    process.once('exit', () => writeCode(dir, cacheFile, script));
  }
  const loaded = new Module(file, undefined);
  loaded.filename = file;
  loaded.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file));
  const wrapper = script.runInThisContext() as (exports: unknown, require: Require, module: Module, filename: string, dirname: string) => void;
  wrapper.call(loaded.exports, loaded.exports, Module.createRequire(file), loaded, file, path.dirname(file));
  loaded.loaded = true;
  return loaded.exports;
}

/** `dir`, created if need be, when this user alone owns it; else undefined. */
function ownedDir(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = statSync(dir);
    const uid = process.getuid?.();
    if (uid !== undefined && (stat.uid !== uid || (stat.mode & 0o077) !== 0)) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

/** Writes the script's code beside the others of its command (replacing theirs), never failing the exit. */
function writeCode(dir: string, cacheFile: string, script: Script): void {
  try {
    const command = path.basename(cacheFile).replace(/-[0-9a-f]{16}\.code$/, '');
    const temp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
    renameSync(temp, cacheFile);
    for (const name of readdirSync(dir)) {
      const older = name !== path.basename(cacheFile) && name.endsWith('.code') && name.replace(/-[0-9a-f]{16}\.code$/, '') === command;
      if (older) rmSync(path.join(dir, name), { force: true });
    }
  } catch {
    // an uncached next run
  }
}
