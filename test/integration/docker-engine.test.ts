/**
 * The Engine API adapter against a real Docker Engine (scripts/test-engine.sh), plus a few
 * protocol corners (split chunks, a silent engine) against a fake engine on a local socket.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDockerEngine } from '../../src/adapters/docker/docker-engine.js';
import { ContainerNotFoundError, DockerUnavailableError } from '../../src/core/errors.js';
import type { ContainerRef } from '../../src/core/types.js';
import type { ContainerEvent, DockerEngine } from '../../src/pipeline/ports.js';
import { removeAllTestContainers, requireEngine, runContainer, testDocker, testDockerHost, waitFor } from '../helpers/engine.js';

const MB = 1024 * 1024;

/** Follows the events stream in the background, keeping what it sees. */
function followEvents(engine: DockerEngine, sinceMs: number): { events: ContainerEvent[]; done: Promise<void>; stop(): Promise<void> } {
  const controller = new AbortController();
  const events: ContainerEvent[] = [];
  const done = engine.streamEvents({ sinceMs, signal: controller.signal, onEvent: (event) => events.push(event) });
  return {
    events,
    done,
    async stop() {
      controller.abort();
      await done;
    },
  };
}

function actionsOf(events: readonly ContainerEvent[], id: string): string[] {
  return events.filter((e) => e.id === id).map((e) => e.action);
}

async function waitUntilExited(engine: DockerEngine, id: string): Promise<ContainerRef> {
  const facts = await waitFor(async () => {
    const f = await engine.inspect(id);
    return f.status === 'exited' ? f : null;
  }, { what: `${id} to exit` });
  return facts.ref;
}

