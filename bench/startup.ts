/**
 * Start-up figures of issue 14, whole processes side by side in one run: `doctor --help` against
 * `node -e 0` (wall time and peak memory), and `doctor diagnose <c> --json` against what a person
 * would type instead, `docker inspect <c>` then `docker logs --tail 50 <c>`. Each command runs
 * `rounds` times, the commands interleaved round by round so that load on a shared machine falls
 * on all of them alike; the figures are medians with their spread.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarize, type Summary } from './stats.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const doctorBin = path.join(repoRoot, 'bin', 'doctor.js');
const peakHook = path.join(repoRoot, 'bench', 'peak-rss.cjs');

export interface StartupResult {
  readonly nodeBare: Summary;
  readonly help: Summary;
  readonly helpPeakMiB: Summary;
  readonly nodeBarePeakMiB: Summary;
  readonly dockerPair: Summary;
  readonly diagnose: Summary;
  /** The same with no compiled code kept (NODE_DISABLE_COMPILE_CACHE=1): a first run after an install or upgrade. */
  readonly diagnoseUncached: Summary;
  readonly diagnosePeakMiB: Summary;
}

/** Wall time in ms of one process, from spawn to exit; throws on a non-zero exit. */
function timeProcess(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.trim()}`));
    });
  });
}

async function timeDockerPair(container: string, env: NodeJS.ProcessEnv): Promise<number> {
  return (await timeProcess('docker', ['inspect', container], env)) + (await timeProcess('docker', ['logs', '--tail', '50', container], env));
}

/** Peak resident memory of a node process (MiB), read by the preloaded hook at its exit. */
async function peakOf(args: readonly string[], env: NodeJS.ProcessEnv, peakFile: string): Promise<number> {
  await rm(peakFile, { force: true });
  await timeProcess(process.execPath, ['--require', peakHook, ...args], { ...env, BENCH_PEAK_FILE: peakFile });
  return Number((await readFile(peakFile, 'utf8')).trim().split('\n').at(-1)) / 2 ** 20;
}

/** Measures the start-up rows against `container` on `dockerHost`. */
export async function benchStartup(opts: { dockerHost: string; container: string; rounds?: number }): Promise<StartupResult> {
  const rounds = opts.rounds ?? 5;
  const work = await mkdtemp(path.join(tmpdir(), 'doctor-bench-startup-'));
  // No .env, no Claude, no Slack: the doctor as a person would run it on the host. Its compiled
  // code (src/cli/compiled-require.ts) in a folder of this run's, filled by the untimed round.
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: work, DOCKER_HOST: opts.dockerHost, STATE_DIR: path.join(work, 'state'), NO_COLOR: '1', NODE_COMPILE_CACHE: path.join(work, 'compile-cache') };
  const uncached: NodeJS.ProcessEnv = { ...env, NODE_DISABLE_COMPILE_CACHE: '1' };
  const peakFile = path.join(work, 'peak');
  const runs = { nodeBare: [] as number[], help: [] as number[], dockerPair: [] as number[], diagnose: [] as number[], diagnoseUncached: [] as number[] };
  const peaks = { nodeBare: [] as number[], help: [] as number[], diagnose: [] as number[] };
  const diagnoseArgs = [doctorBin, 'diagnose', opts.container, '--json'];
  try {
    // One untimed round first: the page cache holds every file afterwards, for every command alike.
    await timeProcess(process.execPath, [doctorBin, 'diagnose', opts.container, '--json'], env);
    await timeDockerPair(opts.container, env);
    for (let i = 0; i < rounds; i++) {
      runs.nodeBare.push(await timeProcess(process.execPath, ['-e', '0'], env));
      runs.help.push(await timeProcess(process.execPath, [doctorBin, '--help'], env));
      runs.dockerPair.push(await timeDockerPair(opts.container, env));
      runs.diagnose.push(await timeProcess(process.execPath, diagnoseArgs, env));
      runs.diagnoseUncached.push(await timeProcess(process.execPath, diagnoseArgs, uncached));
      peaks.nodeBare.push(await peakOf(['-e', '0'], env, peakFile));
      peaks.help.push(await peakOf([doctorBin, '--help'], env, peakFile));
      peaks.diagnose.push(await peakOf(diagnoseArgs, env, peakFile));
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return {
    nodeBare: summarize(runs.nodeBare),
    help: summarize(runs.help),
    dockerPair: summarize(runs.dockerPair),
    diagnose: summarize(runs.diagnose),
    diagnoseUncached: summarize(runs.diagnoseUncached),
    nodeBarePeakMiB: summarize(peaks.nodeBare),
    helpPeakMiB: summarize(peaks.help),
    diagnosePeakMiB: summarize(peaks.diagnose),
  };
}
