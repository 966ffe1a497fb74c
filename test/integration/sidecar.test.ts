/**
 * The doctor as a sidecar: its image (the Dockerfile's runtime stages, on local stand-ins for the
 * official Node and Alpine images, see test/helpers/sidecar-image.ts) runs on the test engine with
 * a Docker socket mounted at /var/run/docker.sock, as a non-root user given the socket's group,
 * and with a private cgroup namespace, so /proc/self/cgroup names no container (as on cgroup v2
 * hosts) and only mountinfo can tell the doctor which container is its own. The socket it gets is
 * a filtering proxy in front of the engine's that allows only what compose.example.yml allows its
 * proxy.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { HostConfig } from 'dockerode';
import { readAuditLog } from '../../src/adapters/audit/audit-log.js';
import type { AuditRecord } from '../../src/core/types.js';
import { repoRoot } from '../helpers/doctor-harness.js';
import { TEST_LABEL, removeAllTestContainers, requireEngine, runContainer, testDocker, testDockerHost, waitFor, type TestContainer } from '../helpers/engine.js';
import { DOCTOR_API_CALLS, readComposeAllowList, startApiFilterProxy, type ApiFilterProxy } from '../helpers/api-filter-proxy.js';
import { buildDoctorImage, dockerCli, ensureStandInImages, removeImage } from '../helpers/sidecar-image.js';

const STATE_DIR = '/var/lib/container-doctor';
const NS = 1_000_000; // the Engine API takes durations in nanoseconds

/**
 * The instructions of a Dockerfile's runtime stages (every stage but `build`), one string each:
 * continuation lines joined with one space, comments and blank lines dropped.
 */
function runtimeStages(file: string): string[] {
  const instructions: string[] = [];
  let pending = '';
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    instructions.push(pending + line);
    pending = '';
  }
  if (pending !== '') instructions.push(pending.trim());
  const first = instructions.findIndex((i) => /^FROM\s/i.test(i) && !/\sAS\s+build$/i.test(i));
  assert.ok(first >= 0, `${file} has no runtime stage`);
  return instructions.slice(first);
}

/** The socket the test engine listens on, to mount into the doctor's container. */
function engineSocketPath(): string {
  const host = testDockerHost();
  if (!host.startsWith('unix://')) throw new Error(`the sidecar test mounts the engine's socket; DOCTOR_TEST_DOCKER_HOST must be unix://, not ${host}`);
  return host.slice('unix://'.length);
}

interface Feed {
  readonly stdout: string;
  readonly stderr: string;
  readonly events: Array<Record<string, unknown>>;
}

async function readFeed(container: string): Promise<Feed> {
  const { stdout, stderr } = await dockerCli(['logs', container]);
  const events = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { stdout, stderr, events };
}

