/**
 * Real operator sequences against the real engine: people stop, kill, pause, rename and remove
 * containers, and the doctor itself is started late, restarted and killed at the moments that
 * matter. Each scene asserts on what the engine says happened (its own start events: who started
 * what) and on the audit log. docs/decision-rules.md, "The story", lists the rules these exercise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readAuditLog } from '../../src/adapters/audit/audit-log.js';
import type { AuditRecord } from '../../src/core/types.js';
import { openHarness, runCli, type Harness } from '../helpers/doctor-harness.js';
import { startDoctorProcess, type DoctorProcess } from '../helpers/doctor-process.js';
import { removeAllTestContainers, removeContainers, requireEngine, runContainer, testDocker, testDockerHost, waitFor, type RunOptions, type TestContainer } from '../helpers/engine.js';
import { countStarts, doctorRestarts, execIn, failOnceThenRun, failTwiceThenRun, statusOf, waitForCycles, waitForRecord, type StartCounter } from '../helpers/scenes.js';
import { processAlive } from '../helpers/process-alive.js';

before(requireEngine);
after(removeAllTestContainers);

/** Two cores: a few scenes at a time, each with its own doctor, label scope and containers. */
const PARALLEL = { concurrency: 3 };
const SCENE_LABEL = 'doctor.scene';

interface Scene {
  readonly scope: string;
  readonly c: TestContainer;
  readonly starts: StartCounter;
  /** A doctor on this scene's STATE_DIR (a second call after `stopDoctor` is the doctor restarted). */
  startDoctor(env?: Record<string, string>): Promise<Harness>;
  stopDoctor(): Promise<void>;
  readonly stateDir: string;
  close(): Promise<void>;
}

/** A container labelled with the scene's scope, and a doctor that watches only that scope (TARGET_LABEL). */
async function scene(run: Omit<RunOptions, 'labels'> & { labels?: Record<string, string> }, env: Record<string, string> = {}): Promise<Scene> {
  const scope = randomBytes(4).toString('hex');
  const c = await runContainer({ ...run, labels: { ...run.labels, [SCENE_LABEL]: scope }, start: false });
  const starts = await countStarts([c.id]);
  const stateDir = await mkdtemp(path.join(tmpdir(), 'doctor-life-'));
  let current: { h: Harness; stop: () => Promise<void> } | undefined;
  const s: Scene = {
    scope,
    c,
    starts,
    stateDir,
    async startDoctor(extra = {}) {
      const h = await openHarness({ env: { CHECK_INTERVAL: '1', TARGET_LABEL: `${SCENE_LABEL}=${scope}`, ...env, ...extra }, stateDir });
      const stop = h.startWatching();
      await waitFor(() => h.watcher.status()[0]?.eventsStreaming, { what: 'the events stream' });
      current = { h, stop };
      return h;
    },
    async stopDoctor() {
      if (!current) return;
      await current.stop();
      await current.h.close();
      current = undefined;
    },
    async close() {
      starts.close();
      await s.stopDoctor();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
  return s;
}

async function withScene(run: Parameters<typeof scene>[0], env: Record<string, string>, body: (s: Scene) => Promise<void>): Promise<void> {
  const s = await scene(run, env);
  try {
    await body(s);
  } finally {
    await s.close();
  }
}

const container = (c: TestContainer) => testDocker().getContainer(c.id);

/** Until the container has printed `text`: its signal traps are set (a PID 1 without a handler ignores TERM and HUP). */
async function waitForOutput(c: TestContainer, text: string): Promise<void> {
  await waitFor(async () => String(await container(c).logs({ stdout: true, stderr: true })).includes(text), { what: `${c.name} to print ${text}` });
}
const exited = (c: TestContainer) => waitFor(async () => (await statusOf(c.id)) === 'exited', { what: `${c.name} to exit`, timeoutMs: 90_000 });

async function records(stateDir: string, name: string): Promise<AuditRecord[]> {
  const { readAuditLog } = await import('../../src/adapters/audit/audit-log.js');
  return (await readAuditLog(path.join(stateDir, 'audit.jsonl'), { container: name })).records.reverse();
}

function brief(rs: readonly AuditRecord[]): string {
  return JSON.stringify(rs.map((r) => ({ trigger: r.trigger.kind, exit: r.evidence.exitCode, action: r.decision.action, guardrail: r.decision.guardrail, reason: r.decision.reason, outcome: r.outcome.status })), null, 1);
}

describe('a person stopped it: the doctor never undoes that', PARALLEL, () => {
  test('a doctor started after a person\'s docker stop (no state at all) leaves it stopped', async () => {
    await withScene({ name: 'late-doctor', cmd: 'sleep 3600' }, {}, async (s) => {
      await container(s.c).start();
      await container(s.c).stop({ t: 1 });
      await exited(s.c);
      const h = await s.startDoctor();
      const r = await waitForRecord(h, s.c.name, () => true, 'the found-stopped record');
      await waitForCycles(h, 2);
      assert.equal(r.decision.guardrail, 'manual-stop', brief([r]));
      assert.equal(s.starts.count(s.c.id), 1, 'only the first start: the doctor did not start it');
      assert.equal(await statusOf(s.c.id), 'exited');
    });
  });

  test('a doctor restarted after a person stopped it (its saved cursor behind the stop) leaves it stopped', async () => {
    await withScene({ name: 'doctor-restarted', cmd: 'sleep 3600' }, {}, async (s) => {
      await s.startDoctor();
      await container(s.c).start();
      await waitFor(async () => (await statusOf(s.c.id)) === 'running', { what: 'running' });
      await s.stopDoctor();
      await container(s.c).stop({ t: 1 });
      await exited(s.c);
      const h = await s.startDoctor();
      await waitForRecord(h, s.c.name, () => true, 'the found-stopped record');
      await waitForCycles(h, 3);
      const rs = await h.records(s.c.name);
      assert.ok(rs.every((r) => r.decision.action !== 'restart'), brief(rs));
      assert.equal(rs[0]?.decision.guardrail, 'manual-stop', brief(rs));
      assert.equal(s.starts.count(s.c.id), 1);
    });
  });

  test('a stop whose drain takes longer than 30 s is still the person\'s stop', async () => {
    // The app drains for 32 s on SIGTERM, as a worker with compose stop_grace_period: 60s does.
    const cmd = "trap 'echo draining; sleep 32; echo drained; exit 143' TERM; echo ready; while :; do sleep 1; done";
    await withScene({ name: 'long-drain', cmd }, {}, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      await waitForOutput(s.c, 'ready');
      await container(s.c).stop({ t: 60 });
      await exited(s.c);
      const r = await waitForRecord(h, s.c.name, (x) => x.trigger.kind === 'die', 'the die record');
      await waitForCycles(h, 2);
      assert.equal(r.evidence.exitCode, 143);
      assert.equal(r.decision.guardrail, 'manual-stop', brief([r]));
      assert.ok(r.decision.reason.includes('SIGTERM'), r.decision.reason);
      assert.equal(s.starts.count(s.c.id), 1);
      assert.equal(await statusOf(s.c.id), 'exited');
    });
  });

  test('a person\'s stop of a container whose health check fails while it drains is not undone', async () => {
    // Draining apps fail their health check: the TERM handler makes the probe fail at once.
    const cmd = "trap 'touch /tmp/draining; sleep 6; exit 0' TERM; while :; do sleep 1; done";
    await withScene({ name: 'stop-unhealthy', cmd, healthcheck: { test: '[ ! -f /tmp/draining ]', intervalMs: 300, retries: 1 } }, {}, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      await waitFor(async () => (await container(s.c).inspect()).State.Health?.Status === 'healthy', { what: 'healthy', timeoutMs: 45_000 });
      const stopping = container(s.c).stop({ t: 30 });
      await waitFor(async () => (await container(s.c).inspect()).State.Health?.Status === 'unhealthy', { what: 'unhealthy while draining' });
      await stopping;
      await exited(s.c);
      await waitForCycles(h, 2);
      assert.equal(doctorRestarts(h, s.c.name), 0, 'the doctor never began a restart');
      assert.equal(s.starts.count(s.c.id), 1);
      assert.equal(await statusOf(s.c.id), 'exited');
    });
  });

  test('docker diagnose --fix on a container a person stopped does not start it', async () => {
    await withScene({ name: 'diagnose-fix', cmd: 'echo "Error: something" >&2; sleep 3600' }, {}, async (s) => {
      await container(s.c).start();
      await container(s.c).stop({ t: 1 });
      await exited(s.c);
      const result = await runCli(['diagnose', s.c.name, '--fix', '--no-ai', '--json'], { DOCKER_HOST: testDockerHost(), STATE_DIR: s.stateDir });
      const out = JSON.parse(result.stdout) as { decision: { action: string; guardrail: string }; story: Array<{ kind: string; by?: string }> };
      assert.equal(out.decision.guardrail, 'manual-stop', result.stdout);
      assert.ok(out.story.some((st) => st.kind === 'kill' && st.by === 'person'), 'the report shows the person\'s kill');
      assert.equal(s.starts.count(s.c.id), 1);
      assert.equal(await statusOf(s.c.id), 'exited');
    });
  });

  test('a person\'s stop during the doctor\'s settle check wins: no "did not help", and it stays stopped', async () => {
    const run = { name: 'stop-in-settle', cmd: failOnceThenRun('echo "Error: boom" >&2; exit 1') };
    await withScene(run, { RESTART_SETTLE_TIME: '6' }, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      await waitFor(() => doctorRestarts(h, s.c.name) > 0, { what: 'the doctor restarting it' });
      await waitFor(async () => (await statusOf(s.c.id)) === 'running', { what: 'running again' });
      await container(s.c).stop({ t: 1 });
      const r = await waitForRecord(h, s.c.name, (x) => x.decision.action === 'restart', 'the restart record', 30_000);
      await waitForCycles(h, 3);
      const rs = await h.records(s.c.name);
      assert.equal(r.outcome.status, 'stopped-by-person', brief(rs));
      assert.ok(!rs.some((x) => /did not help/.test(x.decision.reason)), brief(rs));
      assert.equal(s.starts.count(s.c.id), 2, `its own start and the doctor's restart, nothing after the person's stop: ${brief(rs)} ${JSON.stringify(h.stories.story(h.engine.host, s.c.id)?.steps)}`);
      assert.equal(await statusOf(s.c.id), 'exited');
    });
  });
});

