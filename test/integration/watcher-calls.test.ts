/**
 * What a reconcile cycle costs in Engine API calls (issue 5: light at scale). With the events
 * stream up, a running container is inspected once and then judged from the container list, and
 * a judged exit is not inspected again; an event about the container makes the next cycle look
 * again. The real engine sits behind a wrapper that counts calls per container.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuditLog } from '../../src/adapters/audit/audit-log.js';
import { createDockerEngine } from '../../src/adapters/docker/docker-engine.js';
import { StateStore } from '../../src/adapters/state/state-store.js';
import { StoryStore } from '../../src/adapters/state/story-store.js';
import { loadConfig } from '../../src/config/load-config.js';
import { compileDetector } from '../../src/core/error-patterns.js';
import type { FeedEvent } from '../../src/pipeline/feed.js';
import type { DockerEngine } from '../../src/pipeline/ports.js';
import { Watcher } from '../../src/pipeline/watcher.js';
import { fastEnv } from '../helpers/doctor-harness.js';
import { removeAllTestContainers, requireEngine, runContainer, testDocker, testDockerHost, waitFor } from '../helpers/engine.js';

/** The real engine, counting inspects and log reads per container id. */
function countingEngine(inner: DockerEngine): { engine: DockerEngine; inspects: Map<string, number>; logReads: Map<string, number> } {
  const inspects = new Map<string, number>();
  const logReads = new Map<string, number>();
  const bump = (m: Map<string, number>, id: string) => m.set(id, (m.get(id) ?? 0) + 1);
  const engine: DockerEngine = {
    host: inner.host,
    ping: (signal) => inner.ping(signal),
    listContainers: () => inner.listContainers(),
    inspect: async (id) => {
      const facts = await inner.inspect(id);
      bump(inspects, facts.ref.id);
      return facts;
    },
    readLogs: (ref, opts) => {
      bump(logReads, ref.id);
      return inner.readLogs(ref, opts);
    },
    streamEvents: (opts) => inner.streamEvents(opts),
    readEvents: (opts) => inner.readEvents(opts),
    stop: (ref, opts) => inner.stop(ref, opts),
    start: (ref) => inner.start(ref),
  };
  return { engine, inspects, logReads };
}

describe('reconcile cycles with the events stream up', () => {
  let stateDir: string;
  before(async () => {
    await requireEngine();
    stateDir = await mkdtemp(path.join(tmpdir(), 'doctor-calls-'));
  });
  after(async () => {
    await removeAllTestContainers();
    await rm(stateDir, { recursive: true, force: true });
  });

  test('the container list tells each running container\'s health, as inspect does', async () => {
    const engine = createDockerEngine(testDockerHost());
    const probe = { intervalMs: 300, retries: 1 };
    const healthy = await runContainer({ name: 'list-healthy', cmd: 'exec sleep 600', healthcheck: { test: 'true', ...probe } });
    const unhealthy = await runContainer({ name: 'list-unhealthy', cmd: 'exec sleep 600', healthcheck: { test: 'false', ...probe } });
    const starting = await runContainer({ name: 'list-starting', cmd: 'exec sleep 600', healthcheck: { test: 'true', intervalMs: 600_000, retries: 1 } });
    const plain = await runContainer({ name: 'list-plain', cmd: 'exec sleep 600' });
    const expected = new Map([[healthy.id, 'healthy'], [unhealthy.id, 'unhealthy'], [starting.id, 'starting'], [plain.id, 'none']]);
    await waitFor(async () => {
      const listed = await engine.listContainers();
      return [...expected].every(([id, health]) => listed.find((c) => c.id === id)?.health === health);
    }, { timeoutMs: 20_000, what: 'the list to show healthy, unhealthy, starting and none' });
    for (const [id, health] of expected) assert.equal((await engine.inspect(id)).health.status, health);
  });

  test('inspect a running container and a judged exit once, and again after an event about them', async () => {
    const running = await runContainer({ name: 'calls-running', cmd: 'while :; do echo "INFO tick"; sleep 1; done' });
    const finished = await runContainer({ name: 'calls-finished', cmd: 'echo done; exit 0' });
    await waitFor(async () => !(await testDocker().getContainer(finished.id).inspect()).State.Running, { what: 'the job to finish' });

    const config = loadConfig({
      env: { ...fastEnv, CHECK_INTERVAL: '1', DOCKER_HOST: testDockerHost(), STATE_DIR: stateDir, TARGET_CONTAINERS: `${running.name},${finished.name}` },
      // No .env there: an explicit envFile must exist, an implicit ./.env may be absent.
      cwd: stateDir,
    });
    const counted = countingEngine(createDockerEngine(config.dockerHosts[0]!));
    const store = await StateStore.open(stateDir);
    const audit = await AuditLog.open(path.join(stateDir, 'audit.jsonl'));
    const feed: FeedEvent[] = [];
    const watcher = new Watcher({
      config,
      engines: [counted.engine],
      detector: compileDetector(),
      store,
      stories: await StoryStore.open(stateDir),
      audit,
      clock: { now: () => Date.now() },
      feed: (e) => feed.push(e),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      askAi: false,
    });
    const controller = new AbortController();
    const watching = watcher.run(controller.signal);
    const cycles = () => feed.filter((e) => e.type === 'cycle').length;
    try {
      // Wait until the stream is up and a cycle has run under it, then count over the next four.
      await waitFor(() => watcher.status()[0]!.eventsStreaming, { what: 'the events stream' });
      const firstUnderStream = cycles() + 2;
      await waitFor(() => cycles() >= firstUnderStream, { timeoutMs: 30_000, what: 'two cycles' });
      const inspectsBefore = { running: counted.inspects.get(running.id) ?? 0, finished: counted.inspects.get(finished.id) ?? 0 };
      const readsBefore = counted.logReads.get(running.id) ?? 0;
      await waitFor(() => cycles() >= firstUnderStream + 4, { timeoutMs: 30_000, what: 'four more cycles' });

      assert.equal(counted.inspects.get(running.id) ?? 0, inspectsBefore.running, 'a running container is not inspected every cycle');
      assert.equal(counted.inspects.get(finished.id) ?? 0, inspectsBefore.finished, 'a judged exit is not inspected every cycle');
      assert.ok((counted.logReads.get(running.id) ?? 0) >= readsBefore + 3, 'its new log lines are still read every cycle');
      assert.ok(inspectsBefore.running >= 1 && inspectsBefore.finished >= 1, 'both were inspected at first');

      // A start event (here: the job started again) means what was known no longer holds.
      await testDocker().getContainer(finished.id).start();
      await waitFor(() => (counted.inspects.get(finished.id) ?? 0) > inspectsBefore.finished, { timeoutMs: 30_000, what: 'the job to be looked at again' });
    } finally {
      controller.abort();
      await watching;
      await audit.close();
    }
    const records = feed.filter((e) => e.type === 'incident');
    assert.equal(records.filter((e) => e.type === 'incident' && e.record.container.name === running.name).length, 0, 'the healthy runner is no incident');
  });
});