describe('HttpDockerEngine against the test engine', { timeout: 120_000 }, () => {
  let engine: DockerEngine;

  before(async () => {
    await requireEngine();
    engine = createDockerEngine(testDockerHost());
  });
  after(removeAllTestContainers);

  test('ping and list name the containers without the slash', async () => {
    await engine.ping();
    const c = await runContainer({ name: 'list', cmd: 'sleep 600', labels: { team: 'core' } });
    const listed = (await engine.listContainers()).find((x) => x.id === c.id);
    assert.deepEqual(listed, { id: c.id, name: c.name, image: 'doctor-test/busybox:1', labels: { team: 'core', 'doctor.test': '1' }, state: 'running', health: 'none', networkMode: 'default' });
  });

  test('a DOCKER_HOST in the environment neither breaks nor redirects an engine built for another host', async () => {
    const saved = process.env['DOCKER_HOST'];
    // A multi-host list (dockerode alone would throw on it) pointing somewhere else.
    process.env['DOCKER_HOST'] = 'tcp://127.0.0.1:1,tcp://127.0.0.1:2';
    try {
      await createDockerEngine(testDockerHost()).ping();
      assert.equal(process.env['DOCKER_HOST'], 'tcp://127.0.0.1:1,tcp://127.0.0.1:2');
    } finally {
      if (saved === undefined) delete process.env['DOCKER_HOST'];
      else process.env['DOCKER_HOST'] = saved;
    }
  });

  describe('inspect', () => {
    test('a running container', async () => {
      const c = await runContainer({ name: 'running', cmd: 'sleep 600', env: ['TOKEN=s3cret'] });
      const facts = await engine.inspect(c.name);
      assert.equal(facts.ref.id, c.id);
      assert.equal(facts.ref.name, c.name);
      assert.equal(facts.ref.image, 'doctor-test/busybox:1');
      assert.equal(facts.ref.host, testDockerHost());
      assert.equal(facts.status, 'running');
      assert.equal(facts.running, true);
      assert.equal(facts.exitCode, null);
      assert.notEqual(facts.startedAt, null);
      assert.equal(facts.finishedAt, null);
      // Created through the API without a policy: Docker says '' and we say `no`.
      assert.deepEqual(facts.restartPolicy, { name: 'no', maximumRetryCount: 0 });
      assert.equal(facts.health.status, 'none');
      assert.ok(facts.env.includes('TOKEN=s3cret'));
    });

    test('an exited container', async () => {
      const c = await runContainer({ name: 'exited', cmd: 'exit 3', restartPolicy: 'on-failure:2' });
      await waitFor(async () => (await engine.inspect(c.id)).status === 'exited' && (await engine.inspect(c.id)).restartCount === 2, { what: 'retries to run out' });
      const facts = await engine.inspect(c.id);
      assert.equal(facts.exitCode, 3);
      assert.equal(facts.oomKilled, false);
      assert.notEqual(facts.finishedAt, null);
      assert.deepEqual(facts.restartPolicy, { name: 'on-failure', maximumRetryCount: 2 });
    });

    test('an OOM-killed container', async () => {
      const c = await runContainer({ name: 'oom', cmd: 'x=$(head -c 50000000 /dev/zero | tr "\\0" a); echo survived', memory: 8 * MB });
      await waitUntilExited(engine, c.id);
      const facts = await engine.inspect(c.id);
      assert.equal(facts.oomKilled, true);
      assert.equal(facts.exitCode, 137);
      assert.equal(facts.memoryLimit, 8 * MB);
    });

    test('a container whose health check fails', async () => {
      const c = await runContainer({ name: 'unhealthy', cmd: 'sleep 600', healthcheck: { test: 'echo db down; exit 1', intervalMs: 300, retries: 2 } });
      const facts = await waitFor(async () => {
        const f = await engine.inspect(c.id);
        return f.health.status === 'unhealthy' ? f : null;
      }, { what: 'unhealthy' });
      assert.ok(facts.health.failingStreak >= 2);
      assert.equal(facts.health.lastOutput, 'db down');
      assert.equal(facts.running, true);
    });

    test('an unknown container is ContainerNotFoundError naming it', async () => {
      const ghost = `dt-ghost-${randomBytes(4).toString('hex')}`;
      const ref: ContainerRef = { id: ghost, name: ghost, image: '', host: testDockerHost() };
      for (const attempt of [
        () => engine.inspect(ghost),
        () => engine.readLogs(ref, { tail: 10, tty: false }),
        () => engine.stop(ref, { timeoutSeconds: 1 }),
        () => engine.start(ref),
      ]) {
        await assert.rejects(attempt, (error: unknown) => {
          assert.ok(error instanceof ContainerNotFoundError, String(error));
          assert.match(error.message, new RegExp(ghost));
          return true;
        });
      }
    });
  });

  describe('readLogs', () => {
    test('non-TTY: stdout and stderr apart, each in order, with times', async () => {
      const c = await runContainer({ name: 'streams', cmd: 'for i in 1 2 3; do echo out$i; echo err$i >&2; done' });
      const ref = await waitUntilExited(engine, c.id);
      const lines = await engine.readLogs(ref, { tail: 50, tty: false });
      assert.deepEqual(lines.filter((l) => l.stream === 'stdout').map((l) => l.text), ['out1', 'out2', 'out3']);
      assert.deepEqual(lines.filter((l) => l.stream === 'stderr').map((l) => l.text), ['err1', 'err2', 'err3']);
      for (const line of lines) assert.ok(line.ts && Number.isFinite(Date.parse(line.ts)), `stamped: ${JSON.stringify(line)}`);
    });

    test('tail keeps the newest lines', async () => {
      const c = await runContainer({ name: 'tail', cmd: 'seq 1 500' });
      const ref = await waitUntilExited(engine, c.id);
      const lines = await engine.readLogs(ref, { tail: 5, tty: false });
      assert.deepEqual(lines.map((l) => l.text), ['496', '497', '498', '499', '500']);
    });

    test('TTY: raw output, read as stdout', async () => {
      const c = await runContainer({ name: 'tty', tty: true, cmd: 'echo one; echo two >&2; printf "\\033[31mred\\033[0m\\n"' });
      const ref = await waitUntilExited(engine, c.id);
      const lines = await engine.readLogs(ref, { tail: 50, tty: true });
      assert.deepEqual(lines.map((l) => [l.stream, l.text]), [['stdout', 'one'], ['stdout', 'two'], ['stdout', 'red']]);
    });

    test('invalid UTF-8 and a 1 MB line are decoded and cut, not fatal', async () => {
      const c = await runContainer({
        name: 'junk',
        cmd: 'printf "\\377\\376bad \\303\\n"; head -c 1000000 /dev/zero | tr "\\0" x; echo; echo after',
      });
      const ref = await waitUntilExited(engine, c.id);
      for (const tail of [5, 100]) {
        const lines = await engine.readLogs(ref, { tail, tty: false });
        assert.equal(lines.at(-1)?.text, 'after');
        const long = lines.find((l) => l.text.startsWith('xxx'));
        assert.ok(long, 'the long line is there');
        assert.ok(Buffer.byteLength(long.text) < 17 * 1024, `cut to about 16 KiB, got ${Buffer.byteLength(long.text)}`);
        assert.match(long.text, /cut \d+ bytes/);
        if (tail === 100) assert.ok(lines.some((l) => l.text.includes('bad') && l.text.includes('\uFFFD')));
      }
    });

    test('sinceMs returns only newer lines', async () => {
      const c = await runContainer({ name: 'since', cmd: 'echo first; sleep 1.2; echo second; sleep 600' });
      const first = await waitFor(async () => (await engine.readLogs((await engine.inspect(c.id)).ref, { tail: 10, tty: false }))[0], { what: 'first line' });
      const ref = (await engine.inspect(c.id)).ref;
      await waitFor(async () => (await engine.readLogs(ref, { tail: 10, tty: false })).length === 2, { what: 'second line' });
      const sinceMs = Date.parse(first.ts!);
      const newer = await engine.readLogs(ref, { tail: 10, tty: false, sinceMs });
      assert.deepEqual(newer.map((l) => l.text), ['second']);
    });

    test('a log driver that cannot be read gives no lines', async () => {
      const c = await runContainer({ name: 'nolog', cmd: 'echo hi; sleep 600', logDriver: 'none' });
      const ref = (await engine.inspect(c.id)).ref;
      assert.deepEqual(await engine.readLogs(ref, { tail: 10, tty: false }), []);
    });

    test('an aborted signal stops the read', async () => {
      const c = await runContainer({ name: 'abort', cmd: 'echo hi' });
      const ref = await waitUntilExited(engine, c.id);
      const controller = new AbortController();
      controller.abort(new Error('shutting down'));
      await assert.rejects(engine.readLogs(ref, { tail: 10, tty: false, signal: controller.signal }), /shutting down/);
    });
  });

  describe('streamEvents', () => {
    test('start, die with exit code, oom, kill with signal, unhealthy', async () => {
      const openedAt = Date.now() - 1000;
      const feed = followEvents(engine, openedAt);
      try {
        const crash = await runContainer({ name: 'ev-crash', cmd: 'exit 3' });
        // A subshell OOM-killed again and again while the container lives on. The engine's `oom`
        // event is best effort: with several OOMs at once on cgroup v1, Engine 20.10 dropped some
        // (seen on this test engine), which is why the doctor also reads OOMKilled from inspect.
        const oom = await runContainer({
          name: 'ev-oom',
          cmd: 'while true; do (x=$(head -c 50000000 /dev/zero | tr "\\0" a)); sleep 0.2; done',
          memory: 8 * MB,
        });
        const victim = await runContainer({ name: 'ev-kill', cmd: 'sleep 600' });
        const sick = await runContainer({ name: 'ev-sick', cmd: 'sleep 600', healthcheck: { test: 'exit 1', intervalMs: 300, retries: 1 } });
        await testDocker().getContainer(victim.id).kill();

        await waitFor(() => actionsOf(feed.events, crash.id).includes('die'), { what: 'die' });
        await waitFor(() => actionsOf(feed.events, oom.id).includes('oom'), { what: 'oom' });
        await waitFor(() => actionsOf(feed.events, victim.id).includes('die'), { what: 'die after kill' });
        await waitFor(() => actionsOf(feed.events, sick.id).includes('health_status: unhealthy'), { what: 'unhealthy' });

        const die = feed.events.find((e) => e.id === crash.id && e.action === 'die')!;
        assert.equal(die.name, crash.name);
        assert.equal(die.image, 'doctor-test/busybox:1');
        assert.equal(die.host, testDockerHost());
        assert.equal(die.attributes['exitCode'], '3');
        assert.equal(die.attributes['doctor.test'], '1', 'labels ride along');
        assert.ok(die.timeMs >= openedAt && die.timeMs <= Date.now() + 1000, `time in ms: ${die.timeMs}`);
        assert.deepEqual(actionsOf(feed.events, crash.id), ['create', 'start', 'die']);

        const kill = feed.events.find((e) => e.id === victim.id && e.action === 'kill');
        assert.equal(kill?.attributes['signal'], '9');
        const victimActions = actionsOf(feed.events, victim.id);
        assert.ok(victimActions.indexOf('kill') < victimActions.indexOf('die'), victimActions.join(','));

        // Only what the doctor follows: no exec_* from the health probe, no attach or network events.
        for (const event of feed.events) assert.doesNotMatch(event.action, /^(exec_|attach|connect|disconnect)/);
      } finally {
        await feed.stop();
      }
    });

    test('resuming with sinceMs replays what happened since, and nothing before', async () => {
      const feed = followEvents(engine, Date.now() - 1000);
      let replay: ReturnType<typeof followEvents> | undefined;
      try {
        const c = await runContainer({ name: 'ev-replay', cmd: 'sleep 0.3; exit 4' });
        await waitFor(() => actionsOf(feed.events, c.id).includes('die'), { what: 'die' });
        const die = feed.events.find((e) => e.id === c.id && e.action === 'die')!;
        // The engine replays from a buffer of its last 256 events, so resume promptly.
        replay = followEvents(engine, die.timeMs);
        await waitFor(() => actionsOf(replay!.events, c.id).includes('die'), { what: 'replayed die' });
        assert.deepEqual(actionsOf(replay.events, c.id), ['die']);
        assert.equal(replay.events.find((e) => e.id === c.id)?.attributes['exitCode'], '4');
      } finally {
        await feed.stop();
        await replay?.stop();
      }
    });

    test('aborting resolves the stream', async () => {
      const feed = followEvents(engine, Date.now());
      await new Promise((resolve) => setImmediate(resolve));
      await feed.stop();
    });
  });

  test('stop waits for it to exit, start runs it again; each is a no-op when it is already so', async () => {
    const c = await runContainer({ name: 'restart', cmd: 'trap "exit 0" TERM; while true; do sleep 0.1; done' });
    const before = await engine.inspect(c.id);
    await engine.stop(before.ref, { timeoutSeconds: 5 });
    const stopped = await engine.inspect(c.id);
    assert.equal(stopped.running, false);
    assert.equal(stopped.exitCode, 0);
    await engine.stop(before.ref, { timeoutSeconds: 5 });
    await engine.start(before.ref);
    await engine.start(before.ref);
    const after = await engine.inspect(c.id);
    assert.equal(after.running, true);
    assert.notEqual(after.startedAt, before.startedAt);
  });
});

