import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IncidentBus } from '../../src/pipeline/incident-bus.js';
import { StormWatch, type ReleaseOptions, type Released } from '../../src/pipeline/storm-watch.js';
import type { DockerEngine, StoryLedger } from '../../src/pipeline/ports.js';
import type { AuditRecord, Trigger } from '../../src/core/types.js';

const engine = { host: 'local' } as DockerEngine;
const T0 = 1_000_000;
const die: Trigger = { kind: 'die', at: new Date(T0).toISOString(), exitCode: 1 };

interface Release {
  readonly id: string;
  readonly opts: ReleaseOptions | undefined;
  resolve(r: Released | undefined): void;
}

/** A storm of five that settled: its settle timer run, each release waiting to be answered by hand. */
async function settledStorm() {
  const timers: Array<() => void> = [];
  const releases: Release[] = [];
  const records: AuditRecord[] = [];
  const now = { ms: T0 };
  const storms = new StormWatch({
    config: { storm: { threshold: { count: 5 }, windowMs: 30_000 } },
    clock: { now: () => now.ms },
    bus: new IncidentBus([(e) => void (e.type === 'recorded' && records.push(e.record))]),
    stories: { append: () => undefined, setOpenStorm: () => undefined, openStorm: () => undefined, save: async () => undefined } as unknown as StoryLedger,
    feed: () => undefined,
    later: (_ms, fn) => void timers.push(fn),
    release: (_engine, id, _t, opts) => new Promise((resolve) => void releases.push({ id, opts, resolve })),
  });
  const ids = ['a', 'b', 'c', 'd', 'e'];
  for (const id of ids) storms.signal(engine, 10, { id, name: `${id}-name`, kind: 'die', at: T0, exitCode: 1 });
  for (const id of ids) assert.equal(storms.gate(engine, 10, id, die, false), 'hold');
  now.ms = T0 + 31_000;
  timers.shift()!();
  await tick();
  return { storms, releases, records };
}

const tick = async () => {
  for (let i = 0; i < 10; i += 1) await new Promise((r) => setImmediate(r));
};

describe('after a storm, one restart first', () => {
  test('one held container is judged first; the others wait (a reconcile\'s look at them is held too) until its restart holds, then go at once', async () => {
    const { storms, releases } = await settledStorm();
    assert.deepEqual(releases.map((r) => r.id), ['a'], 'only the first');
    assert.equal(storms.gate(engine, 10, 'b', { kind: 'exited', at: new Date(T0).toISOString() }, false), 'hold', 'the next cycle does not restart the others');
    releases[0]!.resolve({ restart: 'restarted' });
    await tick();
    assert.deepEqual(releases.map((r) => r.id), ['a', 'b', 'c', 'd', 'e']);
    assert.ok(releases.every((r) => r.opts === undefined), 'restarted as usual');
    assert.equal(storms.gate(engine, 10, 'b', die, true), 'go');
  });

  test('a first that is not restarted (escalated, or a person took over) tells nothing: the next is the first', async () => {
    const { releases } = await settledStorm();
    releases[0]!.resolve(undefined);
    await tick();
    assert.deepEqual(releases.map((r) => r.id), ['a', 'b']);
    releases[1]!.resolve({ restart: 'stopped-by-person' });
    await tick();
    assert.deepEqual(releases.map((r) => r.id), ['a', 'b', 'c']);
    releases[2]!.resolve({ restart: 'restarted' });
    await tick();
    assert.deepEqual(releases.map((r) => r.id), ['a', 'b', 'c', 'd', 'e']);
  });

  test('a first restart that does not hold: the others are not restarted, each is recorded as the storm\'s, and one record names them', async () => {
    const { releases, records } = await settledStorm();
    const before = records.length;
    releases[0]!.resolve({ restart: 'not-running-after-restart' });
    await tick();
    assert.deepEqual(releases.map((r) => r.id), ['a', 'b', 'c', 'd', 'e']);
    for (const r of releases.slice(1)) assert.match(r.opts?.withheld?.reason ?? '', /first restart after the storm \(a-name\) did not hold/);
    const told = records.slice(before);
    assert.equal(told.length, 1);
    assert.equal(told[0]?.decision.action, 'escalate');
    assert.equal(told[0]?.group?.role, 'summary', 'the one alert');
    assert.deepEqual(told[0]?.group?.members?.map((m) => m.container.name), ['b-name', 'c-name', 'd-name', 'e-name']);
    assert.match(told[0]?.decision.reason ?? '', /not-running-after-restart/);
  });
});
