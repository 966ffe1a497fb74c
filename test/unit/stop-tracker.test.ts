/**
 * Telling a crash from a stop: `docker stop`/`docker kill` emit kill (and stop) before the die; a
 * crash emits die alone; the doctor's own restarts emit the same sequence and are not a person's.
 * Event times are given; no clocks, no sleeps.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StopTracker } from '../../src/pipeline/stop-tracker.js';

const T = 1_700_000_000_000;

type Step =
  | { readonly kind: 'stop' | 'start' | 'forget'; readonly at?: number }
  | { readonly kind: 'begin-own' | 'end-own'; readonly at: number };

interface Row {
  readonly name: string;
  readonly steps: readonly Step[];
  /** When the die happens. */
  readonly dieAt: number;
  readonly stoppedByUser: boolean;
  readonly ownRestart: boolean;
}

const rows: Row[] = [
  { name: 'a die alone is a crash', steps: [], dieAt: T, stoppedByUser: false, ownRestart: false },
  { name: 'docker kill: kill then die at once', steps: [{ kind: 'stop', at: T }], dieAt: T + 5, stoppedByUser: true, ownRestart: false },
  { name: 'docker stop: kill, then die after the grace period', steps: [{ kind: 'stop', at: T }], dieAt: T + 10_000, stoppedByUser: true, ownRestart: false },
  { name: 'event times may be a little out of order (die stamped just before the kill)', steps: [{ kind: 'stop', at: T }], dieAt: T - 500, stoppedByUser: true, ownRestart: false },
  { name: 'a die long after an old stop is a crash', steps: [{ kind: 'stop', at: T }], dieAt: T + 31_000, stoppedByUser: false, ownRestart: false },
  { name: 'a die well before the stop is not caused by it', steps: [{ kind: 'stop', at: T }], dieAt: T - 5_000, stoppedByUser: false, ownRestart: false },
  { name: 'a start in between clears the stop: the next die is a crash', steps: [{ kind: 'stop', at: T }, { kind: 'start' }], dieAt: T + 2_000, stoppedByUser: false, ownRestart: false },
  { name: 'forgotten (destroyed) containers have no stop', steps: [{ kind: 'stop', at: T }, { kind: 'forget' }], dieAt: T + 1, stoppedByUser: false, ownRestart: false },
  {
    name: "the doctor's own restart: its kill/die are not a person's",
    steps: [{ kind: 'begin-own', at: T }, { kind: 'stop', at: T + 10 }],
    dieAt: T + 20,
    stoppedByUser: false,
    ownRestart: true,
  },
  {
    name: 'events a little after the restart call returned are still its echo',
    steps: [{ kind: 'begin-own', at: T }, { kind: 'end-own', at: T + 1_000 }],
    dieAt: T + 3_500,
    stoppedByUser: false,
    ownRestart: true,
  },
  {
    name: 'a die well after the restart call returned is a new crash',
    steps: [{ kind: 'begin-own', at: T }, { kind: 'end-own', at: T + 1_000 }],
    dieAt: T + 10_000,
    stoppedByUser: false,
    ownRestart: false,
  },
  {
    name: 'a stop by a person after our restart is theirs again',
    steps: [{ kind: 'begin-own', at: T }, { kind: 'end-own', at: T + 1_000 }, { kind: 'stop', at: T + 60_000 }],
    dieAt: T + 60_010,
    stoppedByUser: true,
    ownRestart: false,
  },
  {
    name: "a person's stop noted before our restart began is dropped by it",
    steps: [{ kind: 'stop', at: T }, { kind: 'begin-own', at: T + 100 }, { kind: 'end-own', at: T + 1_000 }],
    dieAt: T + 20_000,
    stoppedByUser: false,
    ownRestart: false,
  },
];

describe('StopTracker', () => {
  for (const row of rows) {
    test(row.name, () => {
      const tracker = new StopTracker();
      const id = 'c1';
      for (const step of row.steps) {
        if (step.kind === 'stop') tracker.noteStop(id, step.at!);
        else if (step.kind === 'start') tracker.noteStart(id);
        else if (step.kind === 'forget') tracker.forget(id);
        else if (step.kind === 'begin-own') tracker.beginOwnRestart(id, step.at!);
        else tracker.endOwnRestart(id, step.at!);
      }
      const own = tracker.isOwnRestart(id, row.dieAt);
      assert.equal(own, row.ownRestart, 'own restart');
      if (!own) assert.equal(tracker.wasStoppedByUser(id, row.dieAt), row.stoppedByUser, 'stopped by a person');
    });
  }

  test("only the die the doctor's restart causes is swallowed; a crash right after it is real", () => {
    const tracker = new StopTracker();
    tracker.beginOwnRestart('c', T, 1);
    tracker.endOwnRestart('c', T + 500);
    assert.equal(tracker.consumeOwnRestartDie('c', T + 100), true, 'the echo of the restart');
    assert.equal(tracker.consumeOwnRestartDie('c', T + 1_500), false, 'a crash 1 s after the restart');
    assert.equal(tracker.isOwnRestart('c', T + 1_500), true, 'kill/stop echoes are still ours');
  });

  test('restarting an exited container causes no die: any die that follows is a crash', () => {
    const tracker = new StopTracker();
    tracker.beginOwnRestart('c', T, 0);
    tracker.endOwnRestart('c', T + 300);
    assert.equal(tracker.consumeOwnRestartDie('c', T + 400), false);
  });

  test('containers are tracked separately', () => {
    const tracker = new StopTracker();
    tracker.noteStop('a', T);
    tracker.beginOwnRestart('b', T);
    assert.equal(tracker.wasStoppedByUser('a', T + 1), true);
    assert.equal(tracker.wasStoppedByUser('b', T + 1), false);
    assert.equal(tracker.isOwnRestart('a', T + 1), false);
    assert.equal(tracker.isOwnRestart('b', T + 1), true);
  });

  test('the stop window is configurable', () => {
    const tracker = new StopTracker(5_000);
    tracker.noteStop('a', T);
    assert.equal(tracker.wasStoppedByUser('a', T + 4_000), true);
    assert.equal(tracker.wasStoppedByUser('a', T + 6_000), false);
  });
});