describe('HttpDockerEngine.readEvents against the test engine', { timeout: 180_000 }, () => {
  const engine = createDockerEngine(testDockerHost());
  // The first suite's after() has run by now: without its own, this suite's container outlived the run.
  after(removeAllTestContainers);
  test('readEvents replays a bounded span, and says when the engine\'s 256-event buffer no longer reaches back', async () => {
    const since = Date.now() - 500;
    const c = await runContainer({ name: 'ev-span', cmd: "trap 'echo reloaded' HUP; echo ready; while :; do sleep 1; done" });
    // Until the trap is set, a HUP would end it.
    await waitFor(async () => String(await testDocker().getContainer(c.id).logs({ stdout: true })).includes('ready'), { what: 'the trap' });
    await testDocker().getContainer(c.id).kill({ signal: 'HUP' });
    await testDocker().getContainer(c.id).rename({ name: `${c.name}-b` });
    const span = await engine.readEvents({ sinceMs: since, untilMs: Date.now() + 50 });
    const mine = span.events.filter((e) => e.id === c.id).map((e) => e.action);
    assert.deepEqual(mine, ['create', 'start', 'kill', 'rename']);
    assert.equal(span.events.find((e) => e.id === c.id && e.action === 'rename')?.attributes['oldName'], `/${c.name}`);
    // 260 reload signals (one `kill` event each) push everything older out of the engine's buffer.
    for (let batch = 0; batch < 13; batch += 1) {
      await Promise.all(Array.from({ length: 20 }, () => testDocker().getContainer(c.id).kill({ signal: 'HUP' })));
    }
    const overrun = await engine.readEvents({ sinceMs: since, untilMs: Date.now() + 50 });
    assert.equal(overrun.complete, false);
    assert.ok(overrun.oldestMs !== null && overrun.oldestMs > since, 'the oldest event still held is after the span began');
    assert.ok(!overrun.events.some((e) => e.id === c.id && e.action === 'create'), 'the create is gone from the buffer');
    assert.equal(span.complete, true);
  });
});