/**
 * A run that began less than a second after the previous one ended (Docker's restart policy
 * starts it again in about 100 ms, the doctor's restart of an exited container in a few hundred):
 * a person's stop of that run is theirs, never taken for the crash before it.
 */
describe('a person\'s stop right after a restart is still the person\'s', PARALLEL, () => {
  const crashOnce = failOnceThenRun('sleep 1; echo "fatal: boom" >&2; exit 1');

  test('docker kill of the run the doctor started is not restarted', async () => {
    await withScene({ name: 'kill-after-restart', cmd: crashOnce }, { RESTART_SETTLE_TIME: '3', MIN_DEAD_TIME: '0' }, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      await waitForRecord(h, s.c.name, (x) => x.decision.action === 'restart' && x.outcome.status === 'restarted', 'the restart that held', 30_000);
      await container(s.c).kill();
      await exited(s.c);
      const r = await waitForRecord(h, s.c.name, (x) => x.evidence.exitCode === 137, 'the record of the kill');
      await waitForCycles(h, 3);
      const rs = await h.records(s.c.name);
      assert.equal(r.decision.guardrail, 'manual-stop', brief(rs));
      assert.equal(s.starts.count(s.c.id), 2, `its own start and the doctor's restart, nothing after the kill: ${brief(rs)}`);
      assert.equal(await statusOf(s.c.id), 'exited');
    });
  });

  test('docker stop of a run Docker\'s policy started is left stopped, with the doctor watching', async () => {
    await withScene({ name: 'stop-after-policy', cmd: crashOnce, restartPolicy: 'always' }, {}, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      await waitFor(async () => s.starts.count(s.c.id) === 2 && (await statusOf(s.c.id)) === 'running', { what: 'Docker starting it again' });
      await waitForRecord(h, s.c.name, (x) => x.evidence.exitCode === 1, 'the crash record');
      await container(s.c).stop({ t: 1 });
      await exited(s.c);
      await waitForRecord(h, s.c.name, (x) => x.evidence.exitCode === 137, 'the record of the stop');
      await waitForCycles(h, 3);
      const rs = await h.records(s.c.name);
      assert.ok(rs.every((x) => x.decision.action !== 'restart' && x.decision.action !== 'escalate'), brief(rs));
      assert.equal(s.starts.count(s.c.id), 2, brief(rs));
      assert.equal(await statusOf(s.c.id), 'exited');
    });
  });

  test('docker stop while the doctor was down, of a run Docker\'s policy started, is left stopped', async () => {
    await withScene({ name: 'stop-while-down', cmd: crashOnce, restartPolicy: 'always' }, {}, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      await waitFor(async () => s.starts.count(s.c.id) === 2 && (await statusOf(s.c.id)) === 'running', { what: 'Docker starting it again' });
      await waitForRecord(h, s.c.name, (x) => x.evidence.exitCode === 1, 'the crash record');
      await s.stopDoctor();
      await container(s.c).stop({ t: 1 });
      await exited(s.c);
      const next = await s.startDoctor();
      await waitForCycles(next, 3);
      const rs = await next.records(s.c.name);
      assert.ok(rs.every((x) => x.decision.action !== 'restart' && x.decision.action !== 'escalate'), brief(rs));
      assert.equal(s.starts.count(s.c.id), 2, brief(rs));
      assert.equal(await statusOf(s.c.id), 'exited');
    });
  });
});

