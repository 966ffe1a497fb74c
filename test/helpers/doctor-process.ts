/**
 * The built `doctor watch --json` as a separate process, for tests and benchmarks that need the
 * real binary: its own STATE_DIR in a temporary folder, its feed parsed from stdout, and its
 * memory and CPU read from /proc so the figures are the doctor's own.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from './doctor-harness.js';

/** One line of the JSON feed: a FeedEvent plus the time it was printed. */
export interface FeedLine {
  readonly time: string;
  readonly type: string;
  readonly [key: string]: unknown;
}

/** What /proc says about the process at one moment. */
export interface ProcessSample {
  readonly atMs: number;
  readonly rssBytes: number;
  /** utime + stime, in seconds of CPU. */
  readonly cpuSeconds: number;
}

export interface DoctorProcess {
  readonly pid: number;
  readonly stateDir: string;
  /** Every feed line so far, oldest first. */
  readonly feed: readonly FeedLine[];
  readonly stderr: () => string;
  /** Resolves with the first feed line (already seen or still to come) that matches. */
  waitForFeed(predicate: (line: FeedLine) => boolean, opts?: { timeoutMs?: number; what?: string; after?: number }): Promise<FeedLine>;
  sample(): ProcessSample;
  /** Audit records the doctor appended, oldest first. */
  auditRecords(): Promise<Array<Record<string, any>>>;
  /** SIGTERM, wait for exit (SIGKILL after `graceMs`), remove STATE_DIR unless kept (a doctor started again on it). Returns the exit code. */
  stop(graceMs?: number, opts?: { readonly keepStateDir?: boolean }): Promise<number | null>;
}

/**
 * Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream architecture
 * (proc(5): "sysconf(_SC_CLK_TCK)"), and Node offers no sysconf.
 */
const CLOCK_TICKS_PER_SECOND = 100;

/** Reads VmRSS and utime+stime of `pid` from /proc. */
export function sampleProcess(pid: number): ProcessSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may itself contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return { atMs: Date.now(), rssBytes: rssKb * 1024, cpuSeconds: (utime + stime) / CLOCK_TICKS_PER_SECOND };
}

/**
 * Starts `doctor watch --json` with exactly `env` (plus PATH, HOME, NO_COLOR and a fresh
 * STATE_DIR unless given) and resolves once its `started` line is printed.
 */
export async function startDoctorProcess(env: Record<string, string>, opts: { args?: readonly string[]; nodeArgs?: readonly string[]; startTimeoutMs?: number } = {}): Promise<DoctorProcess> {
  const stateDir = env['STATE_DIR'] ?? (await mkdtemp(path.join(tmpdir(), 'doctor-proc-')));
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [...(opts.nodeArgs ?? []), path.join(repoRoot, 'bin', 'doctor.js'), 'watch', '--json', ...(opts.args ?? [])],
    {
      cwd: stateDir,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/root', NO_COLOR: '1', HEALTH_PORT: '0', ...env, STATE_DIR: stateDir },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const feed: FeedLine[] = [];
  const waiters = new Set<{ predicate: (l: FeedLine) => boolean; after: number; resolve: (l: FeedLine) => void }>();
  let stderr = '';
  let pending = '';
  let exited: number | null | undefined;
  const exitPromise = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    exited = code;
    resolve(code);
  }));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  child.stdout.on('data', (d: Buffer) => {
    pending += d.toString();
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const text = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (text.trim() === '') continue;
      let line: FeedLine;
      try {
        line = JSON.parse(text) as FeedLine;
      } catch {
        stderr += `unparsable stdout line: ${text}\n`;
        continue;
      }
      feed.push(line);
      for (const w of waiters) {
        if (feed.length - 1 >= w.after && w.predicate(line)) {
          waiters.delete(w);
          w.resolve(line);
        }
      }
    }
  });

  const doctor: DoctorProcess = {
    pid: child.pid!,
    stateDir,
    feed,
    stderr: () => stderr,
    waitForFeed(predicate, o = {}) {
      const after = o.after ?? 0;
      const seen = feed.slice(after).find(predicate);
      if (seen) return Promise.resolve(seen);
      const timeoutMs = o.timeoutMs ?? 15_000;
      return new Promise<FeedLine>((resolve, reject) => {
        const waiter = {
          predicate,
          after,
          resolve: (l: FeedLine) => {
            clearTimeout(timer);
            resolve(l);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const why = exited !== undefined ? `; the doctor exited with ${exited}: ${stderr.slice(-2000)}` : '';
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${o.what ?? 'a feed line'}${why}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    sample: () => sampleProcess(child.pid!),
    async auditRecords() {
      let text: string;
      try {
        text = await readFile(path.join(stateDir, 'audit.jsonl'), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, any>);
    },
    async stop(graceMs = 15_000, stopOpts: { readonly keepStateDir?: boolean } = {}) {
      if (exited === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exitPromise;
        clearTimeout(timer);
      }
      if (stopOpts.keepStateDir !== true) await rm(stateDir, { recursive: true, force: true });
      return exited ?? null;
    },
  };
  await doctor.waitForFeed((l) => l.type === 'started', { timeoutMs: opts.startTimeoutMs ?? 20_000, what: 'the doctor to start' }).catch(async (error: unknown) => {
    await doctor.stop(1_000);
    throw error;
  });
  return doctor;
}
