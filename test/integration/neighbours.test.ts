/**
 * Neighbours on the real engine (issue 12): a parent with a `container:` dependent, a compose-style
 * group with the depends_on label, and a parent recreated under its dependent. Each scene asserts on
 * the engine's own start events (what was started, in which order), the audit log and the alerts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SlackNotifier } from '../../src/adapters/slack/slack-notifier.js';
import type { AuditRecord } from '../../src/core/types.js';
import { openHarness, type Harness } from '../helpers/doctor-harness.js';
import { removeAllTestContainers, removeContainers, requireEngine, runContainer, testDocker, testDockerHost, waitFor, type RunOptions, type TestContainer } from '../helpers/engine.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { failOnceThenRun } from '../helpers/scenes.js';
import { STORM_LOOK_MS } from '../../src/pipeline/storm-watch.js';

before(requireEngine);
after(removeAllTestContainers);

const SCOPE_LABEL = 'doctor.scene';

interface Scene {
  readonly h: Harness;
  readonly fake: FakeSlack;
  readonly notifier: SlackNotifier;
  close(): Promise<void>;
}

/** A doctor watching only containers labelled with `scope`, telling a fake Slack. */
async function watch(scope: string, env: Record<string, string> = {}): Promise<Scene> {
  const fake = await FakeSlack.start();
  const notifier = new SlackNotifier({ url: fake.url, hostLabel: 'test', redact: (s) => s, paceMs: 20, backoffBaseMs: 20, maxAttempts: 2 });
  const h = await openHarness({ env: { TARGET_LABEL: `${SCOPE_LABEL}=${scope}`, CHECK_INTERVAL: '1', ...env }, notifier });
  const stop = h.startWatching();
  await waitFor(() => h.watcher.status()[0]?.eventsStreaming && h.feed.some((e) => e.type === 'cycle'), { what: 'the watcher to follow events' });
  return {
    h, fake, notifier,
    async close() {
      await stop();
      await notifier.flush(2_000);
      await h.close();
      await fake.close();
    },
  };
}

/** The engine's start events for these containers from now on, in the order the engine sent them. */
async function followStarts(ids: readonly string[]): Promise<{ readonly order: string[]; close(): void }> {
  const order: string[] = [];
  const stream = (await testDocker().getEvents({ filters: { container: [...ids], type: ['container'], event: ['start'] } } as never)) as unknown as NodeJS.ReadableStream & { destroy(): void };
  let buffered = '';
  stream.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) order.push((JSON.parse(line) as { id: string }).id);
  });
  return { order, close: () => stream.destroy() };
}

const labelled = (scope: string, extra: Record<string, string> = {}) => ({ [SCOPE_LABEL]: scope, ...extra });
const sleeper = (scope: string, o: Partial<RunOptions> = {}): RunOptions => ({ cmd: 'exec sleep 3600', ...o, labels: labelled(scope, o.labels) });
const compose = (project: string, service: string, dependsOn?: string) => ({
  'com.docker.compose.project': project, 'com.docker.compose.service': service, ...(dependsOn ? { 'com.docker.compose.depends_on': dependsOn } : {}),
});

/** A few more cycles pass, so nothing judged late is missed. */
async function waitForQuiet(s: Scene, cycles: number): Promise<void> {
  const seen = s.h.feed.filter((e) => e.type === 'cycle').length;
  await waitFor(() => s.h.feed.filter((e) => e.type === 'cycle').length >= seen + cycles, { what: `${cycles} more cycles`, timeoutMs: 30_000 });
}

async function summaryOf(h: Harness, parent: TestContainer): Promise<AuditRecord> {
  return waitFor(async () => (await h.records(parent.name)).find((r) => r.group?.role === 'summary'), { timeoutMs: 40_000, what: `the group summary for ${parent.name}` });
}

