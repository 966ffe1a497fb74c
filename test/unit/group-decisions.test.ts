import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decideDependent, decideOrphan } from '../../src/core/dependent-decision.js';
import type { DependentLink } from '../../src/core/neighbours.js';
import { isStorm, likelyStormCause, stormSize, type StormSignal } from '../../src/core/storm.js';
import type { ContainerFacts, Policy } from '../../src/core/types.js';
import { HOUR, MIN, NOW, SEC, ago, makeFacts, makeHistory, makePolicy, makeRunningFacts } from '../helpers/facts.js';

const parent = makeRunningFacts({ ref: { id: 'p'.repeat(64), name: 'vpn' }, startedAt: ago(5 * SEC) });
const link = (dep: ContainerFacts): DependentLink => ({ dependent: dep, on: parent.ref, kind: 'network-namespace', via: 'network mode container:vpn' });
const app = (over: Parameters<typeof makeRunningFacts>[0] = {}) => makeRunningFacts({ ref: { id: 'a'.repeat(64), name: 'app' }, startedAt: ago(HOUR), ...over });

describe('decideDependent', () => {
  const rows: Array<{ name: string; dep: ContainerFacts; policy?: Partial<Policy>; restarts?: string[]; stopping?: boolean; ignored?: boolean; expect: [string, string | null] | 'skip' }> = [
    { name: 'running, started before the parent: restart', dep: app(), expect: ['restart', null] },
    { name: 'started after the parent: nothing to do', dep: app({ startedAt: ago(1 * SEC) }), expect: 'skip' },
    { name: 'stopped by a person: stays stopped', dep: makeFacts({ ref: { id: 'a'.repeat(64), name: 'app' }, exitCode: 137 }), expect: ['none', 'manual-stop'] },
    { name: 'paused: left alone', dep: app({ status: 'paused' }), expect: ['none', 'manual-stop'] },
    { name: 'being stopped by a person', dep: app(), stopping: true, expect: ['none', 'manual-stop'] },
    { name: 'a person\'s SIGTERM it ignored (running past the drain bound): a person decides', dep: app(), ignored: true, expect: ['escalate', 'stop-ignored'] },
    { name: 'stateful: escalated', dep: app(), policy: { stateful: true }, expect: ['escalate', 'stateful-image'] },
    { name: 'never label: escalated', dep: app(), policy: { restartNever: true }, expect: ['escalate', 'label-never'] },
    { name: 'the doctor itself', dep: app(), policy: { isSelf: true }, expect: ['none', 'self'] },
    { name: 'throttled', dep: app(), restarts: [ago(10 * MIN), ago(20 * MIN), ago(30 * MIN)], expect: ['escalate', 'restart-throttle'] },
    { name: 'observe-only', dep: app(), policy: { autoFix: false }, expect: ['escalate', 'observe-only'] },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const verdict = decideDependent({
        link: link(row.dep), parentStartedAt: NOW - 5 * SEC, policy: makePolicy(row.policy ?? {}), history: makeHistory({ restarts: row.restarts ?? [] }),
        run: { startedAt: Date.parse(row.dep.startedAt ?? '') || null, ...(row.stopping ? { stopping: { at: NOW - SEC, signal: 'SIGTERM' } } : {}), ...(row.ignored ? { ignoredStop: { at: NOW - 5 * MIN, signal: 'SIGTERM' } } : {}) }, now: NOW,
      });
      if (row.expect === 'skip') return assert.ok('skip' in verdict);
      assert.ok('decision' in verdict);
      assert.deepEqual([verdict.decision.action, verdict.decision.guardrail], row.expect);
    });
  }
  test('an orphan is escalated with the command to run', () => {
    const d = decideOrphan(app({ labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'app' } }), parent);
    assert.equal(d.guardrail, 'namespace-gone');
    assert.match(d.reason, /docker compose -p shop up -d --force-recreate --no-deps app/);
  });
});

describe('storms', () => {
  const s = (i: number, kind: StormSignal['kind'] = 'die', atAgo = 0, exitCode?: number): StormSignal => ({ id: `c${i}`, name: `c${i}`, kind, at: NOW - atAgo, ...(exitCode !== undefined ? { exitCode } : {}) });
  test('size: a count, or a share of the watched, never below 2', () => {
    assert.deepEqual([stormSize({ count: 5 }, 100), stormSize({ share: 0.3 }, 20), stormSize({ share: 0.3 }, 3)], [5, 6, 2]);
  });
  test('five distinct containers within the window are a storm; one container dying five times is not; old ones do not count', () => {
    assert.equal(isStorm([0, 1, 2, 3, 4].map((i) => s(i)), { count: 5 }, 50, NOW, 30 * SEC), true);
    assert.equal(isStorm([0, 0, 0, 0, 0].map((i) => s(i)), { count: 5 }, 50, NOW, 30 * SEC), false);
    assert.equal(isStorm([0, 1, 2, 3].map((i) => s(i)).concat(s(4, 'die', 40 * SEC)), { count: 5 }, 50, NOW, 30 * SEC), false);
  });
  test('likely causes', () => {
    const opts = { windowMs: 30 * SEC, now: NOW };
    assert.match(likelyStormCause([s(0), s(1)], { ...opts, engineDroppedAt: NOW - 5 * SEC }), /daemon/);
    assert.match(likelyStormCause([s(0, 'oom'), s(1, 'die', 0, 137), s(2)], opts), /out of memory/);
    assert.match(likelyStormCause([s(0, 'unhealthy'), s(1, 'unhealthy')], opts), /health checks/);
    assert.match(likelyStormCause([s(0), s(1)], opts), /look at the host/);
  });
});