describe('signals, pauses and reloads are not stops', PARALLEL, () => {
  test('after docker kill -s HUP (a reload), a real crash is still restarted', async () => {
    const cmd = failOnceThenRun("trap 'echo reloaded' HUP; echo ready; i=0; while [ $i -lt 5 ]; do sleep 1; i=$((i+1)); done; echo 'Error: worker crashed' >&2; exit 1");
    await withScene({ name: 'hup-then-crash', cmd }, {}, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      await waitForOutput(s.c, 'ready');
      await container(s.c).kill({ signal: 'HUP' });
      const r = await waitForRecord(h, s.c.name, (x) => x.decision.action === 'restart', 'a restart', 30_000);
      assert.equal(r.outcome.status, 'restarted', brief([r]));
      assert.equal(s.starts.count(s.c.id), 2);
    });
  });

  test('paused then unpaused: Docker\'s unhealthy from the paused probes does not get it restarted', async () => {
    await withScene({ name: 'pause', cmd: 'sleep 3600', healthcheck: { test: 'true', intervalMs: 500, retries: 1, timeoutMs: 1000 } }, {}, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      await waitFor(async () => (await container(s.c).inspect()).State.Health?.Status === 'healthy', { what: 'healthy', timeoutMs: 45_000 });
      await container(s.c).pause();
      await waitFor(async () => (await container(s.c).inspect()).State.Health?.Status === 'unhealthy', { what: 'unhealthy while paused', timeoutMs: 20_000 });
      await container(s.c).unpause();
      await waitFor(async () => (await container(s.c).inspect()).State.Health?.Status === 'healthy', { what: 'healthy again', timeoutMs: 45_000 });
      await waitForCycles(h, 2);
      assert.equal(doctorRestarts(h, s.c.name), 0);
      assert.equal(s.starts.count(s.c.id), 1);
    });
  });

  test('a batch job that exits 0 after a child was OOM-killed is not re-run', async () => {
    // `tail` keeps its whole input when it has no newline: it is OOM-killed; the job goes on and finishes.
    // The kernel picks the victim, and on a loaded machine it now and then picks the shell (PID 1) instead:
    // then the scene's premise (a job that exited 0) did not happen, and it is played again in a new container.
    const cmd = 'head -c 96m /dev/zero | sh -c "echo 1000 > /proc/self/oom_score_adj; exec tail -n 1" > /dev/null; echo "batch done"; exit 0';
    const exits: number[] = [];
    for (let attempt = 1; attempt <= 3 && exits.at(-1) !== 0; attempt++) {
      await withScene({ name: 'job-child-oom', cmd, memory: 16 * 1024 * 1024 }, {}, async (s) => {
        const h = await s.startDoctor();
        await container(s.c).start();
        await exited(s.c);
        const r = await waitForRecord(h, s.c.name, (x) => x.trigger.kind === 'die', 'the die record');
        exits.push(r.evidence.exitCode ?? -1);
        if (r.evidence.exitCode !== 0) return;
        await waitForCycles(h, 2);
        assert.equal(r.decision.guardrail, 'completed', brief([r]));
        assert.equal(s.starts.count(s.c.id), 1);
      });
    }
    assert.equal(exits.at(-1), 0, `the job never exited 0 (exits: ${exits.join(', ')}): the kernel killed the shell every time`);
  });
});

describe('a person\'s terminating signal that the process ignores', () => {
  test('term-ignored: docker kill -s TERM that PID 1 ignores, then unhealthy, then exit 1: escalated each time, never a silent stop on purpose', async () => {
    // A PID 1 without a TERM handler runs on after `docker kill -s TERM` (Docker sends only the
    // signal, and no stop event). Past its stop timeout (1 s here) and the slack, it is not draining.
    const cmd = "echo ready; while [ ! -f /tmp/die ]; do sleep 0.2; done; echo 'Error: worker crashed' >&2; exit 1";
    const healthcheck = { test: '[ ! -f /tmp/sick ]', intervalMs: 300, retries: 1 };
    await withScene({ name: 'term-ignored', cmd, healthcheck, labels: { 'doctor.stop-timeout': '1' } }, {}, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      await waitForOutput(s.c, 'ready');
      await waitFor(async () => (await container(s.c).inspect()).State.Health?.Status === 'healthy', { what: 'healthy', timeoutMs: 45_000 });
      await container(s.c).kill({ signal: 'SIGTERM' });
      // Past the drain bound: the 1 s stop timeout and the 2 s slack.
      await new Promise((r) => setTimeout(r, 4_000));
      assert.equal(await statusOf(s.c.id), 'running', 'the premise: TERM was ignored');
      await execIn(s.c.id, ['touch', '/tmp/sick']);
      const sick = await waitForRecord(h, s.c.name, (x) => x.trigger.kind === 'unhealthy', 'the unhealthy record');
      await execIn(s.c.id, ['touch', '/tmp/die']);
      await exited(s.c);
      const r = await waitForRecord(h, s.c.name, (x) => x.trigger.kind === 'die', 'the die record');
      await waitForCycles(h, 2);
      const rs = await h.records(s.c.name);
      assert.equal(r.evidence.exitCode, 1, brief(rs));
      assert.deepEqual([r.decision.action, r.decision.guardrail], ['escalate', 'stop-ignored'], brief(rs));
      assert.ok(r.decision.reason.includes('exit code 1') && r.decision.reason.includes('SIGTERM') && r.decision.reason.includes('start it by hand'), r.decision.reason);
      assert.deepEqual([sick.decision.action, sick.decision.guardrail], ['escalate', 'stop-ignored'], brief([sick]));
      assert.ok(sick.decision.reason.includes('SIGTERM'), sick.decision.reason);
      assert.ok(rs.every((x) => x.decision.guardrail !== 'manual-stop'), `never recorded as stopped on purpose: ${brief(rs)}`);
      assert.equal(doctorRestarts(h, s.c.name), 0, brief(rs));
      assert.equal(s.starts.count(s.c.id), 1);
      assert.equal(await statusOf(s.c.id), 'exited');
    });
  });
});

