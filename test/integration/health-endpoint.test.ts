/**
 * The HTTP endpoint of the real `doctor watch` binary (build first: `npm run build`), watching
 * real containers on the test engine, with Slack and Claude look-alikes on 127.0.0.1. Every
 * response body is kept and searched for the doctor's secrets at the end.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { freePort } from '../helpers/free-port.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuditLog } from '../../src/adapters/audit/audit-log.js';
import type { DeliveryFailureEvent } from '../../src/core/types.js';
import { repoRoot, requireBuild, runCli } from '../helpers/doctor-harness.js';
import { removeAllTestContainers, requireEngine, runContainer, testDocker, testDockerHost, waitFor, type TestContainer } from '../helpers/engine.js';
import { startFakeAnthropic, type FakeAnthropic } from '../helpers/fake-anthropic.js';
import { FakeSlack, slackReplies } from '../helpers/fake-slack.js';
import { makeRecord } from '../helpers/slack-records.js';

const VERSION = (JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** Every response body any test received: none may carry a secret. */
const bodies: string[] = [];

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

async function get(port: number, pathAndQuery: string, opts: { token?: string; authorization?: string; method?: string; host?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
  if (opts.authorization) headers['authorization'] = opts.authorization;
  const response = await fetch(`http://${opts.host ?? '127.0.0.1'}:${port}${pathAndQuery}`, { method: opts.method ?? 'GET', headers });
  const text = await response.text();
  bodies.push(text);
  return { status: response.status, headers: response.headers, text, json: <T>() => JSON.parse(text) as T };
}

/** A port nobody listens on right now. */
/**
 * TCP ports a process listens on, from /proc: its socket inodes matched against the kernel's
 * socket tables (state 0A is LISTEN).
 */
async function listeningPorts(pid: number): Promise<number[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m) inodes.add(m[1]!);
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A' || !inodes.has(cols[9]!)) continue;
      ports.push(Number.parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

interface Doctor {
  readonly child: ChildProcess;
  readonly port: number;
  readonly stateDir: string;
  output(): string;
  /** The feed's JSON lines (stdout is not a terminal). */
  feed(): Array<Record<string, unknown>>;
  stop(): Promise<number | null>;
}

const running = new Set<Doctor>();

/** Starts `doctor watch` and waits until it has finished a reconcile cycle. */
async function startDoctor(env: Record<string, string>, opts: { stateDir?: string } = {}): Promise<Doctor> {
  requireBuild();
  const stateDir = opts.stateDir ?? (await mkdtemp(path.join(tmpdir(), 'doctor-health-')));
  const port = env['HEALTH_PORT'] === undefined ? await freePort() : Number(env['HEALTH_PORT']);
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'doctor.js'), 'watch'], {
    cwd: stateDir,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '/root',
      NO_COLOR: '1',
      DOCKER_HOST: testDockerHost(),
      STATE_DIR: stateDir,
      CHECK_INTERVAL: '2',
      MIN_DEAD_TIME: '2',
      RESTART_SETTLE_TIME: '1',
      HEALTH_PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const feed = (): Array<Record<string, unknown>> =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const doctor: Doctor = {
    child,
    port,
    stateDir,
    output: () => out,
    feed,
    async stop() {
      running.delete(doctor);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exited;
      if (!opts.stateDir) await rm(stateDir, { recursive: true, force: true });
      return code;
    },
  };
  running.add(doctor);
  await waitFor(() => child.exitCode === null && feed().some((e) => e['type'] === 'cycle' || e['type'] === 'engine-down'), {
    timeoutMs: 20_000,
    what: `doctor watch to start (output so far: ${out.slice(0, 500)})`,
  });
  return doctor;
}

async function health(d: Doctor, token?: string): Promise<{ status: number; body: HealthBody }> {
  const r = await get(d.port, '/health', { token });
  return { status: r.status, body: r.json<HealthBody>() };
}

interface HealthBody {
  status: string;
  problems: string[];
  version: string;
  docker: Array<{ host: string; connected: boolean; eventsStreaming: boolean; lastError: string | null; targets: number; lastCycleAt: string | null; lastCycleMs: number | null }>;
  targets: number;
  totals: { incidents: number; restarts: number; escalations: number; restartFailures: number; repeats: number; recoveries: number; cycles: number };
  restartsPerContainer: Record<string, number>;
  diagnoses: { enabled: boolean; remainingThisHour: number; calls: number; failures: number; inputTokens: number; outputTokens: number };
  slack: { enabled: boolean; delivered: number; failed: number; dropped: number; failing: boolean; lastError: string | null; lastErrorAt: string | null };
  lastCycle: { at: string; durationMs: number } | null;
}

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/**
 * Parses the Prometheus text format (0.0.4) strictly, line by line
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format): comments are
 * `# HELP name text` or `# TYPE name type`, at most once per name and before its samples; a sample
 * is `name{label="value",...} number`; counters are named `*_total`.
 */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const sampled = new Set<string>();
  const samples: Sample[] = [];
  const name = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const label = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
  const sampleRe = new RegExp(`^(${name})(?:\\{(${label}(?:,${label})*)?,?\\})? (\\S+)(?: -?\\d+)?$`);
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    // The text format ignores empty lines (prometheus/docs exposition_formats.md).
    if (line === '') return;
    const help = new RegExp(`^# HELP (${name}) (.*)$`).exec(line);
    const type = new RegExp(`^# TYPE (${name}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
    if (help) {
      assert.ok(!helps.has(help[1]!), `${where}: second HELP`);
      assert.ok(!sampled.has(help[1]!), `${where}: HELP after samples`);
      assert.ok(help[2]!.length > 0, `${where}: empty HELP`);
      helps.add(help[1]!);
      return;
    }
    if (type) {
      assert.ok(!types.has(type[1]!), `${where}: second TYPE`);
      assert.ok(!sampled.has(type[1]!), `${where}: TYPE after samples`);
      if (type[2] === 'counter') assert.ok(type[1]!.endsWith('_total'), `${where}: a counter is named *_total`);
      types.set(type[1]!, type[2]!);
      return;
    }
    assert.ok(!line.startsWith('#'), `${where}: unknown comment`);
    const m = sampleRe.exec(line);
    assert.ok(m, `${where}: not a sample line`);
    const [, metric, labelText, raw] = m;
    // A histogram's samples are its _bucket, _sum and _count series.
    const family = types.has(metric!) ? metric! : metric!.replace(/_(bucket|sum|count)$/, '');
    assert.ok(types.has(family) && (family === metric || types.get(family) === 'histogram'), `${where}: sample without TYPE`);
    // As Prometheus reads a value (Go's strconv.ParseFloat): NaN and Inf in any case. prom-client
    // writes `Nan`, for the event loop's mean delay before its first sample (every 100 ms).
    const special = /^(?:nan|[+-]?inf)$/i.test(raw!);
    const value = special ? (/nan/i.test(raw!) ? Number.NaN : raw!.startsWith('-') ? -Infinity : Infinity) : Number(raw);
    assert.ok(special || !Number.isNaN(value), `${where}: value`);
    if (types.get(family) === 'counter') assert.ok(value >= 0, `${where}: negative counter`);
    const labels: Record<string, string> = {};
    for (const l of labelText?.match(new RegExp(label, 'g')) ?? []) {
      const eq = l.indexOf('=');
      labels[l.slice(0, eq)] = l.slice(eq + 2, -1).replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    sampled.add(family);
    samples.push({ name: metric!, labels, value });
  });
  return { samples, types };
}

function sampleValue(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** The sum over every series of `name` whose labels include `labels` (undefined when there is none). */
function sumValues(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const matching = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return matching.length === 0 ? undefined : matching.reduce((sum, s) => sum + s.value, 0);
}

/** First run fails with `line` and exit 1; every later start stays up (the file survives a restart). */
function failOnceThenRun(line: string): string {
  return `if [ -f /tmp/ran ]; then exec sleep 3600; fi; touch /tmp/ran; echo starting; echo '${line}'; exit 1`;
}

/** Starts containers right after a reconcile cycle, so each fails before the next cycle looks. */
async function startAfterCycle(d: Doctor, containers: readonly TestContainer[]): Promise<void> {
  const cycles = (): number => d.feed().filter((e) => e['type'] === 'cycle').length;
  const seen = cycles();
  await waitFor(() => cycles() > seen, { intervalMs: 10, what: 'a reconcile cycle' });
  await Promise.all(containers.map((c) => testDocker().getContainer(c.id).start()));
}

describe('the health endpoint of `doctor watch`', { timeout: 240_000 }, () => {
  const apiKey = `sk-ant-api03-HEALTHIT${randomBytes(12).toString('hex')}`;
  const token = `hz-tok-${randomBytes(12).toString('hex')}`;
  let slack: FakeSlack;
  let claude: FakeAnthropic;

  before(async () => {
    await requireEngine();
    slack = await FakeSlack.start();
    claude = await startFakeAnthropic();
  });
  after(async () => {
    for (const d of [...running]) await d.stop();
    await slack?.close();
    await claude?.close();
    await removeAllTestContainers();
  });

  describe('a healthy doctor with incidents, restarts and a Claude diagnosis', () => {
    let d: Doctor;
    let web: TestContainer;
    let api: TestContainer;
    let odd: TestContainer;

    before(async () => {
      web = await runContainer({ name: 'h-web', cmd: 'exec sleep 3600' });
      api = await runContainer({ name: 'h-api', cmd: failOnceThenRun('Error: connect ECONNREFUSED 10.44.0.1:5432'), start: false });
      // An unexplained exit (rules cannot settle it: Claude is asked) whose logs carry the doctor's own secrets.
      odd = await runContainer({
        name: 'h-odd',
        cmd: `echo 'loaded key ${apiKey} and token ${token}'; echo 'webhook ${slack.url}'; echo 'giving up: state 0x42 unexpected'; exit 3`,
        start: false,
      });
      // Incidents from an earlier life of the doctor, and delivery failures among them.
      const stateDir = await mkdtemp(path.join(tmpdir(), 'doctor-health-'));
      const log = await AuditLog.open(path.join(stateDir, 'audit.jsonl'));
      for (let i = 0; i < 60; i++) {
        await log.append(makeRecord({ incidentId: `seed-${String(i).padStart(2, '0')}`, name: i % 2 === 0 ? 'seed-even' : 'seed-odd', time: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString() }));
        if (i % 20 === 0) {
          const failure: DeliveryFailureEvent = { v: 1, kind: 'delivery', time: new Date(Date.UTC(2025, 0, 1, 0, i, 30)).toISOString(), message: 'incident', incidentIds: [`seed-${i}`], ok: false, error: 'HTTP 500 internal_error', attempts: 5, status: 500 };
          await log.appendEvent(failure);
        }
      }
      await log.close();

      d = await startDoctor(
        {
          TARGET_CONTAINERS: [web, api, odd].map((c) => c.name).join(','),
          HEALTH_TOKEN: token,
          ANTHROPIC_API_KEY: apiKey,
          ANTHROPIC_BASE_URL: claude.url,
          MAX_DIAGNOSES_PER_HOUR: '5',
          SLACK_WEBHOOK_URL: slack.url,
        },
        { stateDir },
      );
      await startAfterCycle(d, [api, odd]);
      await waitFor(
        async () => {
          const { body } = await health(d, token);
          return body.totals.restarts >= 1 && body.totals.escalations >= 1 && body.diagnoses.calls >= 1 && body.slack.delivered >= 2;
        },
        { timeoutMs: 60_000, what: 'a restart, an escalation, a diagnosis and two Slack posts' },
      );
    });
    after(async () => {
      await d?.stop();
      await rm(d?.stateDir ?? '', { recursive: true, force: true });
    });

    test('it listens on HEALTH_PORT, only there', async () => {
      assert.deepEqual(await listeningPorts(d.child.pid!), [d.port]);
    });

    test('/health: 200 healthy with Docker, targets, totals, restarts, diagnoses left, last cycle and version', async () => {
      const { status, body } = await health(d, token);
      assert.equal(status, 200);
      assert.equal(body.status, 'healthy');
      assert.deepEqual(body.problems, []);
      assert.equal(body.version, VERSION);
      assert.equal(body.docker.length, 1);
      assert.equal(body.docker[0]!.host, testDockerHost());
      assert.equal(body.docker[0]!.connected, true);
      assert.equal(body.docker[0]!.eventsStreaming, true);
      assert.equal(body.docker[0]!.targets, 3);
      assert.equal(body.targets, 3);
      assert.equal(body.totals.restarts, 1);
      assert.equal(body.totals.restartFailures, 0);
      assert.ok(body.totals.incidents >= 2 && body.totals.escalations >= 1);
      assert.ok(body.totals.cycles >= 2);
      assert.deepEqual(body.restartsPerContainer, { [`${testDockerHost()}/${api.name}`]: 1 });
      assert.equal(body.diagnoses.enabled, true);
      assert.equal(body.diagnoses.calls, 1);
      assert.equal(body.diagnoses.remainingThisHour, 4);
      assert.ok(body.diagnoses.inputTokens > 0 && body.diagnoses.outputTokens > 0);
      assert.equal(body.slack.enabled, true);
      assert.equal(body.slack.failed, 0);
      assert.equal(body.slack.failing, false);
      const at = Date.parse(body.lastCycle?.at ?? '');
      assert.ok(Math.abs(Date.now() - at) < 60_000, `last cycle at ${body.lastCycle?.at}`);
      assert.ok(typeof body.lastCycle?.durationMs === 'number' && body.lastCycle.durationMs >= 0);
    });

    test('/history: the latest 50 incidents, newest first, without the delivery lines', async () => {
      const r = await get(d.port, '/history', { token });
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      const { incidents } = r.json<{ incidents: Array<{ incidentId: string; time: string; container: { name: string }; kind?: string }> }>();
      assert.equal(incidents.length, 50);
      assert.ok(incidents.every((x) => x.kind === undefined && typeof x.incidentId === 'string'));
      for (let i = 1; i < incidents.length; i++) assert.ok(incidents[i - 1]!.time >= incidents[i]!.time, `newest first at ${i}`);
      const live = incidents.filter((x) => !x.incidentId.startsWith('seed-'));
      assert.ok(live.length >= 2 && live.every((x, i) => incidents[i] === x), 'the live incidents come first');
      const seeds = incidents.slice(live.length).map((x) => x.incidentId);
      assert.deepEqual(seeds, Array.from({ length: 50 - live.length }, (_, i) => `seed-${String(59 - i).padStart(2, '0')}`));
    });

    const filters: Array<{ query: string; check: (ids: string[], names: string[]) => void }> = [
      { query: '?limit=5', check: (ids) => assert.equal(ids.length, 5) },
      { query: '?limit=1000', check: (ids) => assert.ok(ids.length >= 62) },
      { query: '?container=seed-odd', check: (ids, names) => (assert.equal(ids.length, 30), assert.ok(names.every((n) => n === 'seed-odd'))) },
      { query: '?container=seed-even&limit=3', check: (ids) => assert.deepEqual(ids, ['seed-58', 'seed-56', 'seed-54']) },
      { query: '?container=nobody-here', check: (ids) => assert.deepEqual(ids, []) },
    ];
    for (const f of filters) {
      test(`/history${f.query}`, async () => {
        const r = await get(d.port, `/history${f.query}`, { token });
        assert.equal(r.status, 200);
        const { incidents } = r.json<{ incidents: Array<{ incidentId: string; container: { name: string } }> }>();
        f.check(
          incidents.map((x) => x.incidentId),
          incidents.map((x) => x.container.name),
        );
      });
    }

    test('/history?container= finds a live container by name, with its secrets redacted', async () => {
      for (const c of [api, odd]) {
        const r = await get(d.port, `/history?container=${c.name}`, { token });
        const { incidents } = r.json<{ incidents: Array<{ container: { name: string }; evidence: { logTail: string[] } }> }>();
        assert.ok(incidents.length >= 1 && incidents.every((x) => x.container.name === c.name), c.name);
      }
      const r = await get(d.port, `/history?container=${odd.name}`, { token });
      assert.ok(r.text.includes('giving up: state 0x42 unexpected'), 'the log tail is there');
      assert.ok(r.text.includes('[REDACTED'), 'with the secrets cut out');
    });

    for (const bad of ['limit=0', 'limit=-1', 'limit=abc', 'limit=2.5', 'limit=1001', 'limit=', 'container=', 'since=1', 'limit=5&color=red']) {
      test(`/history?${bad} is 400`, async () => {
        const r = await get(d.port, `/history?${bad}`, { token });
        assert.equal(r.status, 400);
        assert.equal(typeof r.json()['error'], 'string');
      });
    }

    test('/metrics: valid Prometheus text with every counter', async () => {
      const r = await get(d.port, '/metrics', { token });
      const { body } = await health(d, token);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const { samples, types } = parseExposition(r.text);
      const host = testDockerHost();
      const counters: Array<[string, Record<string, string>, number | ((v: number) => boolean)]> = [
        ['doctor_incidents_total', { host }, body.totals.incidents],
        ['doctor_restarts_total', { host }, 1],
        ['doctor_escalations_total', { host }, body.totals.escalations],
        // The engine is a label of its own, never folded into the container's name.
        ['doctor_restarts_total', { host, container: api.name }, 1],
        ['doctor_diagnoses_total', {}, 1],
        ['doctor_tokens_total', { kind: 'input' }, body.diagnoses.inputTokens],
        ['doctor_tokens_total', { kind: 'output' }, body.diagnoses.outputTokens],
        ['doctor_notifications_total', { channel: 'slack', result: 'failed' }, 0],
        ['doctor_notifications_total', { channel: 'slack', result: 'delivered' }, (v) => v >= 2],
        ['doctor_cycles_total', { host }, (v) => v >= 1],
      ];
      for (const [name, labels, expected] of counters) {
        assert.equal(types.get(name), 'counter', name);
        const value = sumValues(samples, name, labels);
        if (typeof expected === 'number') assert.equal(value, expected, `${name} ${JSON.stringify(labels)}`);
        else assert.ok(value !== undefined && expected(value), `${name} = ${value}`);
      }
      // Incidents by severity and failure class add up to the total.
      const bySeverity = samples.filter((s) => s.name === 'doctor_incidents_total');
      assert.ok(bySeverity.every((s) => ['low', 'medium', 'high'].includes(s.labels['severity']!) && s.labels['class']), JSON.stringify(bySeverity));
      // Latency histograms: every recorded incident and the one restart were observed.
      assert.equal(types.get('doctor_incident_record_seconds'), 'histogram');
      assert.equal(sumValues(samples, 'doctor_incident_record_seconds_count', { host }), body.totals.incidents);
      assert.equal(sumValues(samples, 'doctor_restart_duration_seconds_count', { host }), 1);
      assert.equal(sampleValue(samples, 'doctor_diagnosis_duration_seconds_count', { backend: 'claude', result: 'ok' }), 1);
      assert.equal(sampleValue(samples, 'doctor_build_info', { version: VERSION }), 1);
      for (const standard of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
        assert.ok(types.has(standard), `standard metric ${standard}`);
      }
      assert.equal(sampleValue(samples, 'doctor_diagnoses_remaining'), 4);
      assert.equal(sampleValue(samples, 'doctor_engine_up', { host: testDockerHost() }), 1);
      assert.equal(sampleValue(samples, 'doctor_targets', { host: testDockerHost() }), 3);
    });

    const paths = ['/health', '/history', '/metrics'];
    for (const p of paths) {
      test(`${p} needs the bearer token`, async () => {
        assert.equal((await get(d.port, p)).status, 401);
        assert.equal((await get(d.port, p, { token: `${token}x` })).status, 401);
        assert.equal((await get(d.port, p, { token: token.slice(0, -1) })).status, 401);
        assert.equal((await get(d.port, p, { authorization: `Basic ${Buffer.from(`doctor:${token}`).toString('base64')}` })).status, 401);
        assert.equal((await get(d.port, p, { authorization: token })).status, 401);
        const denied = await get(d.port, p);
        assert.equal(denied.headers.get('www-authenticate'), 'Bearer');
        assert.equal((await get(d.port, p, { token })).status, 200);
      });
    }

    test('unknown paths are 404, other methods 405', async () => {
      for (const p of ['/', '/healthz', '/health/x', '/history.json', '/admin']) assert.equal((await get(d.port, p, { token })).status, 404, p);
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        for (const p of paths) {
          const r = await get(d.port, p, { token, method });
          assert.equal(r.status, 405, `${method} ${p}`);
          assert.match(r.headers.get('allow') ?? '', /GET/);
        }
      }
    });

    test('`doctor healthcheck` exits 0 against it, 1 with the wrong token', async () => {
      const env = { HEALTH_PORT: String(d.port), STATE_DIR: d.stateDir };
      const ok = await runCli(['healthcheck'], { ...env, HEALTH_TOKEN: token });
      assert.equal(ok.code, 0, ok.stderr);
      const wrong = await runCli(['healthcheck'], { ...env, HEALTH_TOKEN: 'not-the-token' });
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /401/);
    });

    test('Slack got the incidents; the doctor stops cleanly on SIGTERM', async () => {
      assert.ok(slack.delivered.length >= 2);
      const port = d.port;
      assert.equal(await d.stop(), 0);
      const none = await runCli(['healthcheck'], { HEALTH_PORT: String(port), STATE_DIR: d.stateDir, HEALTH_TOKEN: token });
      assert.equal(none.code, 1, 'no doctor runs any more');
      assert.match(none.stderr, /unreachable/);
    });
  });

  describe('degraded, disabled, and the secrets check', () => {
    afterEach(async () => {
      for (const d of [...running]) await d.stop();
      await removeAllTestContainers();
    });

    test('503 degraded while Docker is unreachable; a non-loopback bind without a token warns at start', async () => {
      const missing = `unix:///tmp/dt-missing-${randomBytes(4).toString('hex')}.sock`;
      const d = await startDoctor({ DOCKER_HOST: missing, HEALTH_HOST: '0.0.0.0' });
      const warning = d.feed().find((e) => e['type'] === 'warning');
      assert.match(String(warning?.['message']), /HEALTH_HOST=0\.0\.0\.0 is not a loopback address and HEALTH_TOKEN is unset/);

      const { status, body } = await health(d);
      assert.equal(status, 503);
      assert.equal(body.status, 'degraded');
      assert.equal(body.docker[0]!.host, missing);
      assert.equal(body.docker[0]!.connected, false);
      assert.equal(body.docker[0]!.eventsStreaming, false);
      assert.ok(body.problems.some((p) => p.startsWith(`docker ${missing} unreachable`)), body.problems.join('; '));
      const metrics = parseExposition((await get(d.port, '/metrics')).text);
      assert.equal(sampleValue(metrics.samples, 'doctor_engine_up', { host: missing }), 0);
      const check = await runCli(['healthcheck'], { HEALTH_PORT: String(d.port), STATE_DIR: d.stateDir });
      assert.equal(check.code, 1);
      assert.match(check.stderr, /503/);
    });

    test('503 degraded while Slack refuses messages; the failure is on /health, /metrics and in the audit log', async () => {
      const crash = await runContainer({ name: 'h-slackfail', cmd: `echo 'FATAL: connect ECONNREFUSED 10.44.0.9:6379'; exit 1`, start: false });
      const d = await startDoctor({ TARGET_CONTAINERS: crash.name, AUTO_FIX: 'false', SLACK_WEBHOOK_URL: slack.url, ANTHROPIC_API_KEY: apiKey, ANTHROPIC_BASE_URL: claude.url });
      assert.equal((await health(d)).status, 200, 'healthy before the failure');
      const before = slack.requests.length;
      // The webhook was revoked: Slack answers every post with 404 no_service.
      slack.reply(...Array.from({ length: 20 }, () => slackReplies.noService));
      await startAfterCycle(d, [crash]);

      const degraded = await waitFor(
        async () => {
          const h = await health(d);
          return h.status === 503 ? h.body : null;
        },
        { timeoutMs: 30_000, what: '/health to turn 503' },
      );
      assert.equal(degraded.status, 'degraded');
      assert.deepEqual(degraded.problems, ['slack delivery failing']);
      assert.equal(degraded.slack.failing, true);
      assert.ok(degraded.slack.failed >= 1);
      assert.equal(degraded.slack.lastError, 'HTTP 404 no_service');
      assert.ok(slack.requests.length > before);

      const { samples } = parseExposition((await get(d.port, '/metrics')).text);
      assert.ok((sampleValue(samples, 'doctor_notifications_total', { channel: 'slack', result: 'failed' }) ?? 0) >= 1);
      assert.equal(sampleValue(samples, 'doctor_channel_failing', { channel: 'slack' }), 1);

      const lines = (await readFile(path.join(d.stateDir, 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const incident = lines.find((l) => l['kind'] === undefined);
      const delivery = lines.find((l) => l['kind'] === 'delivery');
      assert.ok(incident && delivery);
      assert.deepEqual(delivery['incidentIds'], [incident['incidentId']]);
      assert.equal(delivery['error'], 'HTTP 404 no_service');
      const history = (await get(d.port, '/history')).json<{ incidents: Array<{ incidentId: string }> }>();
      assert.deepEqual(
        history.incidents.map((x) => x.incidentId),
        [incident['incidentId']],
      );
      assert.ok(d.feed().some((e) => e['type'] === 'warning' && String(e['message']).includes('no_service')));
    });

    test('HEALTH_PORT=0 disables the endpoint', async () => {
      const d = await startDoctor({ HEALTH_PORT: '0', TARGET_CONTAINERS: 'dt-none-such' });
      assert.equal(d.child.exitCode, null, 'still watching');
      assert.deepEqual(await listeningPorts(d.child.pid!), []);
      const check = await runCli(['healthcheck'], { HEALTH_PORT: '0', STATE_DIR: d.stateDir });
      assert.notEqual(check.code, 0);
    });

    test('no response ever contained a secret', () => {
      assert.ok(bodies.length > 50, `${bodies.length} responses checked`);
      const secrets = [apiKey, token, slack.url, new URL(slack.url).pathname, 'XXXXXXXXXXXXXXXXXXXXXXXX'];
      for (const body of bodies) for (const secret of secrets) assert.ok(!body.includes(secret), `a response contained ${secret}`);
    });
  });
});
