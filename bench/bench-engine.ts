/**
 * The benchmark's containers on the test engine: named ahead of time (the doctor under test is
 * told exactly which containers to watch, so it never touches anyone else's), labelled
 * `doctor.test=1` and `doctor.bench=<run>`, followed on the engine's own events stream for
 * reference times, and all removed at the end.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { createDockerodeClient } from '../test/helpers/dockerode-client.js';
import { runLimited } from '../src/pipeline/run-limited.js';
import { repoRoot } from '../test/helpers/doctor-harness.js';
import { TEST_IMAGE, TEST_LABEL } from '../test/helpers/engine.js';

const run = promisify(execFile);

/** A container event as the engine stamped it. */
export interface EngineEvent {
  readonly action: string;
  readonly timeMs: number;
  /** When the bench read it off the stream: the engine's own delivery, as the doctor's stream gets it too. */
  readonly receivedMs: number;
}

export interface BenchContainerSpec {
  readonly cmd: string;
  readonly restartPolicy?: 'no' | 'always' | 'on-failure';
  readonly labels?: Record<string, string>;
  readonly healthcheck?: { readonly test: string; readonly intervalMs: number; readonly retries: number };
}

/** Starts the private test engine with scripts/test-engine.sh unless it already answers. */
export async function ensureTestEngine(docker: Docker, name = 'doctor-test'): Promise<void> {
  try {
    await docker.ping();
    await docker.getImage(TEST_IMAGE).inspect();
    return;
  } catch {
    // start (or finish preparing) it below
  }
  await run(path.join(repoRoot, 'scripts', 'test-engine.sh'), ['start', name], { timeout: 180_000 });
  await docker.ping();
}

export class BenchEngine {
  readonly runId = randomBytes(3).toString('hex');
  readonly docker: Docker;
  private readonly created = new Map<string, string>();
  private readonly events = new Map<string, EngineEvent[]>();
  private readonly waiters = new Set<() => void>();
  private stream: Readable | undefined;

  constructor(readonly host: string) {
    this.docker = createDockerodeClient(host);
  }

  /** `dt-bench-<run>-<kind>-<i>`: known before the container exists. */
  name(kind: string, i: number): string {
    return `dt-bench-${this.runId}-${kind}-${i}`;
  }

  /** Follows the engine's events for this run's containers (reference times for latencies). */
  async followEvents(): Promise<void> {
    const stream = (await this.docker.getEvents({
      filters: { type: ['container'], label: [`doctor.bench=${this.runId}`] },
    })) as Readable;
    this.stream = stream;
    let pending = '';
    stream.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const text = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (!text.trim()) continue;
        const e = JSON.parse(text) as { Action: string; timeNano: number; Actor: { Attributes: Record<string, string> } };
        const name = e.Actor.Attributes['name'] ?? '';
        const list = this.events.get(name) ?? [];
        list.push({ action: e.Action, timeMs: e.timeNano / 1e6, receivedMs: Date.now() });
        this.events.set(name, list);
      }
      for (const wake of this.waiters) wake();
    });
    stream.on('error', () => undefined);
  }

  /** The first event of `name` whose action matches, waiting for it if needed. */
  async waitForEvent(name: string, match: (action: string) => boolean, timeoutMs = 30_000): Promise<EngineEvent> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = (this.events.get(name) ?? []).find((e) => match(e.action));
      if (found) return found;
      if (Date.now() > until) throw new Error(`no ${match.toString()} event for ${name} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, 200);
        this.waiters.add(wake);
      });
    }
  }

  async start(name: string, spec: BenchContainerSpec): Promise<string> {
    const id = await this.create(name, spec);
    await this.docker.getContainer(id).start();
    return id;
  }

  /** Creates a container without starting it (status `created`: listed, never read). */
  async create(name: string, spec: BenchContainerSpec): Promise<string> {
    const ms = 1_000_000;
    const container = await this.docker.createContainer({
      name,
      Image: TEST_IMAGE,
      Cmd: ['sh', '-c', spec.cmd],
      Labels: { ...spec.labels, [TEST_LABEL]: '1', 'doctor.bench': this.runId },
      ...(spec.healthcheck
        ? { Healthcheck: { Test: ['CMD-SHELL', spec.healthcheck.test], Interval: spec.healthcheck.intervalMs * ms, Retries: spec.healthcheck.retries, Timeout: 2_000 * ms } }
        : {}),
      HostConfig: { RestartPolicy: { Name: spec.restartPolicy ?? 'no' } },
    });
    this.created.set(name, container.id);
    return container.id;
  }

  async createMany(names: readonly string[], spec: BenchContainerSpec, concurrency = 6): Promise<void> {
    await runLimited(names, concurrency, async (name) => {
      await this.create(name, spec);
    });
  }

  /** Starts many alike containers, a few at a time. */
  async startMany(names: readonly string[], spec: BenchContainerSpec, concurrency = 6): Promise<void> {
    await runLimited(names, concurrency, async (name) => {
      await this.start(name, spec);
    });
  }

  async inspect(name: string): Promise<Docker.ContainerInspectInfo> {
    return this.docker.getContainer(this.created.get(name) ?? name).inspect();
  }

  /** Force-removes the given containers (default: every one this run created). */
  async remove(names: readonly string[] = [...this.created.keys()]): Promise<void> {
    await runLimited(names, 6, async (name) => {
      const id = this.created.get(name);
      if (!id) return;
      try {
        await this.docker.getContainer(id).remove({ force: true, v: true });
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode !== 404) throw error;
      }
      this.created.delete(name);
    });
  }

  async close(): Promise<void> {
    this.stream?.destroy();
    await this.remove();
  }

  get count(): number {
    return this.created.size;
  }
}
