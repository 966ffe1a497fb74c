/**
 * `doctor report` over audit logs and stories written by the real `doctor watch` against the real
 * engine: with AUTO_FIX=true a crash the doctor restarts, a crash that comes back after the
 * restart, a crash Docker's own policy brings back; with AUTO_FIX=false a crash a person then
 * starts by hand. The report runs on a copy of each STATE_DIR; the figures are asserted exactly,
 * in JSON, text and markdown, and the times against the engine's own events.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readAuditLog } from '../../src/adapters/audit/audit-log.js';
import { formatCompactDuration } from '../../src/core/format.js';
import type { Report } from '../../src/core/report/report-types.js';
import type { AuditRecord } from '../../src/core/types.js';
import { fastEnv, repoRoot, runCli } from '../helpers/doctor-harness.js';
import { startDoctorProcess, type DoctorProcess } from '../helpers/doctor-process.js';
import { removeAllTestContainers, requireEngine, runContainer, testDocker, testDockerHost, waitFor, type TestContainer } from '../helpers/engine.js';
import { execIn, failOnceThenRun, statusOf } from '../helpers/scenes.js';

before(requireEngine);
after(removeAllTestContainers);

const SCOPE_LABEL = 'doctor.report-scene';
const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'report');

async function doctorFor(scope: string, autoFix: boolean): Promise<DoctorProcess> {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'doctor-report-'));
  return startDoctorProcess({ ...fastEnv, DOCKER_HOST: testDockerHost(), STATE_DIR: stateDir, TARGET_LABEL: `${SCOPE_LABEL}=${scope}`, AUTO_FIX: String(autoFix), CHECK_INTERVAL: '1' });
}

/**
 * A copy of the doctor's STATE_DIR as an operator would take it, once its stories are flushed
 * (within a second of each event; on a loaded machine the events themselves can trail): each of
 * `started` has at least that many `start` steps on file.
 */
async function copyState(d: DoctorProcess, started: ReadonlyArray<readonly [TestContainer, number]> = []): Promise<string> {
  await new Promise((r) => setTimeout(r, 2_000));
  await waitFor(
    async () => {
      const file = JSON.parse(await readFile(path.join(d.stateDir, 'stories.json'), 'utf8')) as { stories: Record<string, { id: string; steps: { kind: string }[] }> };
      const stories = Object.values(file.stories);
      return started.every(([c, n]) => (stories.find((st) => st.id === c.id)?.steps.filter((x) => x.kind === 'start').length ?? 0) >= n);
    },
    { what: 'the stories flushed with every start', timeoutMs: 30_000 },
  );
  const copy = await mkdtemp(path.join(tmpdir(), 'doctor-report-copy-'));
  await cp(d.stateDir, copy, { recursive: true });
  return copy;
}