describe('what the doctor knows before acting', PARALLEL, () => {
  test('an exit older than FRESH_EXIT_WINDOW found at start-up is reported once and left alone', async () => {
    await withScene({ name: 'old-exit', cmd: 'echo "Error: crashed" >&2; exit 1' }, { FRESH_EXIT_WINDOW: '2' }, async (s) => {
      await container(s.c).start();
      await exited(s.c);
      await new Promise((r) => setTimeout(r, 4_000));
      const h = await s.startDoctor();
      const r = await waitForRecord(h, s.c.name, () => true, 'the found-dead record');
      await waitForCycles(h, 3);
      assert.equal(r.decision.guardrail, 'stale-exit', brief([r]));
      assert.equal((await h.records(s.c.name)).length, 1, 'reported once');
      assert.equal(s.starts.count(s.c.id), 1);
    });
  });

  test('on-failure:1: the one retry Docker is making is not taken for retries used up', async () => {
    // Docker counts the retry (RestartCount 1 of 1) as it schedules it, and shows "restarting"
    // for its 100 ms backoff: the doctor must leave that start to Docker.
    await withScene({ name: 'on-failure-1', cmd: failOnceThenRun('sleep 1; echo "fatal: boom" >&2; exit 1'), restartPolicy: 'on-failure:1' }, { MIN_DEAD_TIME: '0' }, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      await waitForRecord(h, s.c.name, (x) => x.evidence.exitCode === 1, 'the crash record');
      await waitForCycles(h, 3);
      const rs = await h.records(s.c.name);
      assert.equal(doctorRestarts(h, s.c.name), 0, brief(rs));
      assert.equal(s.starts.count(s.c.id), 2, `its own start and Docker's one retry: ${brief(rs)}`);
      assert.equal(await statusOf(s.c.id), 'running');
    });
  });

  test('a person\'s docker start while the doctor reads the logs wins: the doctor does not restart their run', async () => {
    await withScene({ name: 'start-in-gather', cmd: failOnceThenRun('echo "fatal: boom" >&2; exit 1') }, {}, async (s) => {
      const h = await openHarness({ stateDir: s.stateDir, env: { TARGET_LABEL: `${SCENE_LABEL}=${s.scope}` } });
      try {
        await container(s.c).start();
        await exited(s.c);
        const info = await container(s.c).inspect();
        // The person's start lands while the doctor reads the log tail of the crash.
        let started = false;
        const engine = new Proxy(h.engine, {
          get(target, key) {
            if (key !== 'readLogs') {
              const value = Reflect.get(target, key, target) as unknown;
              return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
            }
            return async (...args: Parameters<typeof target.readLogs>) => {
              if (!started) {
                started = true;
                await container(s.c).start();
              }
              return target.readLogs(...args);
            };
          },
        });
        const result = await h.handler().handle({ engine, id: s.c.id, trigger: { kind: 'die', at: info.State.FinishedAt, event: 'die', exitCode: 1 }, act: true, record: true, askAi: false });
        assert.ok(started, 'the logs were read');
        assert.notEqual(result?.decision.action, 'restart', JSON.stringify(result?.decision));
        assert.equal(doctorRestarts(h, s.c.name), 0);
        assert.equal(s.starts.count(s.c.id), 2, 'its first start and the person\'s');
        assert.equal(await statusOf(s.c.id), 'running');
      } finally {
        await h.close();
      }
    });
  });

  test('a --rm container that fails is escalated and never restarted', async () => {
    await withScene({ name: 'rm', cmd: 'echo "Error: job failed" >&2; sleep 1; exit 3', autoRemove: true }, {}, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      const r = await waitForRecord(h, s.c.name, () => true, 'the escalation');
      assert.equal(r.decision.action, 'escalate', brief([r]));
      assert.equal(r.decision.guardrail, 'removed');
      assert.equal(doctorRestarts(h, s.c.name), 0, 'no restart attempted');
    });
  });

  test('a container a person removed while the doctor waited to look again is not taken for a --rm one; a --rm one still is', async () => {
    // Deferred (Docker was restarting it, MIN_DEAD_TIME, a storm, a dependency), then gone: a
    // person removed it seconds later (often to recreate it under the name), or Docker's --rm
    // removed it with its death. The story, replayed from the engine, tells them apart.
    const { replayContainer } = await import('../../src/pipeline/story-feed.js');
    const look = async (h: Harness, c: TestContainer, personRemoves: boolean) => {
      const since = Date.now() - 1_000;
      await container(c).start();
      const info = await waitFor(async () => {
        try {
          const i = await container(c).inspect();
          return i.State.Status === 'exited' ? i : undefined;
        } catch {
          return undefined; // --rm: already gone
        }
      }, { what: `${c.name} to exit` }).catch(() => undefined);
      if (personRemoves) {
        await new Promise((r) => setTimeout(r, 2_500));
        await container(c).remove();
      }
      await waitFor(async () => container(c).inspect().then(() => false, () => true), { what: `${c.name} gone` });
      await replayContainer(h.engine, h.stories, { id: c.id, name: c.name, sinceMs: since }, Date.now());
      const die = h.stories.story(h.engine.host, c.id)?.steps.find((st) => st.kind === 'die');
      assert.ok(die, 'the die is in the story');
      const seen = { name: c.name, image: info?.Config.Image ?? 'doctor-test/busybox:1', labels: info?.Config.Labels ?? {} };
      return h.handler().handle({ engine: h.engine, id: c.id, trigger: { kind: 'die', at: new Date(die.at).toISOString(), event: 'die', exitCode: 1 }, act: true, record: true, askAi: false, recheck: true, seen });
    };
    await withScene({ name: 'rm-in-wait', cmd: 'echo "Error: boom" >&2; exit 1' }, {}, async (s) => {
      const h = await openHarness({ stateDir: s.stateDir, env: { TARGET_LABEL: `${SCENE_LABEL}=${s.scope}` } });
      try {
        const byPerson = await look(h, s.c, true);
        assert.equal(byPerson, undefined, JSON.stringify(byPerson?.decision));
        assert.deepEqual(await h.records(s.c.name), []);
        const rm = await runContainer({ name: 'rm-held', cmd: 'echo "Error: job failed" >&2; sleep 1; exit 3', autoRemove: true, start: false, labels: { [SCENE_LABEL]: s.scope } });
        const byDocker = await look(h, rm, false);
        assert.equal(byDocker?.decision.guardrail, 'removed', JSON.stringify(byDocker?.decision));
      } finally {
        await h.close();
      }
    });
  });

  test('a failed docker compose run (one-off) container is reported and never re-run', async () => {
    const labels = { 'com.docker.compose.oneoff': 'True', 'com.docker.compose.service': 'migrate' };
    await withScene({ name: 'oneoff', cmd: 'echo "Error: migration 0042 failed" >&2; exit 2', labels }, {}, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      const r = await waitForRecord(h, s.c.name, () => true, 'the escalation');
      await waitForCycles(h, 2);
      assert.equal(r.decision.action, 'escalate', brief([r]));
      assert.equal(r.decision.guardrail, 'job');
      assert.match(r.decision.reason, /docker compose run/);
      assert.equal(s.starts.count(s.c.id), 1, 'never re-run');
    });
  });

  test('after docker rename the history goes on: the second crash is escalated, not restarted as a first', async () => {
    // Runs 3 s, then crashes: each restart holds for the settle check, then fails again.
    const cmd = "sleep 3; echo 'Error: worker crashed' >&2; exit 1";
    await withScene({ name: 'rename', cmd }, { MAX_RESTARTS_PER_HOUR: '1' }, async (s) => {
      // Without the history following the rename, the second crash would look like a first and be restarted.
      const h = await s.startDoctor();
      await container(s.c).start();
      await waitForRecord(h, s.c.name, (x) => x.decision.action === 'restart' && x.outcome.status === 'restarted', 'the first restart');
      const renamed = `${s.c.name}-renamed`;
      await container(s.c).rename({ name: renamed });
      const r = await waitForRecord(h, renamed, (x) => x.decision.action === 'escalate', 'the escalation', 30_000);
      // Either says so: the rules know it was restarted within the hour, and so does the throttle.
      assert.ok(['restart-throttle', 'not-safe'].includes(r.decision.guardrail ?? ''), brief([r]));
      assert.ok(/restart/.test(r.decision.reason) || /restart/.test(r.diagnosis.root_cause), brief([r]));
      assert.equal(s.starts.count(s.c.id), 2, 'its start and one restart');
    });
  });
});

