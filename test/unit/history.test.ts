import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration } from '../../src/core/format.js';
import {
  countWithin,
  emptyHistory,
  findOpenIncident,
  historyLimits,
  historyOfThisContainer,
  includeTime,
  isStaleExit,
  recordDeath,
  recordIncident,
  recordOom,
  recordRestart,
} from '../../src/core/history.js';
import { HOUR, MIN, NOW, SEC, ago, makeHistory } from '../helpers/facts.js';

describe('countWithin', () => {
  const times = [ago(25 * HOUR), ago(2 * HOUR), ago(9 * MIN), ago(30 * SEC), 'not a time', '0001-01-01T00:00:00Z'];
  const cases: Array<[string, number, number]> = [
    ['10 minutes', 10 * MIN, 2],
    ['1 hour', HOUR, 2],
    ['24 hours', 24 * HOUR, 3],
    ['1 second', SEC, 0],
  ];
  for (const [label, windowMs, expected] of cases) {
    test(`counts times within ${label}, ignoring unparsable and zero times`, () => {
      assert.equal(countWithin(times, NOW, windowMs), expected);
    });
  }
  test('counts a time slightly in the future (clock skew)', () => {
    assert.equal(countWithin([new Date(NOW + 2 * SEC).toISOString()], NOW, MIN), 1);
  });
});

describe('record helpers', () => {
  test('recordDeath appends, keeps order, prunes past 24 h, and leaves the input untouched', () => {
    const before = makeHistory({ deaths: [ago(25 * HOUR), ago(MIN)] });
    const after = recordDeath(before, ago(0), NOW);
    assert.deepEqual(after.deaths, [ago(MIN), ago(0)]);
    assert.deepEqual(before.deaths, [ago(25 * HOUR), ago(MIN)]);
  });

  test('one exit seen twice (event then inspection, ms apart) is recorded once', () => {
    const h = recordDeath(recordDeath(emptyHistory(), '2025-06-01T11:59:59.100Z', NOW), '2025-06-01T11:59:59.104512345Z', NOW);
    assert.equal(h.deaths.length, 1);
  });

  test('deaths seconds apart are distinct', () => {
    const h = recordDeath(recordDeath(emptyHistory(), ago(10 * SEC), NOW), ago(5 * SEC), NOW);
    assert.equal(h.deaths.length, 2);
  });

  test('recordOom and recordRestart fill their own lists', () => {
    const h = recordRestart(recordOom(emptyHistory(), ago(MIN), NOW), ago(30 * SEC), NOW);
    assert.deepEqual(h.ooms, [ago(MIN)]);
    assert.deepEqual(h.restarts, [ago(30 * SEC)]);
    assert.deepEqual(h.deaths, []);
  });

  test('lists are bounded', () => {
    let h = emptyHistory();
    for (let i = 0; i < historyLimits.times + 50; i += 1) h = recordDeath(h, ago(i * 2 * SEC), NOW);
    assert.equal(h.deaths.length, historyLimits.times);
    assert.equal(h.deaths[h.deaths.length - 1], ago(0));
  });

  test('other fields of the history survive', () => {
    const h = recordDeath({ ...emptyHistory(), lastHandledExit: ago(MIN) }, ago(0), NOW);
    assert.equal(h.lastHandledExit, ago(MIN));
  });
});

describe('includeTime', () => {
  test('adds a time not yet recorded and skips one already there', () => {
    assert.equal(includeTime([ago(MIN)], ago(0)).length, 2);
    assert.equal(includeTime([ago(MIN)], new Date(NOW - MIN + 200).toISOString()).length, 1);
    assert.equal(includeTime([ago(MIN)], null).length, 1);
  });
});

