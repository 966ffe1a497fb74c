/** The story file: survives a restart of the doctor, records replay coverage and gaps honestly, stays bounded. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StoryStore } from '../../src/adapters/state/story-store.js';

const dirs: string[] = [];
async function stateDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'doctor-story-'));
  dirs.push(dir);
  return dir;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const T = Date.parse('2026-11-30T03:00:00.000Z');

describe('StoryStore', () => {
  test('steps and coverage survive a restart of the doctor', async () => {
    const dir = await stateDir();
    const first = await StoryStore.open(dir, { flushMs: 0 });
    first.append('unix:///a.sock', 'c1', 'web', { at: T, kind: 'start' }, T);
    first.append('unix:///a.sock', 'c1', 'web', { at: T + 5_000, kind: 'kill', signal: 'SIGTERM' }, T);
    first.recordReplay('unix:///a.sock', T - 60_000, T + 10_000, T - 60_000);
    await first.save();
    const second = await StoryStore.open(dir);
    assert.deepEqual(second.story('unix:///a.sock', 'c1')?.steps.map((s) => `${s.kind}:${s.by ?? '-'}`), ['start:-', 'kill:person']);
    assert.equal(second.story('unix:///b.sock', 'c1'), undefined, 'kept per engine');
    assert.deepEqual(second.coverage('unix:///a.sock'), { knownSince: T - 60_000, gaps: [] });
    assert.equal(second.lastEventMs('unix:///a.sock'), T + 10_000);
  });

  test('a replay the engine could not serve whole leaves a gap, and the story is known only after it', async () => {
    const store = await StoryStore.open(await stateDir(), { flushMs: 0 });
    store.recordReplay('local', T, T + 1_000, T);
    store.setLastEventMs('local', T + 2_000);
    // The doctor was away; the engine's buffer only reaches back to T + 50 s.
    store.recordReplay('local', T + 2_000, T + 90_000, T + 50_000);
    assert.deepEqual(store.coverage('local'), { knownSince: T + 50_000, gaps: [{ from: T + 2_000, to: T + 50_000 }] });
    // A later continuous replay keeps what is known.
    store.recordReplay('local', T + 90_000, T + 95_000, T + 90_000);
    assert.equal(store.coverage('local').knownSince, T + 50_000);
  });

  test('read-only (diagnose without --fix) never writes', async () => {
    const dir = await stateDir();
    const store = await StoryStore.open(dir, { readOnly: true });
    store.append('local', 'c1', 'web', { at: T, kind: 'start' }, T);
    await store.save();
    assert.deepEqual(await readdir(dir), []);
  });

  test('a damaged story file is moved aside, never deleted', async () => {
    const dir = await stateDir();
    await writeFile(path.join(dir, 'stories.json'), '{"v":1,"hosts":{},"stories":{"x":{"id":3}}}');
    const store = await StoryStore.open(dir);
    assert.ok(store.recoveredFrom);
    assert.match(await readFile(store.recoveredFrom!, 'utf8'), /"id":3/);
    assert.equal(store.storiesOf('local').length, 0);
  });

  test('read-only: a damaged story file stays where it is, byte for byte, even after save(); the damage is reported', async () => {
    const dir = await stateDir();
    const text = '{"v":1,"hosts":{},"stories":{"x":{"id":3}}}';
    await writeFile(path.join(dir, 'stories.json'), text);
    const store = await StoryStore.open(dir, { readOnly: true });
    assert.equal(store.recoveredFrom, undefined);
    assert.match(store.damage ?? '', /unexpected content/);
    store.append('local', 'c1', 'web', { at: T, kind: 'start' }, T);
    await store.save();
    assert.deepEqual(await readdir(dir), ['stories.json']);
    assert.equal(await readFile(path.join(dir, 'stories.json'), 'utf8'), text);
  });

  test('written on its own shortly after a change (a kill -9 loses at most that)', async () => {
    const dir = await stateDir();
    const store = await StoryStore.open(dir, { flushMs: 20 });
    store.append('local', 'c1', 'web', { at: T, kind: 'start' }, T);
    await new Promise((r) => setTimeout(r, 200));
    const again = await StoryStore.open(dir);
    assert.equal(again.story('local', 'c1')?.steps.length, 1);
  });
});