describe('neighbours on the real engine', { concurrency: 2 }, () => {
  test('a container: dependent is restarted after its parent restarts, one group incident, one alert', async () => {
    const scope = randomBytes(4).toString('hex');
    const vpn = await runContainer(sleeper(scope, { name: 'vpn' }));
    const app = await runContainer(sleeper(scope, { name: 'vpn-app', networkMode: `container:${vpn.id}` }));
    const s = await watch(scope);
    const starts = await followStarts([vpn.id, app.id]);
    try {
      await testDocker().getContainer(vpn.id).restart({ t: 1 });
      const summary = await summaryOf(s.h, vpn);
      assert.equal(summary.group?.kind, 'dependents');
      assert.deepEqual(summary.group?.members?.map((m) => [m.container.name, m.action, m.outcome]), [[app.name, 'restart', 'restarted']]);
      await waitFor(() => starts.order.length >= 2, { what: 'two starts' });
      assert.deepEqual(starts.order, [vpn.id, app.id], 'the parent first (the person), then its dependent (the doctor)');
      const member = (await s.h.records(app.name)).filter((r) => r.incidentId === summary.incidentId);
      assert.equal(member.length, 1);
      assert.equal(member[0]!.group?.role, 'member');
      assert.equal(member[0]!.decision.executed, true);
      // The dependent really is in the parent's new namespace: its network works again.
      const inspect = await testDocker().getContainer(app.id).inspect();
      assert.equal(inspect.State.Running, true);
      await s.notifier.flush(5_000);
      const alerts = s.fake.requests.filter((r) => JSON.stringify(r.body).includes(vpn.name) || JSON.stringify(r.body).includes(app.name));
      assert.equal(alerts.length, 1, 'one alert for the group');
      assert.match(JSON.stringify(alerts[0]!.body), new RegExp(app.name));
    } finally {
      starts.close();
      await s.close();
    }
  });

  test('compose depends_on with restart: true restarts in dependency order; a dependent a person stopped stays stopped', async () => {
    const scope = randomBytes(4).toString('hex');
    const project = `p${scope}`;
    const db = await runContainer(sleeper(scope, { name: 'db', labels: compose(project, 'db') }));
    const api = await runContainer(sleeper(scope, { name: 'api', labels: compose(project, 'api', 'db:service_healthy:true') }));
    const worker = await runContainer(sleeper(scope, { name: 'worker', labels: compose(project, 'worker', 'api:service_started:true,db:service_started:true') }));
    const web = await runContainer(sleeper(scope, { name: 'web', labels: compose(project, 'web', 'api:service_started:false') }));
    const cron = await runContainer(sleeper(scope, { name: 'cron', labels: compose(project, 'cron', 'db:service_started:true') }));
    const s = await watch(scope);
    await testDocker().getContainer(cron.id).stop({ t: 1 });
    const starts = await followStarts([db.id, api.id, worker.id, web.id, cron.id]);
    try {
      // Docker's own policy would do the same; a kill and a start by hand are the engine's same events.
      await testDocker().getContainer(db.id).restart({ t: 1 });
      const summary = await summaryOf(s.h, db);
      await waitFor(() => starts.order.length >= 3, { what: 'three starts' });
      assert.deepEqual(starts.order, [db.id, api.id, worker.id], 'db, then api, then worker (which depends on api); web (no restart flag) and the stopped cron untouched');
      const byName = new Map(summary.group?.members?.map((m) => [m.container.name, m]));
      assert.equal(byName.get(api.name)?.outcome, 'restarted');
      assert.equal(byName.get(worker.name)?.outcome, 'restarted');
      assert.equal(byName.get(cron.name)?.action, 'none');
      assert.equal(byName.has(web.name), false);
      assert.equal((await testDocker().getContainer(cron.id).inspect()).State.Running, false);
    } finally {
      starts.close();
      await s.close();
    }
  });

  test("a dependent a person stops while the doctor restarts the one before it stays stopped: each is decided again when its turn comes", async () => {
    const scope = randomBytes(4).toString('hex');
    const project = `p${scope}`;
    const db = await runContainer(sleeper(scope, { name: 'turn-db', labels: compose(project, 'db') }));
    const api = await runContainer(sleeper(scope, { name: 'turn-api', labels: compose(project, 'api', 'db:service_started:true') }));
    const worker = await runContainer(sleeper(scope, { name: 'turn-worker', labels: compose(project, 'worker', 'db:service_started:true') }));
    const s = await watch(scope, { RESTART_SETTLE_TIME: '4' });
    const starts = await followStarts([api.id, worker.id]);
    try {
      await testDocker().getContainer(db.id).restart({ t: 1 });
      // The doctor restarts one of the two first and waits for its settle check; the person stops the other meanwhile.
      const first = await waitFor(() => s.h.feed.find((e) => e.type === 'restarting'), { what: 'the first dependent restart' });
      const firstName = (first as { container: string }).container;
      const other = firstName === api.name ? worker : api;
      await testDocker().getContainer(other.id).stop({ t: 1 });
      const summary = await summaryOf(s.h, db);
      const byName = new Map(summary.group?.members?.map((m) => [m.container.name, m]));
      assert.equal(byName.get(firstName)?.outcome, 'restarted');
      assert.equal(byName.get(other.name)?.action, 'none', JSON.stringify(byName.get(other.name)));
      assert.match(byName.get(other.name)?.detail ?? '', /not running|stopping/);
      assert.equal((await testDocker().getContainer(other.id).inspect()).State.Running, false, 'the stop a person made stands');
      assert.ok(!starts.order.includes(other.id), 'the doctor never started the container the person stopped');
      assert.equal(s.h.feed.filter((e) => e.type === 'restarting').length, 1, 'one restart by the doctor');
    } finally {
      starts.close();
      await s.close();
    }
  });

  test('an api failing to reach a db that is down on a shared network: attributed to the db, restarted only once the db is back', async () => {
    const scope = randomBytes(4).toString('hex');
    const network = await testDocker().createNetwork({ Name: `h12-net-${scope}` });
    const made: string[] = [];
    try {
      const db = await runContainer(sleeper(scope, { name: 'db', network: { name: `h12-net-${scope}` } }));
      made.push(db.id);
      const s = await watch(scope);
      try {
        await testDocker().getContainer(db.id).stop({ t: 1 });
        const api = await runContainer({
          name: 'api', labels: labelled(scope), network: { name: `h12-net-${scope}` },
          cmd: failOnceThenRun(`echo "Error: connect ECONNREFUSED ${db.name}:5432"; exit 1`),
        });
        made.push(api.id);
        const first = await waitFor(async () => (await s.h.records(api.name))[0], { timeoutMs: 30_000, what: 'the api incident' });
        assert.equal(first.decision.action, 'none');
        assert.equal(first.decision.guardrail, 'dependency-down');
        assert.equal(first.rootCause?.root.name, db.name);
        assert.equal(first.rootCause?.state, 'down');
        assert.match(first.decision.reason, new RegExp(`${api.name} is failing because ${db.name} is down`));
        await new Promise((r) => setTimeout(r, 2_500));
        assert.equal((await testDocker().getContainer(api.id).inspect()).State.Running, false, 'not restarted while the db is down');
        const starts = await followStarts([db.id, api.id]);
        await testDocker().getContainer(db.id).start();
        const restarted = await waitFor(async () => (await s.h.records(api.name)).find((r) => r.decision.action === 'restart'), { timeoutMs: 30_000, what: 'the api restart' });
        assert.equal(restarted.outcome.status, 'restarted');
        assert.equal(restarted.rootCause, undefined);
        assert.deepEqual(starts.order, [db.id, api.id], 'the db first (a person), then the api (the doctor)');
        starts.close();
        await s.notifier.flush(5_000);
        const apiAlerts = s.fake.requests.filter((r) => JSON.stringify(r.body).includes(`${api.name} is failing because ${db.name}`));
        assert.equal(apiAlerts.length, 1, 'one alert naming the root');
      } finally {
        await s.close();
      }
    } finally {
      await removeContainers(made);
      await network.remove();
    }
  });

  test('a parent recreated with a new id: its container: dependent is escalated with the compose command, not restarted', async () => {
    const scope = randomBytes(4).toString('hex');
    const project = `p${scope}`;
    const vpn = await runContainer(sleeper(scope, { name: 'vpn', labels: compose(project, 'vpn') }));
    const app = await runContainer(sleeper(scope, { name: 'app', networkMode: `container:${vpn.id}`, labels: compose(project, 'app') }));
    const s = await watch(scope);
    try {
      // Let the doctor see the old parent, so its story knows the old id's name.
      await waitFor(() => s.h.stories.story(s.h.engine.host, vpn.id) !== undefined || s.h.feed.filter((e) => e.type === 'cycle').length > 1, { what: 'a cycle' });
      await testDocker().getContainer(vpn.id).stop({ t: 1 });
      await testDocker().getContainer(vpn.id).remove();
      const again = await testDocker().createContainer({ name: vpn.name, Image: 'doctor-test/busybox:1', Cmd: ['sh', '-c', 'exec sleep 3600'], Labels: { ...labelled(scope, compose(project, 'vpn')), 'doctor.test': '1' } });
      const starts = await followStarts([app.id]);
      await again.start();
      const summary = await waitFor(async () => (await s.h.records(vpn.name)).find((r) => r.group?.role === 'summary'), { timeoutMs: 30_000, what: 'the summary' });
      assert.equal(summary.decision.action, 'escalate');
      assert.equal(summary.decision.guardrail, 'namespace-gone');
      const member = summary.group?.members?.[0];
      assert.equal(member?.container.name, app.name);
      assert.match(member?.detail ?? '', new RegExp(`docker compose -p ${project} up -d --force-recreate --no-deps app`));
      await new Promise((r) => setTimeout(r, 1_000));
      assert.deepEqual(starts.order, [], 'the orphaned dependent was not restarted');
      starts.close();
      await testDocker().getContainer(again.id).remove({ force: true });
    } finally {
      await s.close();
    }
  });

  test('a person stopping 6 containers whose StopSignal is SIGUSR1 at once is no storm', async () => {
    const scope = randomBytes(4).toString('hex');
    // The app's own stop signal (`STOPSIGNAL SIGUSR1` in its image): it drains and exits on it.
    const cmd = "trap 'exit 0' USR1; echo ready; while :; do sleep 0.2; done";
    const apps = await Promise.all(Array.from({ length: 6 }, (_, i) => runContainer({ name: `usr1-${i}`, labels: labelled(scope), cmd, stopSignal: 'SIGUSR1' })));
    const s = await watch(scope, { STORM_THRESHOLD: '5', STORM_WINDOW: '10' });
    try {
      // Every one inspected once while it runs (its StopSignal known), as any cycle does.
      await waitFor(() => s.h.feed.filter((e) => e.type === 'cycle').length >= 3, { what: 'three cycles' });
      await Promise.all(apps.map((c) => testDocker().getContainer(c.id).stop({ t: 10 })));
      await waitFor(async () => (await s.h.records()).length >= apps.length, { timeoutMs: 30_000, what: 'a record per stop' });
      const seen = s.h.feed.filter((e) => e.type === 'cycle').length;
      await waitFor(() => s.h.feed.filter((e) => e.type === 'cycle').length >= seen + 3, { what: 'three more cycles' });
      const rs = await s.h.records();
      assert.deepEqual(rs.filter((r) => r.group?.kind === 'storm').map((r) => r.decision.reason), [], 'no storm');
      assert.ok(rs.every((r) => r.decision.guardrail === 'manual-stop'), JSON.stringify(rs.map((r) => [r.container.name, r.decision.guardrail, r.decision.reason])));
    } finally {
      await s.close();
    }
  });

  test('a storm of 8 containers crashing at once: one host incident, one alert, no restarts until it settles, then each judged', async () => {
    const scope = randomBytes(4).toString('hex');
    // They all die at one wall-clock second, however slowly the shared engine starts them.
    const deadline = Math.ceil(Date.now() / 1000) + 12;
    const crash = `until [ $(date +%s) -ge ${deadline} ]; do sleep 0.2; done; echo "fatal: lost the host"; exit 1`;
    const crashers = await Promise.all(Array.from({ length: 8 }, (_, i) => runContainer({ name: `crash-${i}`, labels: labelled(scope), cmd: failOnceThenRun(crash), start: false })));
    const s = await watch(scope, { STORM_THRESHOLD: '5', STORM_WINDOW: '5' });
    try {
      await Promise.all(crashers.map((c) => testDocker().getContainer(c.id).start()));
      const opened = await waitFor(async () => (await s.h.records()).find((r) => r.group?.kind === 'storm' && r.group.role === 'summary'), { timeoutMs: 45_000, what: 'the storm incident' });
      assert.equal(opened.decision.guardrail, 'storm');
      assert.ok((opened.group?.members?.length ?? 0) >= 5, 'it lists the containers');
      const settled = await waitFor(async () => (await s.h.records()).find((r) => r.group?.kind === 'storm' && r.group.role === 'member'), { timeoutMs: 30_000, what: 'the storm to settle' });
      assert.equal(settled.incidentId, opened.incidentId);
      // Nothing was restarted before it settled: the first restart record comes after the settle record.
      const restarts = (await s.h.records()).filter((r) => r.decision.action === 'restart');
      for (const r of restarts) assert.ok(Date.parse(r.time) >= Date.parse(settled.time), `${r.container.name} restarted at ${r.time}, during the storm`);
      // Once settled each container is judged on its own, with the storm in its story.
      await waitFor(async () => {
        const judged = new Set((await s.h.records()).filter((r) => !r.group).map((r) => r.container.name));
        return crashers.every((c) => judged.has(c.name));
      }, { timeoutMs: 30_000, what: 'a judgement per container' });
      for (const c of crashers) assert.ok(s.h.stories.story(s.h.engine.host, c.id)?.steps.some((st) => st.kind === "storm"), `${c.name}'s story has the storm: ${JSON.stringify(opened.group?.members?.map((m) => m.container.name))} ${JSON.stringify(s.h.stories.story(s.h.engine.host, c.id)?.steps)}`);
      await s.notifier.flush(5_000);
      const stormAlerts = s.fake.requests.filter((r) => JSON.stringify(r.body).includes('Likely cause'));
      assert.equal(stormAlerts.length, 1, 'one alert for the storm');
    } finally {
      await s.close();
    }
  });

  test('after a storm, the first restart does not hold: the others are not restarted, each is recorded as the storm\'s, one alert names them', async () => {
    const scope = randomBytes(4).toString('hex');
    // Every run dies once the deadline has passed: a restart after the storm dies at once too.
    const deadline = Math.ceil(Date.now() / 1000) + 12;
    const crash = `until [ $(date +%s) -ge ${deadline} ]; do sleep 0.2; done; echo "fatal: lost the host"; exit 1`;
    const crashers = await Promise.all(Array.from({ length: 6 }, (_, i) => runContainer({ name: `sick-${i}`, labels: labelled(scope), cmd: crash, start: false })));
    const starts = await followStarts(crashers.map((c) => c.id));
    const s = await watch(scope, { STORM_THRESHOLD: '5', STORM_WINDOW: '5', RESTART_SETTLE_TIME: '3' });
    try {
      await Promise.all(crashers.map((c) => testDocker().getContainer(c.id).start()));
      const stormRecords = async () => (await s.h.records()).filter((r) => r.group?.kind === 'storm');
      await waitFor(async () => (await stormRecords()).some((r) => r.group?.role === 'summary'), { timeoutMs: 45_000, what: 'the storm incident' });
      const withheld = await waitFor(async () => (await stormRecords()).find((r) => r.occurrence === 3), { timeoutMs: 60_000, what: 'the record of the restarts withheld' });
      const names = new Set(crashers.map((c) => c.name));
      const members = await waitFor(async () => {
        const ms = (await stormRecords()).filter((r) => r.group?.role === 'member' && names.has(r.container.name));
        return ms.length === crashers.length - 1 ? ms : undefined;
      }, { timeoutMs: 30_000, what: 'a record for each container not restarted' });
      const rs = await s.h.records();
      const restarted = rs.filter((r) => r.decision.action === 'restart' && names.has(r.container.name));
      assert.equal(restarted.length, 1, 'one restart after the storm');
      const canary = restarted[0]!.container.name;
      assert.match(withheld.decision.reason, new RegExp(`first restart after the storm \\(${canary}\\) did not hold`));
      assert.deepEqual(withheld.group?.members?.map((m) => m.container.name).sort(), [...names].filter((n) => n !== canary).sort());
      for (const m of members) {
        assert.equal(m.decision.action, 'escalate');
        assert.equal(m.decision.guardrail, 'storm');
      }
      await waitForQuiet(s, 3);
      for (const c of crashers) assert.equal(starts.order.filter((id) => id === c.id).length, c.name === canary ? 2 : 1, `${c.name}: ${starts.order.length} starts in all`);
      await s.notifier.flush(5_000);
      const alerts = s.fake.requests.map((r) => JSON.stringify(r.body));
      assert.equal(alerts.filter((a) => a.includes('did not hold') && a.includes('others are not restarted')).length, 1, 'one alert for those withheld');
      assert.equal(alerts.filter((a) => a.includes('not restarted: the first restart after the storm')).length, 0, 'none of its own for each');
    } finally {
      starts.close();
      await s.close();
    }
  });

  test('a crash while a storm may be building is recorded at once; once the storm begins, its alert waits for the storm\'s one alert and its settling', async () => {
    const scope = randomBytes(4).toString('hex');
    // One dies first; a second later five more die together: a storm the first is part of.
    const deadline = Math.ceil(Date.now() / 1000) + 12;
    const at = (s: number) => `until [ $(date +%s) -ge ${s} ]; do sleep 0.1; done; echo "fatal: lost the host"; exit 1`;
    const never = labelled(scope, { 'doctor.restart': 'never' });
    const first = await runContainer({ name: 'first', labels: never, cmd: at(deadline), start: false });
    const rest = await Promise.all(Array.from({ length: 5 }, (_, i) => runContainer({ name: `then-${i}`, labels: never, cmd: at(deadline + 1), start: false })));
    const s = await watch(scope, { STORM_THRESHOLD: '5', STORM_WINDOW: '5' });
    try {
      await Promise.all([first, ...rest].map((c) => testDocker().getContainer(c.id).start()));
      const opened = await waitFor(async () => (await s.h.records()).find((r) => r.group?.kind === 'storm' && r.group.role === 'summary'), { timeoutMs: 45_000, what: 'the storm incident' });
      assert.ok(opened.group?.members?.some((m) => m.container.name === first.name), `the storm lists ${first.name}`);
      const records = await s.h.records();
      const own = records.find((r) => r.container.name === first.name && !r.group);
      assert.ok(own, `${first.name} was recorded as it failed, before the storm began`);
      assert.equal(own.decision.action, 'escalate');
      const stormIndex = records.findIndex((r) => r.incidentId === opened.incidentId);
      assert.ok(records.indexOf(own) < stormIndex, `its record comes before the storm's: ${JSON.stringify(records.map((r) => [r.container.name, r.time, r.decision.guardrail]))}`);
      await waitFor(async () => (await s.h.records()).some((r) => r.group?.kind === 'storm' && r.group.role === 'member'), { timeoutMs: 30_000, what: 'the storm to settle' });
      await waitFor(async () => {
        const judged = new Set((await s.h.records()).filter((r) => !r.group).map((r) => r.container.name));
        return [first, ...rest].every((c) => judged.has(c.name));
      }, { timeoutMs: 30_000, what: 'a record per container' });
      const ownAlert = (a: string) => a.includes(first.name) && !a.includes('Likely cause');
      await waitFor(() => s.fake.requests.some((r) => ownAlert(JSON.stringify(r.body))), { timeoutMs: 15_000, what: `${first.name}'s own alert` });
      await s.notifier.flush(5_000);
      const alerts = s.fake.requests.map((r) => JSON.stringify(r.body));
      assert.equal(alerts.filter((a) => a.includes('Likely cause')).length, 1, 'one alert for the storm');
      // Its own alert waits for the look. The storm began within it (on a loaded engine the five
      // dies can come later): the alert waited for the storm's and its settling; else it went first.
      const stormAt = alerts.findIndex((a) => a.includes('Likely cause'));
      const ownAt = alerts.findIndex(ownAlert);
      if (Date.parse(opened.time) < Date.parse(own.time) + STORM_LOOK_MS) assert.ok(ownAt > stormAt, `${first.name}'s own alert came after the storm's: ${ownAt} vs ${stormAt}`);
      else assert.ok(ownAt < stormAt, `the storm began after ${first.name}'s look: its alert went first`);
      assert.equal(s.h.feed.filter((e) => e.type === 'restarting').length, 0, 'nothing restarted');
    } finally {
      await s.close();
    }
  });
});

