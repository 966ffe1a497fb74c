import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StoryStore } from '../../src/adapters/state/story-store.js';
import { IncidentBus } from '../../src/pipeline/incident-bus.js';
import { StormWatch } from '../../src/pipeline/storm-watch.js';
import type { DockerEngine } from '../../src/pipeline/ports.js';
import type { AuditRecord, Trigger } from '../../src/core/types.js';

const engine = { host: 'local' } as DockerEngine;
const WINDOW_MS = 30_000;
const T0 = 1_800_000_000_000;

/** One doctor process: a StormWatch over the story file in `dir`, its timers run by hand. */
async function doctor(dir: string, now: { ms: number }, opts: { hang?: boolean } = {}) {
  const stories = await StoryStore.open(dir, { flushMs: 0 });
  const timers: Array<() => void> = [];
  const released: string[] = [];
  const records: AuditRecord[] = [];
  const storms = new StormWatch({
    config: { storm: { threshold: { count: 5 }, windowMs: WINDOW_MS } },
    clock: { now: () => now.ms },
    bus: new IncidentBus([(e) => void (e.type === 'recorded' && records.push(e.record))]),
    stories,
    feed: () => undefined,
    later: (_ms, fn) => void timers.push(fn),
    release: async (_engine, id) => {
      released.push(id);
      // A restart that never finishes (the doctor is killed in it).
      return opts.hang ? new Promise<never>(() => undefined) : undefined;
    },
  });
  return { stories, storms, timers, released, records };
}

/** A crash as the story holds it (the events stream, or the replay): start, then die. */
function crash(stories: StoryStore, id: string, at: number, exitCode = 1): void {
  stories.append('local', id, id, { at: at - 5_000, kind: 'start' }, at);
  stories.append('local', id, id, { at, kind: 'die', exitCode }, at);
}

/** The storm's records go out once the story file holds it (a save, then the bus): after its save is done. */
const published = async (d?: { stories: StoryStore }) => {
  await d?.stories.save();
  for (let i = 0; i < 20; i += 1) await new Promise((r) => setImmediate(r));
};

