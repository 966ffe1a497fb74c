/** The container's story: who caused each step, and what a death or a run reads as. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appendStep,
  emptyStory,
  isTerminatingSignal,
  personActedSince,
  personStopInOwnStop,
  readDeath,
  readRun,
  signalName,
  stepNearDeath,
  storyLimits,
  unfinishedRestart,
  type ContainerStory,
  type StoryStep,
} from '../../src/core/story.js';

const T = Date.parse('2026-11-30T03:00:00.000Z');
const S = 1000;

function storyOf(steps: StoryStep[], now = T + 60 * S): ContainerStory {
  return steps.reduce((story, step) => appendStep(story, step, now), emptyStory('c1', 'local', 'web'));
}

const ownRestart = (at: number, dies = 1): StoryStep => ({ at, kind: 'doctor-restart', incidentId: 'inc-1', occurrence: 1, dies, until: at + 40 * S });

describe('appendStep', () => {
  test('events outside a doctor restart are a person\'s; inside it, the doctor\'s', () => {
    const story = storyOf([
      { at: T, kind: 'start' },
      { at: T + 5 * S, kind: 'kill', signal: 'SIGTERM' },
      ownRestart(T + 20 * S),
      { at: T + 20 * S + 10, kind: 'kill', signal: 'SIGTERM' },
      { at: T + 21 * S, kind: 'die', exitCode: 143 },
      { at: T + 21 * S + 50, kind: 'start' },
      { at: T + 21 * S + 80, kind: 'doctor-restart-done', ok: true },
      { at: T + 40 * S, kind: 'kill', signal: 'SIGKILL' },
    ]);
    const by = story.steps.filter((s) => s.kind === 'kill' || s.kind === 'die' || s.kind === 'start').map((s) => `${s.kind}:${s.by ?? '-'}`);
    assert.deepEqual(by, ['start:-', 'kill:person', 'kill:doctor', 'die:doctor', 'start:doctor', 'kill:person']);
  });

  test('a person\'s stop right after the doctor\'s start (its restart is a stop and a start, no restart event) is the person\'s', () => {
    const story = storyOf([
      ownRestart(T),
      { at: T + 100, kind: 'kill', signal: 'SIGTERM' },
      { at: T + 200, kind: 'die', exitCode: 143 },
      { at: T + 250, kind: 'stop' },
      { at: T + 300, kind: 'start' },
      { at: T + 400, kind: 'doctor-restart-done', ok: true },
      { at: T + 900, kind: 'kill', signal: 'SIGTERM' },
    ]);
    assert.deepEqual(story.steps.filter((s) => s.kind === 'kill').map((s) => s.by), ['doctor', 'person']);
  });

  test('only the die the restart causes is its own: a crash right after it is a crash', () => {
    const story = storyOf([
      ownRestart(T),
      { at: T + 100, kind: 'kill', signal: 'SIGTERM' },
      { at: T + 200, kind: 'die', exitCode: 143 },
      { at: T + 300, kind: 'start' },
      { at: T + 400, kind: 'doctor-restart-done', ok: true },
      { at: T + 1500, kind: 'die', exitCode: 1 },
    ]);
    const dies = story.steps.filter((s) => s.kind === 'die');
    assert.deepEqual(dies.map((d) => d.by), ['doctor', undefined]);
  });

  test('restarting an exited container causes no die: a die inside the window is a crash', () => {
    const story = storyOf([ownRestart(T, 0), { at: T + 100, kind: 'start' }, { at: T + 300, kind: 'die', exitCode: 2 }]);
    assert.equal(story.steps.find((s) => s.kind === 'die')?.by, undefined);
  });

  test('a replayed event seen live already is not added twice, and late ones go in time order', () => {
    const first = storyOf([{ at: T, kind: 'start' }, { at: T + 2 * S, kind: 'die', exitCode: 1 }]);
    const again = appendStep(first, { at: T + 2 * S, kind: 'die', exitCode: 1 }, T + 60 * S);
    assert.equal(again, first);
    const late = appendStep(first, { at: T + S, kind: 'kill', signal: 'SIGTERM' }, T + 60 * S);
    assert.deepEqual(late.steps.map((s) => s.kind), ['start', 'kill', 'die']);
  });

  test('bounded by count and age; a rename changes the name', () => {
    const steps: StoryStep[] = [];
    for (let i = 0; i < storyLimits.steps + 30; i += 1) steps.push({ at: T + i, kind: 'health', health: i % 2 ? 'healthy' : 'unhealthy' });
    const story = storyOf(steps);
    assert.equal(story.steps.length, storyLimits.steps);
    const aged = appendStep(story, { at: T + storyLimits.ageMs + 10 * S, kind: 'start' }, T + storyLimits.ageMs + 10 * S);
    assert.deepEqual(aged.steps.map((s) => s.kind), ['start']);
    assert.equal(appendStep(story, { at: T + 9 * S, kind: 'rename', name: 'web-2', oldName: 'web' }, T + 60 * S).name, 'web-2');
  });
});

describe('signals', () => {
  test('the kill event\'s numeric signal reads as a name', () => {
    assert.equal(signalName('15'), 'SIGTERM');
    assert.equal(signalName('1'), 'SIGHUP');
    assert.equal(signalName('usr1'), 'SIGUSR1');
    assert.equal(signalName(undefined), 'SIGKILL');
  });
  const cases: Array<[string, string, boolean]> = [
    ['SIGTERM', 'SIGTERM', true],
    ['SIGKILL', 'SIGTERM', true],
    ['SIGINT', 'SIGTERM', true],
    ['SIGQUIT', 'SIGTERM', true],
    ['SIGHUP', 'SIGTERM', false],
    ['SIGUSR1', 'SIGTERM', false],
    ['SIGUSR2', 'SIGTERM', false],
    ['SIGWINCH', 'SIGTERM', false],
    ['SIGWINCH', 'SIGWINCH', true],
  ];
  for (const [signal, stopSignal, stops] of cases) {
    test(`${signal} with StopSignal ${stopSignal}: ${stops ? 'a stop' : 'not a stop'}`, () => assert.equal(isTerminatingSignal(signal, stopSignal), stops));
  }
});

describe('readDeath', () => {
  const opts = { stopSignal: 'SIGTERM', startedAt: T };
  test('a die with nothing before it is a crash', () => {
    const d = readDeath(storyOf([{ at: T, kind: 'start' }, { at: T + 9 * S, kind: 'die', exitCode: 1 }]), T + 9 * S + 3, opts);
    assert.equal(d.cause, 'crash');
    assert.equal(d.seen, true);
  });
  test('the run that ended reads its lines from shortly before its start, never before the exit before it', () => {
    // Crashed at T+1 s, restarted at T+5 s, died again at T+20 s with Docker already running it again.
    const story = storyOf([{ at: T, kind: 'start' }, { at: T + S, kind: 'die', exitCode: 1 }, { at: T + 5 * S, kind: 'start' }, { at: T + 20 * S, kind: 'die', exitCode: 137 }]);
    assert.equal(readDeath(story, T + 20 * S, { stopSignal: 'SIGTERM', startedAt: null }).runFrom, T + 4 * S);
    // A start 0.8 s after the exit before it: the lines of that exit are not this run's.
    const quick = storyOf([{ at: T, kind: 'start' }, { at: T + S, kind: 'die', exitCode: 1 }, { at: T + S + 800, kind: 'start' }, { at: T + 9 * S, kind: 'die', exitCode: 1 }]);
    assert.equal(readDeath(quick, T + 9 * S, { stopSignal: 'SIGTERM', startedAt: T + S + 800 }).runFrom, T + S);
    assert.equal(readDeath(storyOf([{ at: T + 9 * S, kind: 'die', exitCode: 1 }]), T + 9 * S, { stopSignal: 'SIGTERM', startedAt: null }).runFrom, undefined, 'no start known: nothing is cut');
  });
  test('a person\'s TERM long before the die (a long drain) made it', () => {
    const d = readDeath(storyOf([{ at: T, kind: 'start' }, { at: T + 10 * S, kind: 'kill', signal: 'SIGTERM' }, { at: T + 190 * S, kind: 'die', exitCode: 0 }], T + 200 * S), T + 190 * S, opts);
    assert.deepEqual({ cause: d.cause, stop: d.stop }, { cause: 'person', stop: { at: T + 10 * S, signal: 'SIGTERM' } });
  });
  test('a kill in an earlier run does not make this death a person\'s', () => {
    const d = readDeath(
      storyOf([{ at: T, kind: 'kill', signal: 'SIGTERM' }, { at: T + S, kind: 'die', exitCode: 143 }, { at: T + 5 * S, kind: 'start' }, { at: T + 50 * S, kind: 'die', exitCode: 1 }]),
      T + 50 * S,
      { stopSignal: 'SIGTERM', startedAt: T + 5 * S },
    );
    assert.equal(d.cause, 'crash');
  });
  test('a run started within half a second of the last crash: a person\'s kill of it is theirs, not that crash', () => {
    // Docker's policy starts it 100 ms after the crash; the person kills the new run 10 s later.
    const crash = T + 5 * S;
    const story = storyOf([{ at: T, kind: 'start' }, { at: crash, kind: 'die', exitCode: 1 }, { at: crash + 100, kind: 'start' }, { at: crash + 10 * S, kind: 'kill', signal: 'SIGKILL' }, { at: crash + 10 * S + 20, kind: 'die', exitCode: 137 }]);
    const d = readDeath(story, crash + 10 * S + 20, { stopSignal: 'SIGTERM', startedAt: crash + 100 });
    assert.deepEqual({ cause: d.cause, at: d.at }, { cause: 'person', at: crash + 10 * S + 20 });
  });
  test('an instant crash loop: each death is the die after its own run\'s start', () => {
    const story = storyOf([{ at: T, kind: 'start' }, { at: T + 50, kind: 'die', exitCode: 1 }, { at: T + 150, kind: 'start' }, { at: T + 200, kind: 'die', exitCode: 2 }]);
    const d = readDeath(story, T + 200, { stopSignal: 'SIGTERM', startedAt: T + 150 });
    assert.equal(d.at, T + 200);
  });
  test('a person\'s kill that Docker\'s policy answered within 500 ms belongs to that run, not to the crash of the next', () => {
    const kill = T + 5 * S;
    const story = storyOf([{ at: T, kind: 'start' }, { at: kill, kind: 'kill', signal: 'SIGKILL' }, { at: kill + 5, kind: 'die', exitCode: 137 }, { at: kill + 105, kind: 'start' }, { at: kill + 30 * S, kind: 'die', exitCode: 1 }]);
    assert.equal(readDeath(story, kill + 30 * S, { stopSignal: 'SIGTERM', startedAt: kill + 105 }).cause, 'crash');
  });
  test('an OOM of the previous run just before this run started is not this death\'s', () => {
    const story = storyOf([{ at: T, kind: 'start' }, { at: T + 5 * S, kind: 'oom' }, { at: T + 5 * S + 2, kind: 'die', exitCode: 137 }, { at: T + 5 * S + 102, kind: 'start' }, { at: T + 8 * S, kind: 'die', exitCode: 1 }]);
    assert.equal(readDeath(story, T + 8 * S, { stopSignal: 'SIGTERM', startedAt: T + 5 * S + 102 }).oom, false);
  });
  test('a HUP is not a stop', () => {
    const d = readDeath(storyOf([{ at: T, kind: 'start' }, { at: T + 3 * S, kind: 'kill', signal: 'SIGHUP' }, { at: T + 9 * S, kind: 'die', exitCode: 129 }]), T + 9 * S, opts);
    assert.equal(d.cause, 'crash');
  });
  test('a death the story never saw is unknown, never a crash', () => {
    assert.equal(readDeath(storyOf([]), T + 9 * S, opts).cause, 'unknown');
    assert.equal(readDeath(undefined, T + 9 * S, opts).cause, 'unknown');
  });
  test('an oom just before (or just after) the die belongs to it', () => {
    const before = readDeath(storyOf([{ at: T, kind: 'start' }, { at: T + 8 * S, kind: 'oom' }, { at: T + 9 * S, kind: 'die', exitCode: 137 }]), T + 9 * S, opts);
    const after = readDeath(storyOf([{ at: T, kind: 'start' }, { at: T + 9 * S, kind: 'die', exitCode: 137 }, { at: T + 9 * S + 600, kind: 'oom' }]), T + 9 * S, opts);
    const long = readDeath(storyOf([{ at: T, kind: 'start' }, { at: T + 2 * S, kind: 'oom' }, { at: T + 40 * S, kind: 'die', exitCode: 1 }]), T + 40 * S, opts);
    assert.deepEqual([before.oom, after.oom, long.oom], [true, true, false]);
  });
  test('stepNearDeath uses the same windows: an oom 10 s before or 2 s after a die', () => {
    const story = storyOf([{ at: T, kind: 'oom' }, { at: T + 30 * S, kind: 'die', exitCode: 137 }]);
    assert.equal(stepNearDeath(story, 'oom', T + 5 * S), true);
    assert.equal(stepNearDeath(story, 'oom', T - 3 * S), false);
    assert.equal(stepNearDeath(story, 'die', T + 29 * S), true);
    assert.equal(stepNearDeath(story, 'die', T + 5 * S), false);
  });

  test('the doctor\'s own restart made its die', () => {
    const d = readDeath(storyOf([ownRestart(T + 10 * S), { at: T + 10 * S + 5, kind: 'kill', signal: 'SIGTERM' }, { at: T + 11 * S, kind: 'die', exitCode: 143 }]), T + 11 * S, { stopSignal: 'SIGTERM', startedAt: null });
    assert.equal(d.cause, 'doctor');
  });
});

describe('readRun', () => {
  test('a person\'s stop in progress (draining) until the die', () => {
    const draining = readRun(storyOf([{ at: T, kind: 'start' }, { at: T + 5 * S, kind: 'kill', signal: 'SIGTERM' }]), { stopSignal: 'SIGTERM', startedAt: T, now: T + 6 * S });
    assert.deepEqual(draining.stopping, { at: T + 5 * S, signal: 'SIGTERM' });
    const restarted = readRun(storyOf([{ at: T, kind: 'kill', signal: 'SIGTERM' }, { at: T + S, kind: 'die', exitCode: 0 }, { at: T + 2 * S, kind: 'start' }]), { stopSignal: 'SIGTERM', startedAt: T + 2 * S, now: T + 6 * S });
    assert.equal(restarted.stopping, undefined);
  });
  test('pause and unpause', () => {
    const paused = readRun(storyOf([{ at: T, kind: 'start' }, { at: T + S, kind: 'pause' }]), { stopSignal: 'SIGTERM', startedAt: T, now: T + 6 * S });
    assert.equal(paused.pausedSince, T + S);
    const resumed = readRun(storyOf([{ at: T, kind: 'start' }, { at: T + S, kind: 'pause' }, { at: T + 3 * S, kind: 'unpause' }]), { stopSignal: 'SIGTERM', startedAt: T, now: T + 6 * S });
    assert.deepEqual([resumed.pausedSince, resumed.unpausedAt], [undefined, T + 3 * S]);
  });
});

describe('personActedSince and unfinished restarts', () => {
  test('Docker\'s policy start right after a die is not a person; a start later, or a stop, is', () => {
    assert.equal(personActedSince(storyOf([{ at: T, kind: 'die', exitCode: 1 }, { at: T + 200, kind: 'start' }]), T - S), false);
    assert.equal(personActedSince(storyOf([{ at: T, kind: 'die', exitCode: 1 }, { at: T + 5 * 60 * S, kind: 'start' }], T + 6 * 60 * S), T - S), true);
    assert.equal(personActedSince(storyOf([{ at: T, kind: 'kill', signal: 'SIGTERM' }]), T - S), true);
  });
  test('a restart written ahead without its done step is unfinished', () => {
    assert.equal(unfinishedRestart(storyOf([ownRestart(T)]))?.incidentId, 'inc-1');
    assert.equal(unfinishedRestart(storyOf([ownRestart(T), { at: T + S, kind: 'doctor-restart-done', ok: true }]))?.incidentId, 'inc-1', 'the call returned, but its outcome is not on record yet');
    assert.equal(unfinishedRestart(storyOf([ownRestart(T), { at: T + S, kind: 'doctor-restart-done', ok: true }, { at: T + 12 * S, kind: 'doctor-outcome' }])), undefined);
  });
});

describe('a person\'s terminating signal that the process ignores', () => {
  // docker kill -s TERM sends only the signal: a PID 1 without a handler runs on. docker stop
  // waits the stop timeout, then SIGKILLs, and its stop event follows the die.
  const opts = { stopSignal: 'SIGTERM', startedAt: T, drainBoundMs: 3 * S };
  /** story.ts STOP_STALE_MS (a literal, so that these rows also run against code without it). */
  const STOP_STALE_MS = 3600 * S;
  const died = (after: number, exitCode: number, extra: StoryStep[] = []) =>
    readDeath(storyOf([{ at: T, kind: 'start' }, { at: T + S, kind: 'kill', signal: 'SIGTERM' }, { at: T + S + after, kind: 'die', exitCode }, ...extra], T + 3 * 3600 * S), T + S + after, opts);
  test('a die within the drain bound is the person\'s stop, whatever the exit code', () => {
    assert.deepEqual({ cause: died(2 * S, 1).cause, stop: died(2 * S, 1).stop }, { cause: 'person', stop: { at: T + S, signal: 'SIGTERM' } });
  });
  test('beyond the bound with another exit code and no stop: the signal was ignored, the die is a crash', () => {
    const d = died(5 * 60 * S, 1);
    assert.deepEqual({ cause: d.cause, stop: d.stop, ignoredStop: d.ignoredStop }, { cause: 'crash', stop: undefined, ignoredStop: { at: T + S, signal: 'SIGTERM' } });
  });
  test('beyond the bound, exit 143 (128 + TERM) or 0 is still what the signal did', () => {
    assert.deepEqual([died(5 * 60 * S, 143).cause, died(5 * 60 * S, 0).cause, died(5 * 60 * S, 137).cause], ['person', 'person', 'crash']);
    assert.equal(died(5 * 60 * S, 143).ignoredStop, undefined);
  });
  test('a later SIGKILL of the person\'s made the 137', () => {
    assert.equal(died(5 * 60 * S, 137, []).cause, 'crash');
    const d = readDeath(storyOf([{ at: T, kind: 'start' }, { at: T + S, kind: 'kill', signal: 'SIGTERM' }, { at: T + 300 * S, kind: 'kill', signal: 'SIGKILL' }, { at: T + 300 * S + 5, kind: 'die', exitCode: 137 }], T + 400 * S), T + 300 * S + 5, opts);
    assert.deepEqual({ cause: d.cause, stop: d.stop }, { cause: 'person', stop: { at: T + 300 * S, signal: 'SIGKILL' } });
  });
  test('a person\'s stop event right after the die (docker stop with a long -t) makes it theirs', () => {
    const d = died(5 * 60 * S, 1, [{ at: T + S + 5 * 60 * S + 30, kind: 'stop' }]);
    assert.deepEqual({ cause: d.cause, stop: d.stop }, { cause: 'person', stop: { at: T + S, signal: 'SIGTERM' } });
  });
  test('past the staleness bound the old signal counts for nothing: a plain crash', () => {
    const d = died(STOP_STALE_MS + S, 1);
    assert.deepEqual({ cause: d.cause, ignoredStop: d.ignoredStop }, { cause: 'crash', ignoredStop: undefined });
  });
  test('without a drain bound, Docker\'s default 10 s stop timeout (plus slack) applies', () => {
    const story = storyOf([{ at: T, kind: 'start' }, { at: T + S, kind: 'kill', signal: 'SIGTERM' }, { at: T + 9 * S, kind: 'die', exitCode: 1 }]);
    assert.equal(readDeath(story, T + 9 * S, { stopSignal: 'SIGTERM', startedAt: T }).cause, 'person');
    assert.equal(readDeath(story, T + 9 * S, { stopSignal: 'SIGTERM', startedAt: T, drainBoundMs: 3 * S }).cause, 'crash');
  });
  test('a running container: stopping within the bound, ignored beyond it, neither once stale', () => {
    const story = storyOf([{ at: T, kind: 'start' }, { at: T + S, kind: 'kill', signal: 'SIGTERM' }], T + 3 * 3600 * S);
    const at = (now: number) => readRun(story, { stopSignal: 'SIGTERM', startedAt: T, drainBoundMs: 3 * S, now });
    assert.deepEqual([at(T + 3 * S).stopping, at(T + 3 * S).ignoredStop], [{ at: T + S, signal: 'SIGTERM' }, undefined]);
    assert.deepEqual([at(T + 60 * S).stopping, at(T + 60 * S).ignoredStop], [undefined, { at: T + S, signal: 'SIGTERM' }]);
    assert.deepEqual([at(T + S + STOP_STALE_MS + S).stopping, at(T + S + STOP_STALE_MS + S).ignoredStop], [undefined, undefined]);
  });
  test('a second signal within the bound after an ignored one: draining again', () => {
    const story = storyOf([{ at: T, kind: 'start' }, { at: T + S, kind: 'kill', signal: 'SIGTERM' }, { at: T + 60 * S, kind: 'kill', signal: 'SIGTERM' }], T + 3 * 3600 * S);
    assert.deepEqual(readRun(story, { stopSignal: 'SIGTERM', startedAt: T, drainBoundMs: 3 * S, now: T + 61 * S }).stopping, { at: T + 60 * S, signal: 'SIGTERM' });
  });
});