describe('the private test engine restarted under the doctor', () => {
  test('a daemon restart is no crash: no doctor restarts, Docker restores the containers with a policy, the others stay down', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const run = promisify(execFile);
    // Only a private engine scripts/test-engine.sh runs (its socket is /tmp/<name>/docker.sock) is
    // restarted; npm test runs one file at a time, so no other file's scenes share the restart.
    const engineName = /^unix:\/\/\/tmp\/([\w.-]+)\/docker\.sock$/.exec(testDockerHost())?.[1];
    assert.ok(engineName, `the test engine ${testDockerHost()} is not one scripts/test-engine.sh runs; this test restarts it and needs one`);
    const scope = randomBytes(4).toString('hex');
    const kept = await Promise.all(Array.from({ length: 3 }, (_, i) => runContainer(sleeper(scope, { name: `kept-${i}`, restartPolicy: 'always' }))));
    const plain = await Promise.all(Array.from({ length: 3 }, (_, i) => runContainer(sleeper(scope, { name: `plain-${i}` }))));
    const s = await watch(scope, { STORM_THRESHOLD: '3', STORM_WINDOW: '5' });
    try {
      await run('scripts/test-engine.sh', ['stop', engineName], { cwd: new URL('../..', import.meta.url).pathname, timeout: 120_000 });
      await run('scripts/test-engine.sh', ['start', engineName], { cwd: new URL('../..', import.meta.url).pathname, timeout: 180_000 });
      await waitFor(() => s.h.watcher.status()[0]?.eventsStreaming, { timeoutMs: 60_000, what: 'the doctor to reconnect' });
      for (const c of kept) await waitFor(async () => (await testDocker().getContainer(c.id).inspect()).State.Running, { timeoutMs: 30_000, what: `${c.name} restored by Docker` });
      // Give the doctor a few cycles to (wrongly) act.
      const cycles = s.h.feed.filter((e) => e.type === 'cycle').length;
      await waitFor(() => s.h.feed.filter((e) => e.type === 'cycle').length >= cycles + 4, { timeoutMs: 30_000, what: 'four cycles' });
      assert.equal(s.h.feed.filter((e) => e.type === 'restarting').length, 0, 'the doctor restarted nothing');
      for (const c of plain) assert.equal((await testDocker().getContainer(c.id).inspect()).State.Running, false, `${c.name} (no policy) stays down`);
      const records = await s.h.records();
      assert.equal(records.filter((r) => r.decision.action === 'restart').length, 0);
    } finally {
      await s.close();
    }
  });
});
