import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IncidentBus } from '../../src/pipeline/incident-bus.js';
import { StormWatch } from '../../src/pipeline/storm-watch.js';
import type { DockerEngine, StoryLedger } from '../../src/pipeline/ports.js';
import type { Trigger } from '../../src/core/types.js';

/** A StormWatch whose timers are collected (run by hand) and whose releases are recorded. */
function watch(threshold: { count: number } | { share: number }) {
  const timers: Array<() => void> = [];
  const released: string[] = [];
  const storms = new StormWatch({
    config: { storm: { threshold, windowMs: 30_000 } },
    clock: { now: () => 1_000_000 },
    bus: new IncidentBus([]),
    stories: { append: () => undefined, setOpenStorm: () => undefined, openStorm: () => undefined, save: async () => undefined } as unknown as StoryLedger,
    feed: () => undefined,
    later: (_ms, fn) => void timers.push(fn),
    release: async (_engine, id) => {
      released.push(id);
      return undefined;
    },
  });
  return { storms, timers, released };
}

const engine = { host: 'local' } as DockerEngine;
const die: Trigger = { kind: 'die', at: new Date(1_000_000).toISOString(), exitCode: 1 };

describe('StormWatch.signal: what counts towards a storm', () => {
  test('containers completing their work (exit 0) at once are no storm, and do not make one with a crash', () => {
    const { storms } = watch({ count: 5 });
    for (const id of ['cron1', 'cron2', 'cron3', 'cron4']) storms.signal(engine, 10, { id, name: id, kind: 'die', at: 1_000_000, exitCode: 0 });
    storms.signal(engine, 10, { id: 'api', name: 'api', kind: 'die', at: 1_000_000, exitCode: 1 });
    assert.equal(storms.holding('local'), false);
    for (const id of ['a', 'b', 'c', 'd']) storms.signal(engine, 10, { id, name: id, kind: 'die', at: 1_000_000, exitCode: 137 });
    assert.equal(storms.holding('local'), true, 'five crashes are one');
  });
  test('an exit 0 is not held for the storm look', () => {
    const { storms } = watch({ count: 5 });
    assert.equal(storms.gate(engine, 8, 'cron1', { kind: 'die', at: new Date(1_000_000).toISOString(), exitCode: 0 }, false), 'go');
  });
});

describe('StormWatch.gate: a fresh failure is recorded at once, its action waits only where a storm can form', () => {
  test('an engine watching fewer containers than a storm takes judges and acts on a crash at once', () => {
    const { storms, timers } = watch({ count: 5 });
    assert.equal(storms.gate(engine, 3, 'a', die, false), 'go');
    assert.equal(timers.length, 0);
  });

  test('with enough containers watched, the first crash is judged in the look; an action it holds is released after it', () => {
    const { storms, timers, released } = watch({ count: 5 });
    assert.equal(storms.gate(engine, 8, 'a', die, false), 'look');
    assert.equal(timers.length, 0, 'nothing waits until the handler says its action does');
    storms.look(engine, 'a', die);
    assert.equal(timers.length, 1);
    timers.shift()!();
    assert.deepEqual(released, ['a']);
  });

  test('a share threshold counts what it takes of the watched containers (never fewer than 2)', () => {
    const { storms } = watch({ share: 0.3 });
    assert.equal(storms.gate(engine, 1, 'a', die, false), 'go', 'one container: no storm of at least 2');
    assert.equal(storms.gate(engine, 10, 'b', die, false), 'look');
  });

  test('before the first list (watched unknown) it looks, and a look again is never held without a storm', () => {
    const { storms } = watch({ count: 5 });
    assert.equal(storms.gate(engine, 0, 'a', die, false), 'look');
    assert.equal(storms.gate(engine, 3, 'c', die, true), 'go');
  });

  test('during a storm everything is held, a look again too, and the storm counts its members', () => {
    const { storms, released } = watch({ count: 5 });
    storms.signal(engine, 10, { id: 'first', name: 'first', kind: 'die', at: 1_000_000, exitCode: 1 });
    assert.equal(storms.tookIntoStorm('local', 'first'), false, 'no storm yet');
    for (const id of ['b', 'c', 'd', 'e']) storms.signal(engine, 10, { id, name: id, kind: 'die', at: 1_000_000, exitCode: 1 });
    assert.equal(storms.tookIntoStorm('local', 'first'), true);
    assert.equal(storms.tookIntoStorm('local', 'elsewhere'), false);
    assert.equal(storms.gate(engine, 10, 'b', die, false), 'hold');
    assert.equal(storms.gate(engine, 10, 'c', die, true), 'hold');
    assert.deepEqual(released, []);
  });
});