describe('readDeath under load', () => {
  test('a die stamped seconds after FinishedAt is still this run\'s death', () => {
    const story = storyOf([{ at: T, kind: 'start' }, { at: T + 4 * S, kind: 'kill', signal: 'SIGTERM' }, { at: T + 9 * S, kind: 'die', exitCode: 143 }]);
    assert.equal(readDeath(story, T + 5 * S, { stopSignal: 'SIGTERM', startedAt: T }).cause, 'person');
    const later = appendStep(story, { at: T + 20 * S, kind: 'start' }, T + 60 * S);
    assert.equal(readDeath(later, T + 60 * S, { stopSignal: 'SIGTERM', startedAt: T + 20 * S }).cause, 'unknown', 'the die of an earlier run is not this one');
  });
});

describe('personStopInOwnStop', () => {
  const since = T + 60 * S;
  const opts = { timeoutSeconds: 10, stopSignal: 'SIGTERM' };
  const kill = (at: number, signal: string): StoryStep => ({ at, kind: 'kill', signal, by: 'doctor' });
  test('the doctor\'s own stop signal, and Docker\'s SIGKILL when the timeout ran out, are nobody else\'s', () => {
    assert.equal(personStopInOwnStop(storyOf([kill(since + 5, 'SIGTERM'), kill(since + 10 * S + 3, 'SIGKILL')]), since, opts), undefined);
  });
  test('a second stop signal is a person\'s docker stop; an early SIGKILL a person\'s docker kill', () => {
    assert.equal(personStopInOwnStop(storyOf([kill(since + 5, 'SIGTERM'), kill(since + S, 'SIGTERM')]), since, opts)?.at, since + S);
    assert.equal(personStopInOwnStop(storyOf([kill(since + 5, 'SIGTERM'), kill(since + 2 * S, 'SIGKILL')]), since, opts)?.at, since + 2 * S);
  });
  test('a reload signal during the drain is not a stop', () => {
    assert.equal(personStopInOwnStop(storyOf([kill(since + 5, 'SIGTERM'), kill(since + S, 'SIGHUP')]), since, opts), undefined);
  });
});