const exited = (at: number): Trigger => ({ kind: 'exited', at: new Date(at).toISOString() });

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'storm-resume-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('StormWatch.resume: a doctor restarted mid-storm goes on with it', () => {
  test('a storm still on is resumed under its own incident: its members are held, and no second alert goes out', () => withDir(async (dir) => {
    const now = { ms: T0 };
    const a = await doctor(dir, now);
    for (const id of ['c1', 'c2', 'c3', 'c4', 'c5']) {
      crash(a.stories, id, now.ms);
      a.storms.signal(engine, 10, { id, name: id, kind: 'die', at: now.ms, exitCode: 1 });
    }
    assert.equal(a.storms.holding('local'), true);
    await published(a);
    const opened = a.records.find((r) => r.group?.role === 'summary');
    assert.ok(opened, 'the first doctor opened the storm');
    await a.stories.save();

    // kill -9: the next doctor starts 10 s later, with the story file as it was left.
    now.ms = T0 + 10_000;
    const b = await doctor(dir, now);
    b.storms.resume(engine, 10, () => 'SIGTERM');
    await published(b);
    assert.equal(b.storms.holding('local'), true, 'the storm goes on');
    assert.equal(b.storms.gate(engine, 10, 'c1', exited(now.ms), false), 'hold', 'a held member stays held');
    assert.equal(b.storms.tookIntoStorm('local', 'c3'), true);
    assert.equal(b.records.length, 0, 'no second alert');

    // It settles a window after its last failure: the held exit is judged then, under the same incident.
    now.ms = T0 + WINDOW_MS + 1;
    b.timers.shift()!();
    assert.equal(b.storms.holding('local'), false);
    assert.deepEqual(b.released, ['c1']);
    await published(b);
    assert.equal(b.records[0]?.incidentId, opened.incidentId);
    assert.equal(b.records[0]?.group?.role, 'member');
    await b.stories.save();
    assert.equal((await StoryStore.open(dir)).openStorm('local'), undefined, 'the settled storm is off the file');
  }));

  test('a container that failed while no doctor watched joins the resumed storm, which then lasts a window past it', () => withDir(async (dir) => {
    const now = { ms: T0 };
    const a = await doctor(dir, now);
    for (const id of ['c1', 'c2', 'c3', 'c4', 'c5']) {
      crash(a.stories, id, now.ms);
      a.storms.signal(engine, 10, { id, name: id, kind: 'die', at: now.ms, exitCode: 1 });
    }
    crash(a.stories, 'late', T0 + 25_000, 137); // replayed by the next doctor
    await a.stories.save();
    now.ms = T0 + 40_000; // past the first window, within the window after `late`
    const b = await doctor(dir, now);
    b.storms.resume(engine, 10, () => 'SIGTERM');
    assert.equal(b.storms.holding('local'), true);
    assert.equal(b.storms.tookIntoStorm('local', 'late'), true);
  }));

  test('a storm that settled while no doctor watched is recorded settled, and its members are judged, one restart first', () => withDir(async (dir) => {
    const now = { ms: T0 };
    const a = await doctor(dir, now);
    for (const id of ['c1', 'c2', 'c3', 'c4', 'c5']) {
      crash(a.stories, id, now.ms);
      a.storms.signal(engine, 10, { id, name: id, kind: 'die', at: now.ms, exitCode: 1 });
    }
    await a.stories.save();
    now.ms = T0 + WINDOW_MS + 5_000;
    const b = await doctor(dir, now);
    b.storms.resume(engine, 10, () => 'SIGTERM');
    assert.equal(b.storms.holding('local'), false);
    await published(b);
    assert.equal(b.records.length, 1);
    assert.equal(b.records[0]?.group?.role, 'member');
    assert.equal(b.records[0]?.group?.members?.length, 5);
    assert.deepEqual(b.released, ['c1', 'c2', 'c3', 'c4', 'c5'], 'each judged (none was restarted here, so each went on to the next)');
    assert.notEqual(b.storms.gate(engine, 10, 'c1', exited(now.ms), true), 'hold');
    await b.stories.save();
    assert.equal((await StoryStore.open(dir)).openStorm('local'), undefined, 'off the file once all are judged');
  }));

  test('a doctor restarted while a settled storm\'s members are judged goes on with them, one restart first, with no second closing record', () => withDir(async (dir) => {
    const now = { ms: T0 };
    const a = await doctor(dir, now, { hang: true });
    for (const id of ['c1', 'c2', 'c3', 'c4', 'c5']) {
      crash(a.stories, id, now.ms);
      a.storms.signal(engine, 10, { id, name: id, kind: 'die', at: now.ms, exitCode: 1 });
    }
    for (const id of ['c1', 'c2', 'c3', 'c4', 'c5']) assert.equal(a.storms.gate(engine, 10, id, exited(now.ms), false), 'hold');
    now.ms = T0 + WINDOW_MS + 1;
    a.timers.shift()!();
    await published(a);
    assert.deepEqual(a.released, ['c1'], 'killed while its first restart runs');
    now.ms = T0 + WINDOW_MS + 20_000;
    const b = await doctor(dir, now);
    b.storms.resume(engine, 10, () => 'SIGTERM');
    await published(b);
    assert.equal(b.records.length, 0, 'the storm was recorded settled already');
    assert.deepEqual(b.released, ['c1', 'c2', 'c3', 'c4', 'c5'], 'one at a time, the first again');
  }));

  test('crashes enough for a storm that no doctor saw (it was down with them) open one on start', () => withDir(async (dir) => {
    const now = { ms: T0 };
    const b = await doctor(dir, now);
    for (const [i, id] of ['c1', 'c2', 'c3', 'c4', 'c5'].entries()) crash(b.stories, id, T0 - 8_000 + i * 1_000, 137);
    b.storms.resume(engine, 10, () => 'SIGTERM');
    assert.equal(b.storms.holding('local'), true);
    await published(b);
    assert.equal(b.records.length, 1);
    assert.equal(b.records[0]?.group?.role, 'summary');
    assert.equal(b.storms.gate(engine, 10, 'c2', exited(now.ms), false), 'hold');
  }));

  test('a person\'s stops, exits 0 and crashes older than the window make no storm on start', () => withDir(async (dir) => {
    const now = { ms: T0 };
    const b = await doctor(dir, now);
    for (const id of ['s1', 's2', 's3']) {
      b.stories.append('local', id, id, { at: T0 - 9_000, kind: 'start' }, T0);
      b.stories.append('local', id, id, { at: T0 - 3_000, kind: 'kill', signal: 'SIGTERM' }, T0);
      b.stories.append('local', id, id, { at: T0 - 2_000, kind: 'die', exitCode: 143 }, T0);
    }
    crash(b.stories, 'done1', T0 - 2_000, 0);
    crash(b.stories, 'done2', T0 - 2_000, 0);
    crash(b.stories, 'old1', T0 - WINDOW_MS - 5_000);
    crash(b.stories, 'old2', T0 - WINDOW_MS - 5_000);
    crash(b.stories, 'fresh', T0 - 1_000);
    b.storms.resume(engine, 10, () => 'SIGTERM');
    assert.equal(b.storms.holding('local'), false);
    await published(b);
    assert.equal(b.records.length, 0);
  }));
});
