/**
 * A real doctor for integration tests: the real Docker adapter pointed at the test engine, a real
 * STATE_DIR in a temporary folder (audit log, state file, budget), and the real pipeline. Only the
 * clock and sleeps are the system's own. Tests read what the doctor wrote from its files.
 */
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuditLog, readAuditLog } from '../../src/adapters/audit/audit-log.js';
import { createDockerEngine } from '../../src/adapters/docker/docker-engine.js';
import { StateStore } from '../../src/adapters/state/state-store.js';
import { StoryStore } from '../../src/adapters/state/story-store.js';
import { loadConfig, type Config } from '../../src/config/load-config.js';
import { compileDetector } from '../../src/core/error-patterns.js';
import type { AuditRecord } from '../../src/core/types.js';
import type { FeedEvent } from '../../src/pipeline/feed.js';
import { IncidentHandler, type DiagnosisAllowance } from '../../src/pipeline/incident-handler.js';
import type { Diagnoser, DockerEngine, Notifier } from '../../src/pipeline/ports.js';
import { Watcher } from '../../src/pipeline/watcher.js';
import { testDockerHost } from './engine.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Throws unless the bundle that bin/doctor.js runs is built (`npm run build`; npm test does). */
export function requireBuild(): void {
  if (!existsSync(path.join(repoRoot, 'dist', 'doctor.cjs'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
}

export interface HarnessOptions {
  /** Settings by environment name, on top of fast test defaults. */
  readonly env?: Record<string, string>;
  readonly diagnoser?: Diagnoser;
  readonly allowance?: DiagnosisAllowance;
  readonly notifier?: Notifier;
  readonly selfId?: string;
  readonly recoveryStableMs?: number;
  /**
   * Use this STATE_DIR instead of a fresh temporary one (a second doctor on the first one's
   * state: restart counts and incident history must survive). Left in place on close.
   */
  readonly stateDir?: string;
}

export interface Harness {
  readonly config: Config;
  readonly stateDir: string;
  readonly engine: DockerEngine;
  readonly store: StateStore;
  readonly stories: StoryStore;
  readonly audit: AuditLog;
  readonly feed: FeedEvent[];
  readonly watcher: Watcher;
  /** A handler sharing the harness's state, as `doctor diagnose` builds one. */
  handler(): IncidentHandler;
  /** Starts `watch` in the background; returns a function that stops it and waits. */
  startWatching(): () => Promise<void>;
  /** Audit records, oldest first; records written ahead whose outcome has not come yet only with `pending`. */
  records(container?: string, opts?: { pending?: boolean }): Promise<AuditRecord[]>;
  close(): Promise<void>;
}

/** Defaults that keep tests quick: no health port, short waits, test engine only. */
export const fastEnv: Record<string, string> = {
  CHECK_INTERVAL: '2',
  MIN_DEAD_TIME: '2',
  RESTART_SETTLE_TIME: '1',
  HEALTH_PORT: '0',
  LOG_LINES: '50',
};

export async function openHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const ownDir = opts.stateDir === undefined;
  const stateDir = opts.stateDir ?? (await mkdtemp(path.join(tmpdir(), 'doctor-it-')));
  const config = loadConfig({
    env: { ...fastEnv, DOCKER_HOST: testDockerHost(), STATE_DIR: stateDir, ...opts.env },
    // No .env there: an explicit envFile must exist, an implicit ./.env may be absent.
    cwd: stateDir,
  });
  const engine = createDockerEngine(config.dockerHosts[0]!);
  const store = await StateStore.open(stateDir);
  const stories = await StoryStore.open(stateDir);
  const audit = await AuditLog.open(path.join(stateDir, 'audit.jsonl'));
  const feed: FeedEvent[] = [];
  const common = {
    config,
    detector: compileDetector(config.errorPatterns.length > 0 ? config.errorPatterns : undefined),
    store,
    stories,
    audit,
    clock: { now: () => Date.now() },
    feed: (e: FeedEvent) => feed.push(e),
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
    diagnosers: opts.diagnoser ? [opts.diagnoser] : [],
    allowance: opts.allowance,
    notifiers: opts.notifier ? [opts.notifier] : [],
    selfId: opts.selfId,
  };
  const watcher = new Watcher({
    ...common,
    engines: [engine],
    askAi: opts.diagnoser !== undefined,
    recoveryStableMs: opts.recoveryStableMs ?? 1_000,
  });
  return {
    config,
    stateDir,
    engine,
    store,
    audit,
    feed,
    watcher,
    stories,
    handler: () => new IncidentHandler(common),
    startWatching() {
      const controller = new AbortController();
      const running = watcher.run(controller.signal);
      return async () => {
        controller.abort();
        await running;
      };
    },
    async records(container?: string, opts: { pending?: boolean } = {}) {
      const { records } = await readAuditLog(path.join(stateDir, 'audit.jsonl'), { container });
      // A restart's record is written ahead and completed by its outcome line; until then it is pending.
      return records.reverse().filter((r) => opts.pending === true || r.outcome.status !== 'pending');
    },
    async close() {
      await store.save();
      await stories.save();
      await audit.close();
      if (ownDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `doctor` binary (npm test builds first) with a clean, explicit environment. */
export function runCli(args: readonly string[], env: Record<string, string> = {}, opts: { timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'doctor.js'), ...args], {
      cwd: opts.cwd ?? tmpdir(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