async function readAudit(container: string): Promise<AuditRecord[]> {
  const { stdout } = await dockerCli(['exec', container, 'cat', `${STATE_DIR}/audit.jsonl`]);
  // The doctor's own reader joins each written-ahead restart record to its outcome line; records
  // still waiting for their outcome are left out, as every other reader of the log does.
  const dir = mkdtempSync(path.join(tmpdir(), 'doctor-sidecar-audit-'));
  try {
    writeFileSync(path.join(dir, 'audit.jsonl'), stdout);
    const { records } = await readAuditLog(path.join(dir, 'audit.jsonl'));
    return records.filter((r) => r.outcome.status !== 'pending');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the doctor as a sidecar container', () => {
  let image: string | undefined;
  let doctor: TestContainer;
  let worker: TestContainer;
  let doctorStartedAt: string;
  let proxy: ApiFilterProxy | undefined;

  before(async () => {
    await requireEngine();
    await ensureStandInImages();
    image = await buildDoctorImage();

    // Crashes once with an error a restart fixes, then stays up: it only runs "up again" if
    // someone started it a second time (its writable layer keeps the marker across restarts).
    worker = await runContainer({
      name: 'sidecar-worker',
      cmd: 'if [ -f /tmp/crashed ]; then echo "worker up again"; exec sleep 3600; fi; touch /tmp/crashed; echo "worker starting"; sleep 2; echo "Error: connect ECONNREFUSED 10.213.0.9:5432" >&2; exit 1',
    });

    const name = `dt-sidecar-doctor-${randomBytes(4).toString('hex')}`;
    const socket = engineSocketPath();
    // The allow-list compose.example.yml gives its socket proxy, enforced the same way.
    proxy = await startApiFilterProxy(socket, await readComposeAllowList(path.join(repoRoot, 'compose.example.yml')));
    // CgroupnsMode (Engine API 1.41) is missing from @types/dockerode.
    const hostConfig: HostConfig & { CgroupnsMode: 'private' | 'host' } = {
      Binds: [`${proxy.socketPath}:/var/run/docker.sock`],
      GroupAdd: [String(statSync(socket).gid)],
      CgroupnsMode: 'private',
      // The hardening compose.example.yml applies.
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges:true'],
    };
    const created = await testDocker().createContainer({
      name,
      Image: image,
      Labels: { [TEST_LABEL]: '1' },
      // The doctor is told to watch itself too: it must still leave its own container alone.
      Env: [`TARGET_CONTAINERS=${worker.name},${name}`, 'CHECK_INTERVAL=2', 'MIN_DEAD_TIME=2', 'RESTART_SETTLE_TIME=1'],
      // No Test: the engine keeps the image's HEALTHCHECK command and takes only the faster timing.
      Healthcheck: { Interval: 1000 * NS, Timeout: 5000 * NS, Retries: 3 },
      HostConfig: hostConfig,
    });
    doctor = { id: created.id, name };
    await created.start();
    doctorStartedAt = (await created.inspect()).State.StartedAt;
  });

  after(async () => {
    if (doctor) await testDocker().getContainer(doctor.id).remove({ force: true, v: true }).catch(() => undefined);
    await removeAllTestContainers();
    if (image) await removeImage(image);
    await proxy?.close();
  });

  test("the test image's recipe is the real Dockerfile's runtime stages", () => {
    const real = runtimeStages(path.join(repoRoot, 'Dockerfile'));
    const stand = runtimeStages(path.join(repoRoot, 'test', 'fixtures', 'sidecar', 'Dockerfile.test'));
    // The differences allowed, and only these (the FROM lines are the same; their ARG defaults,
    // above the first FROM, name the stand-ins):
    // - the real stage's package and user line: apk cannot run here, and the stand-in base is made
    //   with its effect (the libraries node links, the `node` user and group);
    const apkLine = 'RUN apk add --no-cache libstdc++ libgcc && addgroup -g 1000 node && adduser -u 1000 -G node -s /bin/sh -D node';
    // - the bundle comes from the host's `npm run build`, not from the build stage.
    const bundle = { real: 'COPY --from=build /app/dist ./dist', stand: 'COPY dist ./dist' };
    assert.equal(real.filter((l) => l === apkLine).length, 1, `the real runtime stage has the line the stand-in base stands for: ${apkLine}`);
    assert.equal(real.filter((l) => l === bundle.real).length, 1, `the real runtime stage copies the bundle with: ${bundle.real}`);
    const expected = real.filter((l) => l !== apkLine).map((l) => (l === bundle.real ? bundle.stand : l));
    assert.deepEqual(stand, expected);
    // The bundle holds every dependency: the runtime stage installs no npm package.
    assert.ok(!real.some((l) => /^RUN npm\b|node_modules/.test(l)), 'the real runtime stage installs no npm packages');
  });

  test('runs as the non-root user and recognises its own container from mountinfo', async () => {
    const info = await testDocker().getContainer(doctor.id).inspect();
    assert.equal(info.Config.User, 'node');
    const { stdout: id } = await dockerCli(['exec', doctor.name, 'id', '-u']);
    assert.equal(id.trim(), '1000');
    // A private cgroup namespace hides the container id from /proc/self/cgroup, as on cgroup v2.
    const { stdout: cgroup } = await dockerCli(['exec', doctor.name, 'cat', '/proc/self/cgroup']);
    assert.ok(!cgroup.includes(doctor.id), `cgroup names the container: ${cgroup}`);
    // The doctor names the container it found itself in on its `started` line.
    const started = await waitFor(async () => (await readFeed(doctor.name)).events.find((e) => e.type === 'started'), { what: 'the started line' });
    assert.equal(started['self'], doctor.id);
  });

  test("serves /health to the engine's health check: the container turns healthy", async () => {
    const health = await waitFor(
      async () => {
        const state = (await testDocker().getContainer(doctor.id).inspect()).State;
        if (!state.Running) throw new Error(`the doctor is ${state.Status}: ${(await readFeed(doctor.name)).stderr}`);
        return state.Health?.Status === 'healthy' ? state.Health : undefined;
      },
      { timeoutMs: 30_000, what: 'the doctor container to turn healthy' },
    );
    const info = await testDocker().getContainer(doctor.id).inspect();
    assert.deepEqual(info.Config.Healthcheck?.Test, ['CMD', 'node', 'bin/doctor.js', 'healthcheck']);
    assert.equal(health.Log.at(-1)?.ExitCode, 0);
  });

  test('restarts a crashed sibling', async () => {
    const restarted = await waitFor(
      async () => (await readAudit(doctor.name)).find((r) => r.container.name === worker.name && r.decision.action === 'restart'),
      { timeoutMs: 30_000, what: 'an audit record of restarting the worker' },
    );
    assert.equal(restarted.decision.executed, true);
    assert.equal(restarted.evidence.exitCode, 1);
    await waitFor(
      async () => {
        const { stdout } = await dockerCli(['logs', worker.name]);
        const state = (await testDocker().getContainer(worker.id).inspect()).State;
        return state.Running && stdout.includes('worker up again');
      },
      { timeoutMs: 15_000, what: 'the worker to run again' },
    );
  });

  test('never restarts itself, even when targeted and its own logs show fatal errors', async () => {
    // Written to PID 1's stderr, so the lines land in the doctor container's own log stream.
    await dockerCli([
      'exec',
      doctor.name,
      'node',
      '-e',
      "require('fs').appendFileSync('/proc/1/fd/2', 'FATAL: panic: runtime error: invalid memory address or nil pointer dereference\\nError: connect ECONNREFUSED 10.213.0.9:5432\\n')",
    ]);
    const cyclesBefore = (await readFeed(doctor.name)).events.filter((e) => e.type === 'cycle').length;
    // Two more reconcile cycles: the doctor has looked at every target since the errors appeared.
    await waitFor(async () => (await readFeed(doctor.name)).events.filter((e) => e.type === 'cycle').length >= cyclesBefore + 2, {
      timeoutMs: 20_000,
      what: 'two reconcile cycles',
    });
    const feed = await readFeed(doctor.name);
    assert.match(feed.stderr, /FATAL: panic/);
    // Two targets named, one watched: the worker. Its own container is dropped from the list.
    assert.equal(feed.events.findLast((e) => e.type === 'cycle')?.['targets'], 1);
    const audit = await readAudit(doctor.name);
    assert.deepEqual(audit.filter((r) => r.container.id === doctor.id || r.container.name === doctor.name), []);
    assert.ok(!feed.events.some((e) => e.type === 'restarting' && e.container === doctor.name));
    const state = (await testDocker().getContainer(doctor.id).inspect()).State;
    assert.equal(state.Running, true);
    assert.equal(state.StartedAt, doctorStartedAt);
  });

  test('ends within moments of docker stop, through its SIGTERM handler', async (t) => {
    const started = performance.now();
    await testDocker().getContainer(doctor.id).stop({ t: 10 });
    const elapsedMs = performance.now() - started;
    t.diagnostic(`docker stop took ${elapsedMs.toFixed(0)} ms`);
    const state = (await testDocker().getContainer(doctor.id).inspect()).State;
    // 137 would be the SIGKILL Docker sends when the 10 s stop timeout runs out.
    assert.equal(state.ExitCode, 0);
    assert.ok(elapsedMs < 9_000, `docker stop took ${elapsedMs.toFixed(0)} ms: the stop timeout ran out`);
    const feed = await readFeed(doctor.name);
    assert.deepEqual(feed.events.at(-1)?.['type'], 'stopped');
    assert.equal(feed.events.at(-1)?.['reason'], 'SIGTERM');
  });

  test("needs no Engine API call beyond docs/sidecar.md's list and the compose example's proxy allow-list", (t) => {
    const seen = proxy?.seen ?? [];
    const kinds = new Set(seen.map((r) => `${r.method} ${(r.url.split('?')[0] ?? '').replace(/[0-9a-f]{64}|dt-[a-z0-9-]+/g, '{id}')}`));
    t.diagnostic(`calls seen: ${[...kinds].join(', ')}`);
    assert.deepEqual(seen.filter((r) => !r.allowed), []);
    // And the list holds nothing the doctor does not use: every call on it was made.
    for (const call of DOCTOR_API_CALLS) {
      assert.ok(
        seen.some((r) => r.method === call.method && call.path.test(r.url.split('?')[0] ?? '')),
        `no ${call.method} ${call.path} among ${seen.length} requests`,
      );
    }
  });
});