describe('HttpDockerEngine when the engine is unreachable', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dt-nosock-'));
  const host = `unix://${path.join(dir, 'docker.sock')}`;
  const engine = createDockerEngine(host);
  after(() => rmSync(dir, { recursive: true, force: true }));

  const calls: Array<[string, () => Promise<unknown>]> = [
    ['ping', () => engine.ping()],
    ['listContainers', () => engine.listContainers()],
    ['inspect', () => engine.inspect('anything')],
    ['readLogs', () => engine.readLogs({ id: 'x', name: 'x', image: '', host }, { tail: 5, tty: false })],
    ['streamEvents', () => engine.streamEvents({ signal: new AbortController().signal, onEvent: () => {} })],
  ];
  for (const [name, call] of calls) {
    test(`${name} throws DockerUnavailableError naming the host`, async () => {
      await assert.rejects(call, (error: unknown) => {
        assert.ok(error instanceof DockerUnavailableError, String(error));
        assert.ok(error.message.includes(host), error.message);
        assert.equal((error.cause as NodeJS.ErrnoException).code, 'ENOENT');
        return true;
      });
    });
  }
});

describe('HttpDockerEngine against a fake engine', () => {
  let dir: string;
  let server: http.Server;
  let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = () => {};

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'dt-fake-'));
    server = http.createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(path.join(dir, 'docker.sock'), resolve));
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  test('events split anywhere across writes are all delivered, and the end resolves', async () => {
    const messages = [
      { Type: 'container', Action: 'die', Actor: { ID: 'a1', Attributes: { name: 'api', image: 'api:1', exitCode: '1' } }, timeNano: 1_700_000_000_123_456_789 },
      { Type: 'container', Action: 'health_status: unhealthy', Actor: { ID: 'b2', Attributes: { name: 'db', image: 'pg:16' } }, timeNano: 1_700_000_001_000_000_000 },
      { Type: 'container', Action: 'oom', Actor: { ID: 'c3', Attributes: { name: 'wörker', image: 'w:2' } }, timeNano: 1_700_000_002_000_000_000 },
    ];
    const body = Buffer.from(messages.map((m) => JSON.stringify(m) + '\n').join(''));
    let query = '';
    handler = (req, res) => {
      query = req.url ?? '';
      res.writeHead(200, { 'Content-Type': 'application/json' });
      // Uneven pieces, one of them through the middle of "ö".
      const cuts = [7, 150, 151, body.indexOf('ö') + 1, body.length - 3, body.length];
      let at = 0;
      const next = (): void => {
        const cut = cuts.shift();
        if (cut === undefined) return void res.end();
        res.write(body.subarray(at, cut));
        at = cut;
        setTimeout(next, 5);
      };
      next();
    };
    const engine = createDockerEngine(`unix://${path.join(dir, 'docker.sock')}`);
    const events: ContainerEvent[] = [];
    await engine.streamEvents({ sinceMs: 1_700_000_000_000, signal: new AbortController().signal, onEvent: (e) => events.push(e) });
    assert.deepEqual(events.map((e) => [e.action, e.name, e.timeMs]), [
      ['die', 'api', 1_700_000_000_123],
      ['health_status: unhealthy', 'db', 1_700_000_001_000],
      ['oom', 'wörker', 1_700_000_002_000],
    ]);
    const params = new URL(query, 'http://x').searchParams;
    assert.equal(params.get('since'), '1700000000.000');
    assert.deepEqual(JSON.parse(params.get('filters')!).type, ['container']);
    assert.ok(JSON.parse(params.get('filters')!).event.includes('health_status'));
  });

  test('an engine that never answers is DockerUnavailableError after the deadline', async () => {
    handler = () => {}; // accept, then say nothing
    const engine = createDockerEngine(`unix://${path.join(dir, 'docker.sock')}`, { requestTimeoutMs: 200, connectTimeoutMs: 200 });
    await assert.rejects(engine.inspect('web'), (error: unknown) => {
      assert.ok(error instanceof DockerUnavailableError, String(error));
      assert.match(error.message, /did not answer inspect "web"/);
      return true;
    });
    await assert.rejects(
      engine.streamEvents({ signal: new AbortController().signal, onEvent: () => {} }),
      (error: unknown) => error instanceof DockerUnavailableError,
    );
  });

  test('an events stream torn down mid-message rejects with DockerUnavailableError', async () => {
    handler = (req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"Type":"container","Action":"start","Actor":{"ID":"a1","Attributes":{"name":"api"}},"timeNano":1}\n{"Type":"cont');
      setTimeout(() => req.socket.destroy(), 20);
    };
    const engine = createDockerEngine(`unix://${path.join(dir, 'docker.sock')}`);
    const events: ContainerEvent[] = [];
    await assert.rejects(
      engine.streamEvents({ signal: new AbortController().signal, onEvent: (e) => events.push(e) }),
      (error: unknown) => error instanceof DockerUnavailableError && error.message.includes('unix://'),
    );
    assert.deepEqual(events.map((e) => e.action), ['start']);
  });

  test('a server error names the call and carries the daemon message', async () => {
    handler = (_req, res) => {
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: 'layer does not exist' }));
    };
    const engine = createDockerEngine(`unix://${path.join(dir, 'docker.sock')}`);
    await assert.rejects(engine.inspect('web'), /inspect "web" on unix:\/\/.*failed: layer does not exist/);
  });
});