describe('incidents', () => {
  test('a new signature is added with count 1; a repeat updates count, time, id, action and rule', () => {
    let h = recordIncident(emptyHistory(), { signature: 's1', incidentId: 'i1', at: ago(10 * MIN), action: 'restart', rule: 'oom-kill' }, NOW);
    h = recordIncident(h, { signature: 's1', incidentId: 'i2', at: ago(MIN), action: 'escalate', rule: 'oom-kill' }, NOW);
    assert.equal(h.incidents.length, 1);
    assert.deepEqual(h.incidents[0], {
      signature: 's1', incidentId: 'i2', firstSeen: ago(10 * MIN), lastSeen: ago(MIN), count: 2, lastAction: 'escalate', rule: 'oom-kill',
      recent: [ago(10 * MIN), ago(MIN)],
    });
  });

  test('keeps the latest occurrence times, bounded, and remembers incidents for a week', () => {
    let h = emptyHistory();
    for (let day = 6; day >= 0; day -= 1) {
      for (let i = 0; i < 3; i += 1) h = recordIncident(h, { signature: 'nightly', incidentId: 'n', at: ago(day * 24 * HOUR + (2 - i) * MIN), action: 'restart' }, NOW);
    }
    const m = h.incidents[0]!;
    assert.equal(m.count, 21);
    assert.equal(m.recent?.length, 12, 'bounded to the newest 12');
    assert.equal(m.recent?.at(-1), ago(0));
    h = recordIncident(h, { signature: 'other', incidentId: 'o', at: new Date(NOW + 8 * 24 * HOUR).toISOString(), action: 'none' }, NOW + 8 * 24 * HOUR);
    assert.deepEqual(h.incidents.map((x) => x.signature), ['other'], 'forgotten after 7 days without a sighting');
  });

  test('incidents not seen for 24 h are forgotten, and the list is bounded', () => {
    let h = recordIncident(emptyHistory(), { signature: 'old', incidentId: 'o', at: ago(25 * HOUR), action: 'none' }, NOW);
    for (let i = 0; i < historyLimits.incidents + 5; i += 1) {
      h = recordIncident(h, { signature: `s${i}`, incidentId: `i${i}`, at: ago((100 - i) * SEC), action: 'none' }, NOW);
    }
    assert.equal(h.incidents.length, historyLimits.incidents);
    assert.ok(!h.incidents.some((m) => m.signature === 'old'));
    assert.equal(h.incidents[h.incidents.length - 1]!.signature, `s${historyLimits.incidents + 4}`);
  });

  const open = recordIncident(emptyHistory(), { signature: 'sig', incidentId: 'i1', at: ago(5 * MIN), action: 'escalate' }, NOW);
  const cases: Array<[string, string, number, boolean]> = [
    ['same signature within the window', 'sig', 10 * MIN, true],
    ['same signature outside the window', 'sig', 2 * MIN, false],
    ['another signature', 'other', 10 * MIN, false],
  ];
  for (const [label, signature, windowMs, found] of cases) {
    test(`findOpenIncident: ${label}`, () => {
      assert.equal(findOpenIncident(open, signature, NOW, windowMs)?.incidentId, found ? 'i1' : undefined);
    });
  }
});

describe('formatDuration and isStaleExit', () => {
  const durations: Array<[number, string]> = [[45 * SEC, '45 s'], [90 * SEC, '1 min 30 s'], [MIN, '1 min'], [10 * MIN, '10 min'], [24 * HOUR, '24 h'], [90 * MIN, '1 h 30 min']];
  for (const [ms, text] of durations) test(`formats ${ms} ms as ${text}`, () => assert.equal(formatDuration(ms), text));

  const stale: Array<[string, string | null, boolean]> = [
    ['exited', ago(3 * HOUR), true],
    ['exited', ago(5 * MIN), false],
    ['die', ago(3 * HOUR), false],
    ['exited', null, false],
  ];
  for (const [kind, finishedAt, expected] of stale) {
    test(`isStaleExit(${kind}, ${finishedAt ?? 'null'}) is ${expected}`, () => assert.equal(isStaleExit(kind, finishedAt, NOW), expected));
  }
});

describe('historyOfThisContainer: a recreate under the same name starts afresh', () => {
  const before = makeHistory({
    deaths: [ago(30 * MIN), ago(5 * MIN)],
    ooms: [ago(30 * MIN)],
    restarts: [ago(29 * MIN), ago(4 * MIN)],
    attemptsEnded: { at: ago(20 * MIN), incidentId: 'inc-old' },
    lastHandledExit: ago(30 * MIN),
    incidents: [{ signature: 'sig-a', incidentId: 'inc-old', firstSeen: ago(30 * MIN), lastSeen: ago(5 * MIN), count: 2, lastAction: 'escalate', lastGuardrail: 'not-safe', rule: 'exit-error' }],
    containerId: 'old-id',
  });

  test('another id under the name: no deaths, OOMs, restarts or giving up; the incident memory stays', () => {
    const h = historyOfThisContainer(before, 'new-id');
    assert.deepEqual(h, { deaths: [], ooms: [], restarts: [], incidents: before.incidents, containerId: 'new-id' });
    assert.equal(h.incidents.length, 1);
  });

  test('the same id (a rename keeps it) keeps everything', () => {
    assert.deepEqual(historyOfThisContainer(before, 'old-id'), before);
  });

  test('a history from before ids were kept is taken as this container\'s, and claimed for it', () => {
    const { containerId: _id, ...legacy } = before;
    assert.deepEqual(historyOfThisContainer(legacy, 'new-id'), { ...legacy, containerId: 'new-id' });
  });
});