/** One container's scene across two doctor processes on one STATE_DIR: the first is killed (-9) mid-incident, the next picks up. */
interface AcrossDoctors {
  readonly c: TestContainer;
  readonly starts: StartCounter;
  readonly stateDir: string;
  /** Starts the container and waits for the first doctor's restart of it to go out. */
  restartedByFirst(): Promise<void>;
  killFirst(): Promise<void>;
  /** Starts the next doctor (stopped when the scene ends). */
  next(): Promise<DoctorProcess>;
}

async function acrossDoctors(name: string, cmd: string, fn: (s: AcrossDoctors) => Promise<void>): Promise<void> {
  const scope = randomBytes(4).toString('hex');
  const c = await runContainer({ name, cmd, labels: { [SCENE_LABEL]: scope }, start: false });
  const starts = await countStarts([c.id]);
  const stateDir = await mkdtemp(path.join(tmpdir(), `doctor-${name}-`));
  const env = { DOCKER_HOST: testDockerHost(), STATE_DIR: stateDir, TARGET_LABEL: `${SCENE_LABEL}=${scope}`, CHECK_INTERVAL: '1', RESTART_SETTLE_TIME: '30', MIN_DEAD_TIME: '2' };
  const doctors: DoctorProcess[] = [];
  try {
    const first = await startDoctorProcess(env);
    doctors.push(first);
    await first.waitForFeed((l) => l.type === 'cycle', { what: 'a cycle' });
    await fn({
      c, starts, stateDir,
      async restartedByFirst() {
        await container(c).start();
        await first.waitForFeed((l) => l.type === 'restarting', { what: 'the restart', timeoutMs: 20_000 });
      },
      async killFirst() {
        process.kill(first.pid, 'SIGKILL');
        await waitFor(() => !processAlive(first.pid), { what: 'the doctor to die' });
      },
      async next() {
        const second = await startDoctorProcess(env);
        doctors.push(second);
        return second;
      },
    });
  } finally {
    const [first, ...later] = doctors;
    for (const d of later) await d.stop();
    try {
      if (first) process.kill(first.pid, 'SIGKILL');
    } catch {
      // already gone, as the scene intends
    }
    starts.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

describe('a doctor stopped or killed mid-incident', PARALLEL, () => {
  test('a restart whose doctor is killed (-9) in the settle check is on record, and the next doctor records its outcome', async () => {
    await acrossDoctors('kill9', failOnceThenRun('echo "Error: boom" >&2; exit 1'), async ({ c, starts, stateDir, restartedByFirst, killFirst, next }) => {
      await restartedByFirst();
      await waitFor(async () => (await statusOf(c.id)) === 'running' && starts.count(c.id) === 2, { what: 'the restart to happen' });
      await killFirst();
      const ahead = (await readFile(path.join(stateDir, 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      assert.ok(ahead.some((l) => l.decision?.action === 'restart' && l.outcome?.status === 'pending'), 'the decision was written before the restart');

      await next();
      await waitFor(async () => (await records(stateDir, c.name)).some((r) => r.outcome.status === 'restarted'), { what: 'the outcome recorded by the next doctor', timeoutMs: 20_000 });
      const rs = await records(stateDir, c.name);
      const restart = rs.find((r) => r.decision.action === 'restart')!;
      assert.match(restart.outcome.detail, /doctor itself started again/, brief(rs));
      assert.equal(restart.decision.executed, true);
      assert.equal(starts.count(c.id), 2, 'the next doctor did not restart it again');
    });
  });
});

describe('a doctor killed mid-storm', () => {
  test('the next doctor goes on with the storm: the same incident, no second alert, no restarts until it settles', async () => {
    const scope = randomBytes(4).toString('hex');
    // Six die in one wall-clock second; started again, each keeps running (a restart would hold).
    const deadline = Math.ceil(Date.now() / 1000) + 8;
    const crash = `until [ $(date +%s) -ge ${deadline} ]; do sleep 0.2; done; echo "fatal: lost the host"; exit 1`;
    const crashers = await Promise.all(Array.from({ length: 6 }, (_, i) => runContainer({ name: `storm9-${i}`, cmd: failOnceThenRun(crash), labels: { [SCENE_LABEL]: scope }, start: false })));
    const starts = await countStarts(crashers.map((c) => c.id));
    const stateDir = await mkdtemp(path.join(tmpdir(), 'doctor-storm9-'));
    const env = { DOCKER_HOST: testDockerHost(), STATE_DIR: stateDir, TARGET_LABEL: `${SCENE_LABEL}=${scope}`, CHECK_INTERVAL: '1', STORM_THRESHOLD: '5', STORM_WINDOW: '20', MIN_DEAD_TIME: '0' };
    const all = async () => (await readAuditLog(path.join(stateDir, 'audit.jsonl'))).records.reverse();
    const first = await startDoctorProcess(env);
    try {
      await first.waitForFeed((l) => l.type === 'cycle', { what: 'a cycle' });
      await Promise.all(crashers.map((c) => container(c).start()));
      const opened = await waitFor(async () => (await all()).find((r) => r.group?.kind === 'storm' && r.group.role === 'summary'), { what: 'the storm incident', timeoutMs: 45_000 });
      process.kill(first.pid, 'SIGKILL');
      await waitFor(() => !processAlive(first.pid), { what: 'the doctor to die' });
      const second = await startDoctorProcess(env);
      try {
        const settled = await waitFor(async () => (await all()).find((r) => r.group?.kind === 'storm' && r.group.role === 'member'), { what: 'the storm to settle under the next doctor', timeoutMs: 60_000 });
        assert.equal(settled.incidentId, opened.incidentId, 'the same storm');
        await waitFor(async () => crashers.every((c) => starts.count(c.id) >= 2), { what: 'each judged and restarted once it settled', timeoutMs: 60_000 });
        const rs = await all();
        assert.equal(rs.filter((r) => r.group?.kind === 'storm' && r.group.role === 'summary').length, 1, 'one storm alert, not a second');
        for (const r of rs.filter((x) => x.decision.action === 'restart')) {
          assert.ok(Date.parse(r.time) >= Date.parse(settled.time), `${r.container.name} restarted at ${r.time}, during the storm (settled ${settled.time})`);
        }
      } finally {
        await second.stop();
      }
    } finally {
      try {
        process.kill(first.pid, 'SIGKILL');
      } catch {
        // already gone, as the scene intends
      }
      starts.close();
      await removeContainers(crashers.map((c) => c.id));
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});

describe('a doctor killed mid-settle, then a person acts', () => {
  test('a person\'s docker start after the restarted run crashed while the doctor was down is theirs: restarted-by-person, never restarted', async () => {
    await acrossDoctors('kill9-start', failTwiceThenRun('echo "Error: boom" >&2; exit 1'), async ({ c, starts, stateDir, restartedByFirst, killFirst, next }) => {
      await restartedByFirst();
      await waitFor(async () => starts.count(c.id) === 2 && (await statusOf(c.id)) === 'exited', { what: 'the restarted run to crash' });
      await killFirst();
      await container(c).start();
      const second = await next();
      const restart = await waitFor(async () => (await records(stateDir, c.name)).find((r) => r.decision.action === 'restart' && r.outcome.status !== 'pending'), { what: 'the outcome recorded by the next doctor', timeoutMs: 20_000 });
      await second.waitForFeed((l) => l.type === 'cycle', { what: 'a cycle of the next doctor' });
      const rs = await records(stateDir, c.name);
      assert.equal(restart.outcome.status, 'restarted-by-person', brief(rs));
      assert.match(restart.outcome.detail, /restarted run ended \(exit code 1/);
      assert.equal(starts.count(c.id), 3, 'the doctor did not start it again');
      assert.equal(await statusOf(c.id), 'running');
    });
  });

  test('a person\'s docker stop while the doctor was down is recorded as theirs by the next doctor, never a restart that did not hold', async () => {
    await acrossDoctors('kill9-stop', failOnceThenRun('echo "Error: boom" >&2; exit 1'), async ({ c, starts, stateDir, restartedByFirst, killFirst, next }) => {
      await restartedByFirst();
      await waitFor(async () => (await statusOf(c.id)) === 'running' && starts.count(c.id) === 2, { what: 'the restart to happen' });
      await killFirst();
      await container(c).stop({ t: 1 });
      await next();
      const restart = await waitFor(async () => (await records(stateDir, c.name)).find((r) => r.decision.action === 'restart' && r.outcome.status !== 'pending'), { what: 'the outcome recorded by the next doctor', timeoutMs: 20_000 });
      const rs = await records(stateDir, c.name);
      assert.equal(restart.outcome.status, 'stopped-by-person', brief(rs));
      assert.ok(!rs.some((r) => r.decision.action === 'escalate'), brief(rs));
      assert.equal(starts.count(c.id), 2);
      assert.equal(await statusOf(c.id), 'exited');
    });
  });
});

/**
 * A person's recreate under the same name. `compose` as Compose does it (`docker compose up -d`
 * after a change): stop the old container, rename it out of the way (`<short id>_<name>`), create
 * the new one with the same labels, start it, remove the old one. `replace` as people and
 * watchtower do it: stop, remove, create and start under the name. Returns the new container
 * (removed by the caller).
 */
async function recreate(c: TestContainer, cmd: string, how: 'compose' | 'replace'): Promise<TestContainer> {
  const old = container(c);
  const info = await old.inspect();
  await old.stop({ t: 2 }).catch((error: { statusCode?: number }) => {
    if (error.statusCode !== 304) throw error; // already stopped
  });
  if (how === 'compose') await old.rename({ name: `${c.id.slice(0, 12)}_${c.name}` });
  else await old.remove({ force: true });
  const next = await testDocker().createContainer({ name: c.name, Image: info.Config.Image, Cmd: ['sh', '-c', cmd], Labels: info.Config.Labels, HostConfig: { RestartPolicy: info.HostConfig.RestartPolicy } });
  await next.start();
  if (how === 'compose') await old.remove({ force: true });
  return { id: next.id, name: c.name };
}

describe('a person recreates it (docker compose up -d)', PARALLEL, () => {
  test('recreating a running service is a person\'s work: the old container is not restarted and nothing is escalated', async () => {
    const cmd = "trap 'exit 0' TERM; while :; do sleep 1; done";
    await withScene({ name: 'recreate', cmd }, {}, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      await waitForCycles(h, 2);
      const next = await recreate(s.c, cmd, 'compose');
      try {
        const starts = await countStarts([next.id]);
        await waitForCycles(h, 4);
        const rs = await h.records(s.c.name);
        assert.deepEqual(rs.filter((r) => r.decision.action !== 'none'), [], brief(rs));
        assert.equal(s.starts.count(s.c.id), 1, 'the old container: its own start only');
        assert.equal(starts.count(next.id), 0, 'the new one: started by the person (before counting), never by the doctor');
        starts.close();
        assert.equal(await statusOf(next.id), 'running');
      } finally {
        await removeContainers([next.id]);
      }
    });
  });

  test('after the doctor gave up on a crash loop, a person\'s docker rm and docker run under the name gets its attempts afresh', async () => {
    await withScene({ name: 'recreate-fix', cmd: "sleep 1; echo 'Error: bad config' >&2; exit 1" }, {}, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      await waitForRecord(h, s.c.name, (x) => x.decision.action === 'escalate', 'the doctor giving up', 60_000);
      await exited(s.c);
      // The new container fails once the same way, then holds (the fix needed one more start):
      // judged on its own crashes, that first one is restarted; judged on its predecessor's, it would not be.
      const next = await recreate(s.c, failOnceThenRun("sleep 1; echo 'Error: bad config' >&2; exit 1"), 'replace');
      try {
        const r = await waitForRecord(h, s.c.name, (x) => x.container.id === next.id && x.decision.action === 'restart', 'a restart of the new container', 60_000);
        assert.equal(r.outcome.status, 'restarted', brief([r]));
        await waitFor(async () => (await statusOf(next.id)) === 'running', { what: 'the new container running' });
      } finally {
        await removeContainers([next.id]);
      }
    });
  });
});

/** The doctor's restart record and everything else on record for the container (pending records too). */
async function allRecords(h: Harness, name: string): Promise<AuditRecord[]> {
  return h.records(name, { pending: true });
}

/** Until the doctor's restart has happened (the engine's second start) and the container runs the restarted run. */
async function restartedByDoctor(h: Harness, s: Scene): Promise<void> {
  await waitFor(() => doctorRestarts(h, s.c.name) > 0, { what: 'the doctor restarting it' });
  await waitFor(async () => s.starts.count(s.c.id) === 2 && (await statusOf(s.c.id)) === 'running', { what: 'the restarted run' });
}

describe('the settle check after the doctor\'s restart', PARALLEL, () => {
  test('a person\'s docker stop while the doctor\'s restart drains it is theirs: it is not started again', async () => {
    // Unhealthy after 3 s; on TERM it drains for 4 s, in which the person stops it too.
    const cmd = "trap 'sleep 4; exit 0' TERM; touch /tmp/ok; sleep 3; rm /tmp/ok; while :; do sleep 0.2; done";
    const run = { name: 'stop-in-drain', cmd, healthcheck: { test: 'test -f /tmp/ok', intervalMs: 300, retries: 1 } };
    await withScene(run, { RESTART_SETTLE_TIME: '4' }, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      await waitFor(() => doctorRestarts(h, s.c.name) > 0, { what: 'the doctor restarting it', timeoutMs: 45_000 });
      await new Promise((r) => setTimeout(r, 1_000));
      await container(s.c).stop({ t: 10 });
      const r = await waitForRecord(h, s.c.name, (x) => x.decision.action === 'restart', 'the restart record', 30_000);
      await waitForCycles(h, 3);
      const rs = await h.records(s.c.name);
      assert.equal(r.outcome.status, 'stopped-by-person', brief(rs));
      assert.ok(!rs.some((x) => x.decision.action === 'escalate'), brief(rs));
      assert.equal(s.starts.count(s.c.id), 1, `its own start only: ${brief(rs)}`);
      assert.equal(await statusOf(s.c.id), 'exited');
    });
  });

  test('a person\'s docker start after the restarted run crashed in the settle check is theirs: restarted-by-person, no escalation', async () => {
    await withScene({ name: 'start-in-settle', cmd: failTwiceThenRun('echo "Error: boom" >&2; exit 1') }, { RESTART_SETTLE_TIME: '6' }, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      await waitFor(async () => s.starts.count(s.c.id) === 2 && (await statusOf(s.c.id)) === 'exited', { what: 'the restarted run to crash', timeoutMs: 45_000 });
      await container(s.c).start();
      const r = await waitForRecord(h, s.c.name, (x) => x.decision.action === 'restart' && x.outcome.status !== 'pending', 'the restart outcome', 30_000);
      await waitForCycles(h, 3);
      const rs = await h.records(s.c.name);
      assert.equal(r.outcome.status, 'restarted-by-person', brief(rs));
      assert.ok(!rs.some((x) => x.decision.action === 'escalate'), brief(rs));
      assert.equal(s.starts.count(s.c.id), 3, `the person's start is the last: ${brief(rs)}`);
      assert.equal(await statusOf(s.c.id), 'running');
    });
  });

  test('a person\'s docker rename while the doctor\'s restart drains it, and a new container under the name: the set-aside one is not started', async () => {
    // Unhealthy after 3 s; on TERM it drains for 4 s, in which the person sets it aside and replaces it.
    const cmd = "trap 'sleep 4; exit 0' TERM; touch /tmp/ok; sleep 3; rm /tmp/ok; while :; do sleep 0.2; done";
    const run = { name: 'rename-in-drain', cmd, healthcheck: { test: 'test -f /tmp/ok', intervalMs: 300, retries: 1 } };
    await withScene(run, { RESTART_SETTLE_TIME: '4' }, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      await waitFor(() => doctorRestarts(h, s.c.name) > 0, { what: 'the doctor restarting it', timeoutMs: 45_000 });
      await new Promise((r) => setTimeout(r, 1_000));
      await container(s.c).rename({ name: `${s.c.name}-broken` });
      const replacement = await testDocker().createContainer({ name: s.c.name, Image: 'doctor-test/busybox:1', Cmd: ['sleep', '3600'], Labels: { 'doctor.test': '1' } });
      try {
        await replacement.start();
        const r = await waitForRecord(h, s.c.name, (x) => x.decision.action === 'restart', 'the restart record', 30_000);
        await waitForCycles(h, 3);
        const rs = await h.records(s.c.name);
        assert.equal(r.outcome.status, 'stopped-by-person', brief(rs));
        assert.match(r.outcome.detail, /renamed it to/);
        assert.equal(s.starts.count(s.c.id), 1, `its own start only: ${brief(rs)}`);
        assert.equal(await statusOf(s.c.id), 'exited', 'the set-aside container stays down');
      } finally {
        await replacement.remove({ force: true });
      }
    });
  });

  test('a person\'s docker rm -f during the settle check is theirs: removed by a person, no escalation', async () => {
    const run = { name: 'rm-in-settle', cmd: failOnceThenRun('echo "Error: boom" >&2; exit 1') };
    await withScene(run, { RESTART_SETTLE_TIME: '5' }, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      await restartedByDoctor(h, s);
      await container(s.c).remove({ force: true });
      const r = await waitForRecord(h, s.c.name, (x) => x.decision.action === 'restart', 'the restart record', 30_000);
      await waitForCycles(h, 3);
      const rs = await h.records(s.c.name);
      assert.equal(r.outcome.status, 'removed-by-person', brief(rs));
      assert.ok(!rs.some((x) => x.decision.action === 'escalate'), brief(rs));
    });
  });

  test('a person\'s docker pause during the settle check is theirs: recorded as paused by a person, no escalation, left paused', async () => {
    const run = { name: 'pause-in-settle', cmd: failOnceThenRun('echo "Error: boom" >&2; exit 1') };
    await withScene(run, { RESTART_SETTLE_TIME: '5' }, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      await restartedByDoctor(h, s);
      await container(s.c).pause();
      try {
        const r = await waitForRecord(h, s.c.name, (x) => x.decision.action === 'restart', 'the restart record', 30_000);
        await waitForCycles(h, 3);
        const rs = await h.records(s.c.name);
        assert.equal(r.outcome.status, 'paused-by-person', brief(rs));
        assert.match(r.outcome.detail, /paused/, r.outcome.detail);
        assert.ok(!rs.some((x) => x.decision.action === 'escalate'), brief(rs));
        assert.equal(await statusOf(s.c.id), 'paused', 'left paused');
        assert.equal(s.starts.count(s.c.id), 2);
      } finally {
        await container(s.c).unpause().catch(() => undefined);
      }
    });
  });

  test('a person\'s docker kill -s TERM that the process ignores during the settle check: still running, the restart held, no old line re-read', async () => {
    // After the restart PID 1 is `sleep`, which has no TERM handler: the kernel ignores TERM for PID 1.
    const run = { name: 'term-ignored', cmd: failOnceThenRun('echo "Error: boom" >&2; exit 1') };
    await withScene(run, { RESTART_SETTLE_TIME: '5' }, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      await restartedByDoctor(h, s);
      await container(s.c).kill({ signal: 'TERM' });
      const r = await waitForRecord(h, s.c.name, (x) => x.decision.action === 'restart', 'the restart record', 45_000);
      await waitForCycles(h, 4);
      const rs = await h.records(s.c.name);
      assert.equal(await statusOf(s.c.id), 'running', 'the TERM was ignored');
      assert.equal(r.outcome.status, 'restarted', brief(rs));
      assert.ok(!/stopped/.test(r.outcome.detail), r.outcome.detail);
      assert.equal(rs.length, 1, `only the restart is on record, no incident from the old line: ${brief(rs)}`);
      assert.equal(s.starts.count(s.c.id), 2);
    });
  });

  test('a person\'s docker restart during the settle check: recorded as restarted by a person, no old line re-read, nothing escalated', async () => {
    const run = { name: 'restart-in-settle', cmd: failOnceThenRun('echo "Error: boom" >&2; exit 1') };
    await withScene(run, { RESTART_SETTLE_TIME: '5' }, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      await restartedByDoctor(h, s);
      await container(s.c).restart({ t: 1 });
      const r = await waitForRecord(h, s.c.name, (x) => x.decision.action === 'restart', 'the restart record', 30_000);
      await waitForCycles(h, 4);
      const rs = await h.records(s.c.name);
      assert.equal(r.outcome.status, 'restarted-by-person', brief(rs));
      assert.ok(!rs.some((x) => x.trigger.kind === 'log-pattern'), `no incident from the old line: ${brief(rs)}`);
      // The exit the person's restart caused is theirs; the line the first run printed before it crashed is not that run's.
      const others = rs.filter((x) => !(x.incidentId === r.incidentId && x.occurrence === r.occurrence));
      assert.ok(others.every((x) => !x.evidence.matchedLines.some((l) => /boom/.test(l))), `the pre-crash line is not read again: ${JSON.stringify(others.map((x) => ({ lines: x.evidence.matchedLines, severity: x.diagnosis.severity, cause: x.diagnosis.root_cause })))}`);
      assert.ok(rs.every((x) => x.decision.action === 'none' || (x.incidentId === r.incidentId && x.occurrence === r.occurrence)), `nothing escalated or restarted after the person's restart: ${brief(rs)}`);
      assert.equal(s.starts.count(s.c.id), 3, 'its start, the doctor\'s restart, the person\'s restart');
      assert.equal(await statusOf(s.c.id), 'running');
    });
  });

  test('a doctor shut down just after its restart does not claim a settled outcome; the next doctor records it', async () => {
    const run = { name: 'shutdown-in-settle', cmd: failOnceThenRun('echo "Error: boom" >&2; exit 1') };
    await withScene(run, { RESTART_SETTLE_TIME: '5' }, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      await restartedByDoctor(h, s);
      await new Promise((r) => setTimeout(r, 500));
      await s.stopDoctor();
      const cut = (await allRecords(h, s.c.name)).find((x) => x.decision.action === 'restart');
      assert.ok(cut, 'the restart is on record');
      assert.ok(cut.outcome.status === 'pending' || !/still running after/.test(cut.outcome.detail), `no settled outcome claimed: ${cut.outcome.status}: ${cut.outcome.detail}`);
      const h2 = await s.startDoctor();
      const r = await waitForRecord(h2, s.c.name, (x) => x.decision.action === 'restart', 'the outcome recorded by the next doctor', 30_000);
      await waitForCycles(h2, 2);
      const rs = await h2.records(s.c.name);
      assert.equal(r.outcome.status, 'restarted', brief(rs));
      assert.match(r.outcome.detail, /doctor itself started again/, r.outcome.detail);
      assert.equal(s.starts.count(s.c.id), 2, 'the next doctor did not restart it again');
    });
  });

  // Named as a service, not a job (a job's name keeps the doctor from restarting it at all): its work ends with exit 0.
  test('a container whose restart held and which then completed its work (exit 0) is a success: no "did not help"', async () => {
    const cmd = 'if [ -f /tmp/ran ]; then sleep 2; echo "job done"; exit 0; fi; touch /tmp/ran; echo "Error: boom" >&2; exit 1';
    await withScene({ name: 'work-done-in-settle', cmd }, { RESTART_SETTLE_TIME: '5' }, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      await waitFor(() => doctorRestarts(h, s.c.name) > 0, { what: 'the doctor restarting it' });
      await waitFor(async () => s.starts.count(s.c.id) === 2, { what: 'the restart' });
      await exited(s.c);
      const r = await waitForRecord(h, s.c.name, (x) => x.decision.action === 'restart', 'the restart record', 30_000);
      await waitForCycles(h, 3);
      const rs = await h.records(s.c.name);
      assert.equal(r.outcome.status, 'restarted', brief(rs));
      assert.match(r.outcome.detail, /exit code 0/, r.outcome.detail);
      assert.ok(!rs.some((x) => x.decision.action === 'escalate'), brief(rs));
      assert.equal((await container(s.c).inspect()).State.ExitCode, 0);
      assert.equal(s.starts.count(s.c.id), 2);
    });
  });

  test('a restart that does not hold is escalated once', async () => {
    await withScene({ name: 'no-hold', cmd: "sleep 1; echo 'Error: worker crashed' >&2; exit 1" }, { RESTART_SETTLE_TIME: '4' }, async (s) => {
      const h = await s.startDoctor();
      await container(s.c).start();
      const r = await waitForRecord(h, s.c.name, (x) => x.decision.action === 'restart', 'the restart record', 30_000);
      await waitForRecord(h, s.c.name, (x) => x.decision.action === 'escalate', 'the escalation', 30_000);
      await waitForCycles(h, 4);
      const rs = await h.records(s.c.name);
      assert.equal(r.outcome.status, 'not-running-after-restart', brief(rs));
      const escalations = rs.filter((x) => x.decision.action === 'escalate');
      assert.equal(escalations.length, 1, brief(rs));
      assert.equal(escalations[0]!.decision.guardrail, 'restart-did-not-help');
      const keys = rs.map((x) => `${x.incidentId}#${x.occurrence}`);
      assert.equal(new Set(keys).size, keys.length, `one record per incident occurrence: ${keys.join(', ')}`);
      assert.equal(s.starts.count(s.c.id), 2);
    });
  });
});
