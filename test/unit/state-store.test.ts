/**
 * The state file: per-container history and the events cursor survive a new StateStore on the
 * same directory (a restart of the doctor); a damaged file is moved aside, never deleted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StateStore } from '../../src/adapters/state/state-store.js';
import { historyKey } from '../../src/core/history.js';
import { StateError } from '../../src/core/errors.js';
import type { ContainerHistory } from '../../src/core/types.js';

let root: string;
let n = 0;
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'doctor-state-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  n += 1;
  const dir = path.join(root, `s${n}`);
  await mkdir(dir);
  return dir;
}

const history: ContainerHistory = {
  deaths: ['2025-03-01T12:00:00.000Z', '2025-03-01T12:05:00.000Z'],
  ooms: ['2025-03-01T12:05:00.000Z'],
  restarts: ['2025-03-01T12:00:01.000Z'],
  incidents: [{ signature: 'abc', incidentId: 'inc-1', firstSeen: '2025-03-01T12:00:00.000Z', lastSeen: '2025-03-01T12:05:00.000Z', count: 2, lastAction: 'restart', rule: 'oom-kill' }],
  lastHandledExit: '2025-03-01T12:05:00.000Z',
};

describe('StateStore', () => {
  test('a fresh directory has empty histories and no cursor', async () => {
    const store = await StateStore.open(await freshDir());
    assert.deepEqual(store.history('local/web'), { deaths: [], ooms: [], restarts: [], incidents: [] });
    assert.equal(store.lastEventMs('unix:///var/run/docker.sock'), undefined);
    assert.equal(store.recoveredFrom, undefined);
  });

  test('histories and the events cursor survive a new store on the same directory', async () => {
    const dir = await freshDir();
    const first = await StateStore.open(dir);
    first.setHistory(historyKey('unix:///a.sock', 'web'), history);
    first.setLastEventMs('unix:///a.sock', 1_700_000_000_123);
    first.setLastEventMs('', 42);
    await first.save();

    const second = await StateStore.open(dir);
    assert.deepEqual(second.history(historyKey('unix:///a.sock', 'web')), history);
    assert.deepEqual(second.history(historyKey('unix:///b.sock', 'web')).deaths, [], 'keyed per engine');
    assert.equal(second.lastEventMs('unix:///a.sock'), 1_700_000_000_123);
    assert.equal(second.lastEventMs(''), 42, 'the default engine is kept under "local"');
    assert.equal(second.recoveredFrom, undefined);
  });

  test('the events cursor never moves backwards', async () => {
    const store = await StateStore.open(await freshDir());
    store.setLastEventMs('h', 2000);
    store.setLastEventMs('h', 1000);
    assert.equal(store.lastEventMs('h'), 2000);
  });

  test('save writes only when something changed, and concurrent saves leave one valid file', async () => {
    const dir = await freshDir();
    const store = await StateStore.open(dir);
    await store.save();
    assert.deepEqual(await readdir(dir), [], 'nothing to save, nothing written');
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        store.setHistory(`local/c${i}`, history);
        await store.save();
      }),
    );
    const saved = JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8')) as { v: number; containers: Record<string, unknown> };
    assert.equal(saved.v, 1);
    assert.equal(Object.keys(saved.containers).length, 20);
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left behind');
  });

  const damaged = [
    { name: 'truncated JSON', content: '{"v":1,"containers":{"local/web":{"deaths":["2025' },
    { name: 'not an object', content: '[]' },
    { name: 'an unknown version', content: '{"v":2,"containers":{},"lastEventMs":{}}' },
    { name: 'binary junk', content: '\u0000\u0001\u00ff garbage' },
    { name: 'valid JSON with a string for the deaths', content: '{"v":1,"containers":{"local/web":{"deaths":"zzz","ooms":[],"restarts":[],"incidents":[]}},"lastEventMs":{}}', reason: /containers\.local\/web\.deaths/ },
    { name: 'valid JSON with a number for an incident count of "many"', content: '{"v":1,"containers":{"local/web":{"deaths":[],"ooms":[],"restarts":[],"incidents":[{"signature":"a","incidentId":"i","firstSeen":"x","lastSeen":"x","count":"many","lastAction":"none"}]}},"lastEventMs":{}}', reason: /incidents\.0\.count/ },
    { name: 'a cursor that is not a number', content: '{"v":1,"containers":{},"lastEventMs":{"local":"soon"}}', reason: /lastEventMs\.local/ },
  ];
  for (const row of damaged) {
    test(`a damaged state file (${row.name}) is moved aside with its content, and the store starts fresh`, async () => {
      const dir = await freshDir();
      await writeFile(path.join(dir, 'state.json'), row.content);
      const store = await StateStore.open(dir);
      assert.ok(store.recoveredFrom, 'says where the damaged file went');
      assert.equal(path.dirname(store.recoveredFrom), dir);
      assert.match(path.basename(store.recoveredFrom), /^state\.json\.corrupt-\d+$/);
      assert.equal(await readFile(store.recoveredFrom, 'utf8'), row.content, 'moved, not deleted');
      if (row.reason) assert.match(store.damage ?? '', row.reason, 'says what was wrong');
      assert.deepEqual(store.history('local/web').deaths, []);
      store.setHistory('local/web', history);
      await store.save();
      assert.deepEqual((await StateStore.open(dir)).history('local/web'), history);
    });
  }

  test('read-only: a damaged state file is left byte for byte and never written, the damage is reported', async () => {
    const dir = await freshDir();
    const content = '{"v":1,"containers":"zzz","lastEventMs":{}}';
    await writeFile(path.join(dir, 'state.json'), content);
    const store = await StateStore.open(dir, { readOnly: true });
    assert.equal(store.recoveredFrom, undefined);
    assert.match(store.damage ?? '', /containers/);
    store.setHistory('local/web', history);
    await store.save();
    assert.deepEqual(await readdir(dir), ['state.json']);
    assert.equal(await readFile(path.join(dir, 'state.json'), 'utf8'), content);
  });

  test('fields a newer doctor added are kept through a load and save', async () => {
    const dir = await freshDir();
    const withExtra = { v: 1, savedAt: 'x', containers: { 'local/web': { ...history, story: { phase: 'crash-loop' } } }, lastEventMs: {}, storyVersion: 2 };
    await writeFile(path.join(dir, 'state.json'), JSON.stringify(withExtra));
    const store = await StateStore.open(dir);
    assert.equal(store.recoveredFrom, undefined);
    assert.deepEqual((store.history('local/web') as unknown as { story: unknown }).story, { phase: 'crash-loop' });
  });

  test('an unreadable state file (a directory in its place) is a StateError naming it', async () => {
    const dir = await freshDir();
    await mkdir(path.join(dir, 'state.json'));
    await assert.rejects(StateStore.open(dir), (e: unknown) => e instanceof StateError && /state\.json/.test((e as Error).message));
  });

  test('a failed save is a StateError and is retried on the next save', async () => {
    const dir = await freshDir();
    const store = await StateStore.open(dir);
    store.setHistory('local/web', history);
    await rm(dir, { recursive: true });
    await assert.rejects(store.save(), StateError);
    await mkdir(dir);
    await store.save();
    assert.deepEqual((await StateStore.open(dir)).history('local/web'), history);
  });
});