async function reportJson(stateDir: string, args: readonly string[] = []): Promise<Report> {
  const r = await runCli(['report', '--json', ...args], { STATE_DIR: stateDir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  return JSON.parse(r.stdout) as Report;
}

/** The doctor's records for one container, outcomes joined, oldest first. */
const records = async (d: DoctorProcess, c: TestContainer): Promise<AuditRecord[]> =>
  (await readAuditLog(path.join(d.stateDir, 'audit.jsonl'), { container: c.name })).records.reverse();

/** The engine's own `start` event times (ms) for a container. */
async function startTimes(c: TestContainer, sinceMs: number): Promise<number[]> {
  const stream = (await testDocker().getEvents({
    since: Math.floor(sinceMs / 1000) - 1,
    until: Math.ceil(Date.now() / 1000),
    filters: { container: [c.id], event: ['start'] },
  } as never)) as unknown as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => Math.floor(Number((JSON.parse(l) as { timeNano: number }).timeNano) / 1e6));
}

/** One table row of the text report, split into its cells (columns are two or more spaces apart). */
function textRow(text: string, first: string): string[] {
  const line = text.split('\n').find((l) => l.trim().startsWith(`${first} `));
  assert.ok(line, `a row for ${first} in:\n${text}`);
  return line.trim().split(/\s{2,}/);
}

function markdownRow(md: string, first: string): string[] {
  const line = md.split('\n').find((l) => l.startsWith(`| ${first} |`));
  assert.ok(line, `a markdown row for ${first} in:\n${md}`);
  return line.slice(2, -2).split(' | ');
}

const ms = (iso: string) => Date.parse(iso);

describe('doctor report from what the doctor wrote', { concurrency: 2 }, () => {
  test('AUTO_FIX=true: a restart that is holding, one that did not help, one left to Docker\'s policy', async () => {
    const scope = randomBytes(4).toString('hex');
    const labels = { [SCOPE_LABEL]: scope };
    const began = Date.now();
    const d = await doctorFor(scope, true);
    let copy: string | undefined;
    try {
      const once = await runContainer({ name: 'h11-once', labels, cmd: failOnceThenRun('sleep 1; echo "Error: worker crashed" >&2; exit 1') });
      // Runs well past the settle check (1 s) each time, so its restart counts as made and then relapsed, whatever the load.
      const again = await runContainer({ name: 'h11-again', labels, cmd: 'sleep 5; echo "Error: worker crashed" >&2; exit 1' });
      const policy = await runContainer({ name: 'h11-policy', labels, restartPolicy: 'on-failure:3', cmd: failOnceThenRun('sleep 1; echo "Error: transient failure" >&2; exit 1') });
      await waitFor(async () => (await records(d, once)).some((r) => r.outcome.status === 'restarted'), { what: 'the restart of h11-once', timeoutMs: 60_000 });
      await waitFor(async () => (await records(d, again)).length >= 2, { what: 'h11-again failing after its restart', timeoutMs: 60_000 });
      await waitFor(async () => (await records(d, policy)).length >= 1 && (await statusOf(policy.id)) === 'running', { what: 'h11-policy back by its policy', timeoutMs: 60_000 });
      await waitFor(async () => (await statusOf(again.id)) === 'exited', { what: 'h11-again down for good', timeoutMs: 30_000 });
      copy = await copyState(d, [[once, 2], [again, 2], [policy, 2]]);
      const [onceRecs, againRecs, policyRecs] = [await records(d, once), await records(d, again), await records(d, policy)];
      // One window end for every format, so the still-down container's time down is the same in each.
      const until = new Date().toISOString();
      const rep = await reportJson(copy, ['--until', until]);

      assert.equal(rep.schema, 1);
      assert.equal(rep.to, until);
      assert.deepEqual(rep.containers.map((c) => c.name), [again.name, once.name, policy.name].sort());
      assert.equal(rep.total.incidents, onceRecs.length + againRecs.length + policyRecs.length);
      assert.equal(onceRecs.length, 1);
      assert.equal(againRecs.length, 2);
      assert.equal(policyRecs.length, 1);
      assert.deepEqual(rep.total.restarts, { made: 2, held: 0, relapsed: 1, failed: 0, watching: 1, takenOver: 0 });
      assert.deepEqual(rep.restarts.map((r) => [r.container, r.verdict]), [[once.name, 'watching'], [again.name, 'relapsed']]);
      assert.deepEqual(rep.didItHelp.restartsNotHelped.map((r) => [r.container, r.incidentId]), [[again.name, againRecs[0]!.incidentId]]);
      const all = [...onceRecs, ...againRecs, ...policyRecs];
      const tally = (a: string) => all.filter((x) => x.decision.action === a).length;
      assert.deepEqual(rep.total.decisions, { restart: 2, escalate: tally('escalate'), none: tally('none') });
      assert.equal(tally('restart'), 2);
      assert.deepEqual(rep.total.escalations, againRecs[1]!.decision.action === 'escalate' ? { [againRecs[1]!.decision.guardrail!]: 1 } : {});
      assert.deepEqual(rep.total.byClass, { unknown: 4 });
      assert.equal(rep.total.stillDown, 1, 'h11-again stays down after the restart did not help');
      assert.deepEqual(rep.didItHelp.repeatedSignatures.map((s) => [s.container, s.rule, s.times]), [[again.name, 'exit-error', againRecs.map((r) => r.time)]]);
      assert.deepEqual(rep.observeOnly, { incidents: 0, wouldRestart: 0, reviews: [] });
      assert.equal(rep.diagnosis.calls, 0);
      assert.equal(rep.diagnosis.rulesOnly, 4);

      // Time to recovery: from the exit inspect saw to the engine's own next start event.
      const onceStarts = await startTimes(once, began);
      const policyStarts = await startTimes(policy, began);
      const onceRecovery = rep.recoveries.find((r) => r.container === once.name)!;
      assert.equal(ms(onceRecovery.diedAt), ms(onceRecs[0]!.evidence.finishedAt!.replace(/(\.\d{3})\d*Z$/, '$1Z')));
      assert.equal(ms(onceRecovery.recoveredAt!), onceStarts[1]);
      assert.equal(onceRecovery.by, 'doctor');
      const policyRecovery = rep.recoveries.find((r) => r.container === policy.name)!;
      assert.equal(policyRecovery.by, 'docker');
      assert.equal(ms(policyRecovery.recoveredAt!), policyStarts[1]);
      const ttr = [onceRecovery, policyRecovery, rep.recoveries.find((r) => r.container === again.name && r.recoveredAt !== null)!].map((r) => r.downMs).sort((a, b) => a - b);
      assert.deepEqual([rep.total.timeToRecovery.count, rep.total.timeToRecovery.medianMs, rep.total.timeToRecovery.worstMs], [3, ttr[1], ttr[2]]);
      assert.equal(rep.total.timeToRecovery.by.docker.medianMs, policyRecovery.downMs);

      // --container narrows every figure to one container.
      const one = await reportJson(copy, ['--container', once.name, '--until', until]);
      assert.deepEqual(one.containers.map((c) => c.name), [once.name]);
      assert.equal(one.total.incidents, 1);
      assert.deepEqual(one.total.restarts, { made: 1, held: 0, relapsed: 0, failed: 0, watching: 1, takenOver: 0 });

      // The same figures as text and as markdown.
      const text = await runCli(['report', '--state-dir', copy, '--until', until]);
      assert.equal(text.code, 0, text.stderr);
      const f = rep.containers.find((c) => c.name === again.name)!.figures;
      const ttrText = `${formatCompactDuration(f.timeToRecovery.medianMs!)} / ${formatCompactDuration(f.timeToRecovery.worstMs!)}`;
      const escalationsText = Object.entries(f.escalations).map(([k, n]) => `${k} ${n}`).join(', ') || '-';
      assert.deepEqual(textRow(text.stdout, again.name), [again.name, '2', 'unknown 2', '0/1', escalationsText, formatCompactDuration(f.downMs), ttrText, '1']);
      assert.deepEqual(textRow(text.stdout, 'total'), ['total', '4', 'unknown 4', '0/2 (1 watching)', escalationsText, formatCompactDuration(rep.total.downMs), `${formatCompactDuration(rep.total.timeToRecovery.medianMs!)} / ${formatCompactDuration(rep.total.timeToRecovery.worstMs!)}`, '1']);
      assert.match(text.stdout, new RegExp(`${again.name}\\s+relapsed\\s+the same failure again at ${againRecs[1]!.time.replace(/\./g, '\\.')}`));
      assert.doesNotMatch(text.stdout, /\u001b\[/, 'no colour when stdout is not a terminal');
      const md = await runCli(['report', '--markdown', '--state-dir', copy, '--until', until]);
      assert.equal(md.code, 0, md.stderr);
      // Kept as artifacts: the README's sample output comes from here.
      await mkdir(ARTIFACTS, { recursive: true });
      await writeFile(path.join(ARTIFACTS, 'report.txt'), text.stdout);
      await writeFile(path.join(ARTIFACTS, 'report.md'), md.stdout);
      await writeFile(path.join(ARTIFACTS, 'report.json'), JSON.stringify(rep, null, 2));
      assert.match(md.stdout, /^# Container doctor report\n/);
      assert.deepEqual(markdownRow(md.stdout, once.name).slice(0, 4), [once.name, '1', 'unknown 1', '0/1 (1 watching)']);
      assert.deepEqual(markdownRow(md.stdout, 'doctor'), ['doctor', '2', formatCompactDuration(rep.total.timeToRecovery.by.doctor.medianMs!), formatCompactDuration(rep.total.timeToRecovery.by.doctor.worstMs!)]);
    } finally {
      await d.stop();
      if (copy) await rm(copy, { recursive: true, force: true });
    }
  });

  test('AUTO_FIX=false: an unhealthy container that got well by itself', async () => {
    const scope = randomBytes(4).toString('hex');
    const d = await doctorFor(scope, false);
    let copy: string | undefined;
    try {
      const c = await runContainer({ name: 'h11-sick', labels: { [SCOPE_LABEL]: scope }, cmd: 'exec sleep 3600', healthcheck: { test: '[ -f /tmp/healthy ]', intervalMs: 500, retries: 2 } });
      const [r] = await waitFor(async () => {
        const rs = await records(d, c);
        return rs.length > 0 ? rs : undefined;
      }, { what: 'the observe-only record of the unhealthy container', timeoutMs: 60_000 });
      assert.equal(r!.trigger.kind, 'unhealthy');
      assert.equal(r!.decision.guardrail, 'observe-only');
      await execIn(c.id, ['touch', '/tmp/healthy']);
      await waitFor(async () => (await testDocker().getContainer(c.id).inspect()).State.Health?.Status === 'healthy', { what: 'healthy again' });
      copy = await copyState(d);
      const rep = await reportJson(copy);
      const review = rep.observeOnly.reviews[0]!;
      assert.deepEqual([rep.observeOnly.incidents, rep.observeOnly.wouldRestart, review.wouldHave, review.then], [1, 1, 'restart', 'recovered-by-itself']);
      const recovery = rep.recoveries[0]!;
      assert.equal(recovery.by, 'itself');
      assert.equal(recovery.diedAt, new Date(Date.parse(r!.trigger.at)).toISOString());
      assert.equal(review.downMs, recovery.downMs);
      assert.equal(rep.total.timeToRecovery.by.itself.count, 1);
      assert.equal(rep.total.stillDown, 0);
    } finally {
      await d.stop();
      if (copy) await rm(copy, { recursive: true, force: true });
    }
  });

  test('AUTO_FIX=false: what the doctor would have done, and that a person then started it', async () => {
    const scope = randomBytes(4).toString('hex');
    const labels = { [SCOPE_LABEL]: scope };
    const began = Date.now();
    const d = await doctorFor(scope, false);
    let copy: string | undefined;
    try {
      const c = await runContainer({ name: 'h11-observe', labels, cmd: failOnceThenRun('sleep 1; echo "Error: worker crashed" >&2; exit 1') });
      const [r] = await waitFor(async () => {
        const rs = await records(d, c);
        return rs.length > 0 ? rs : undefined;
      }, { what: 'the observe-only record', timeoutMs: 60_000 });
      assert.equal(r!.decision.guardrail, 'observe-only');
      await new Promise((res) => setTimeout(res, 1_500));
      await testDocker().getContainer(c.id).start();
      await waitFor(async () => (await statusOf(c.id)) === 'running', { what: 'running after the person started it' });
      copy = await copyState(d, [[c, 2]]);
      const rep = await reportJson(copy);
      const starts = await startTimes(c, began);
      const died = ms(r!.evidence.finishedAt!.replace(/(\.\d{3})\d*Z$/, '$1Z'));
      assert.deepEqual(rep.observeOnly, { incidents: 1, wouldRestart: 1, reviews: [{ container: c.name, incidentId: r!.incidentId, at: r!.time, wouldHave: 'restart', then: 'person-restarted', downMs: starts[1]! - died }] });
      assert.deepEqual(rep.total.escalations, { 'observe-only': 1 });
      assert.deepEqual(rep.total.restarts, { made: 0, held: 0, relapsed: 0, failed: 0, watching: 0, takenOver: 0 });
      assert.equal(rep.total.timeToRecovery.by.person.count, 1);
      assert.equal(rep.total.timeToRecovery.by.person.medianMs, starts[1]! - died);
      assert.equal(rep.total.downMs, starts[1]! - died);
      const text = await runCli(['report', '--state-dir', copy]);
      assert.match(text.stdout, new RegExp(`${c.name}\\s+restart\\s+person-restarted\\s+${formatCompactDuration(starts[1]! - died)}`));
      assert.match(text.stdout, /1 incident\(s\) decided in observe-only mode; the doctor would have restarted 1/);
      const md = await runCli(['report', '--markdown', '--state-dir', copy]);
      assert.deepEqual(markdownRow(md.stdout, r!.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z')), [r!.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), c.name, 'restart', 'person-restarted', formatCompactDuration(starts[1]! - died)]);
    } finally {
      await d.stop();
      if (copy) await rm(copy, { recursive: true, force: true });
    }
  });

  test('bad input: one line on stderr, exit 2, nothing on stdout', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'doctor-report-bad-'));
    try {
      for (const [args, message] of [
        [['--since', 'yesterday'], /^doctor: --since "yesterday" must be a span like 7d/],
        [['--since', '2026-02-30'], /^doctor: --since "2026-02-30" is not a real date/],
        [['--json', '--markdown'], /^doctor: --json and --markdown cannot be used together/],
      ] as const) {
        const r = await runCli(['report', '--state-dir', dir, ...args]);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.equal(r.stdout, '');
        assert.match(r.stderr, message);
        assert.equal(r.stderr.trim().split('\n').length, 1);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
