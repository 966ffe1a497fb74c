/**
 * The real Docker Engine the integration tests run against, and containers made for them.
 * Every container is named `dt-...`, labelled `doctor.test=1` and removed by
 * removeAllTestContainers(); tests never touch containers they did not create.
 */
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { createDockerEngine } from '../../src/adapters/docker/docker-engine.js';
import { createDockerodeClient } from './dockerode-client.js';

/** The local busybox image scripts/test-engine.sh builds (no registry needed). */
export const TEST_IMAGE = 'doctor-test/busybox:1';

/** The label every test container carries. */
export const TEST_LABEL = 'doctor.test';

/** DOCKER_HOST of the test engine. */
export function testDockerHost(): string {
  return process.env['DOCTOR_TEST_DOCKER_HOST'] ?? 'unix:///tmp/doctor-test/docker.sock';
}

let client: Docker | undefined;

/** A raw dockerode client on the test engine, for arranging scenes (kill, stop, exec). */
export function testDocker(): Docker {
  client ??= createDockerodeClient(testDockerHost());
  return client;
}

/**
 * Fails (never skips) when the test engine or its image is missing, with the fix in the message.
 */
export async function requireEngine(): Promise<void> {
  const host = testDockerHost();
  const hint = `start it with: scripts/test-engine.sh start (or point DOCTOR_TEST_DOCKER_HOST at an engine that has ${TEST_IMAGE})`;
  try {
    await createDockerEngine(host, { requestTimeoutMs: 5000 }).ping();
  } catch (error) {
    throw new Error(`The test Docker Engine at ${host} is not reachable (${(error as Error).message}); ${hint}`);
  }
  try {
    await testDocker().getImage(TEST_IMAGE).inspect();
  } catch {
    throw new Error(`The test Docker Engine at ${host} has no image ${TEST_IMAGE}; ${hint}`);
  }
}

/** What a test container should do and how Docker should treat it. */
export interface RunOptions {
  /** A hint added to the generated name (`dt-<name>-<random>`). */
  readonly name?: string;
  /** Run with `sh -c`. */
  readonly cmd: string;
  /** Default TEST_IMAGE; a local tag of it (see tagTestImage) to look like another image. */
  readonly image?: string;
  readonly labels?: Record<string, string>;
  /** As the CLI spells it: `no`, `always`, `unless-stopped`, `on-failure`, `on-failure:3`. */
  readonly restartPolicy?: string;
  /** Memory limit in bytes; swap is limited to the same, so the limit is hard (OOM kill). */
  readonly memory?: number;
  /** A `CMD-SHELL` health check. */
  readonly healthcheck?: { readonly test: string; readonly intervalMs: number; readonly retries: number; readonly startPeriodMs?: number; readonly timeoutMs?: number };
  readonly tty?: boolean;
  /** `NAME=value` entries. */
  readonly env?: readonly string[];
  /** `HostConfig.LogConfig.Type`, e.g. `none`; default the engine's (json-file). */
  readonly logDriver?: string;
  /** Default true; false leaves it created. */
  readonly start?: boolean;
  /** `Config.StopSignal` (`docker run --stop-signal`), e.g. `SIGUSR1`. */
  readonly stopSignal?: string;
  /** `docker run --rm`: the engine removes it as soon as it exits. */
  readonly autoRemove?: boolean;
  /** `HostConfig.NetworkMode`: `container:<id>` to share another's namespace, or a network name. */
  readonly networkMode?: string;
  /** A user-defined network to attach it to at create time, with extra DNS aliases there. */
  readonly network?: { readonly name: string; readonly aliases?: readonly string[] };
}

/** A container this process created. */
export interface TestContainer {
  readonly id: string;
  readonly name: string;
}

const created = new Set<string>();

/** Creates (and by default starts) a uniquely named, labelled test container. */
export async function runContainer(opts: RunOptions): Promise<TestContainer> {
  const suffix = randomBytes(4).toString('hex');
  const name = opts.name ? `dt-${slug(opts.name)}-${suffix}` : `dt-${suffix}`;
  const ms = 1_000_000; // the API takes durations in nanoseconds
  const container = await testDocker().createContainer({
    name,
    Image: opts.image ?? TEST_IMAGE,
    Cmd: ['sh', '-c', opts.cmd],
    Labels: { ...opts.labels, [TEST_LABEL]: '1' },
    Tty: opts.tty ?? false,
    Env: opts.env ? [...opts.env] : [],
    ...(opts.stopSignal ? { StopSignal: opts.stopSignal } : {}),
    ...(opts.healthcheck
      ? {
          Healthcheck: {
            Test: ['CMD-SHELL', opts.healthcheck.test],
            Interval: opts.healthcheck.intervalMs * ms,
            Retries: opts.healthcheck.retries,
            StartPeriod: (opts.healthcheck.startPeriodMs ?? 0) * ms,
            Timeout: (opts.healthcheck.timeoutMs ?? 5000) * ms,
          },
        }
      : {}),
    HostConfig: {
      ...(opts.restartPolicy ? { RestartPolicy: toRestartPolicy(opts.restartPolicy) } : {}),
      ...(opts.memory ? { Memory: opts.memory, MemorySwap: opts.memory } : {}),
      ...(opts.logDriver ? { LogConfig: { Type: opts.logDriver, Config: {} } } : {}),
      ...(opts.autoRemove ? { AutoRemove: true } : {}),
      ...(opts.networkMode ? { NetworkMode: opts.networkMode } : opts.network ? { NetworkMode: opts.network.name } : {}),
    },
    ...(opts.network ? { NetworkingConfig: { EndpointsConfig: { [opts.network.name]: { Aliases: [...(opts.network.aliases ?? [])] } } } } : {}),
  });
  created.add(container.id);
  if (opts.start ?? true) await container.start();
  return { id: container.id, name };
}

/** Force-removes every container this process created. */
export async function removeAllTestContainers(): Promise<void> {
  const ids = [...created];
  created.clear();
  await removeContainers(ids);
}

/** Force-removes these containers (and only these), e.g. before removing the image tag they use. */
export async function removeContainers(ids: readonly string[]): Promise<void> {
  await Promise.all(
    ids.map(async (id) => {
      try {
        await testDocker().getContainer(id).remove({ force: true, v: true });
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode !== 404) throw error;
      }
    }),
  );
}

/**
 * Polls until `predicate` returns a truthy value and returns it; throws after `timeoutMs`.
 * Errors thrown by the predicate count as "not yet" and the last one is reported on timeout.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const intervalMs = opts.intervalMs ?? 100;
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= until) {
      const detail = lastError ? ` (last error: ${(lastError as Error).message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function toRestartPolicy(spec: string): { Name: string; MaximumRetryCount?: number } {
  const [name = 'no', count] = spec.split(':');
  return count === undefined ? { Name: name } : { Name: name, MaximumRetryCount: Number(count) };
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').slice(0, 40);
}
