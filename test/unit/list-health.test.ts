import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { healthFromListStatus } from '../../src/adapters/docker/list-health.js';

describe('healthFromListStatus', () => {
  const rows: Array<[state: string | undefined, status: string | undefined, expected: ReturnType<typeof healthFromListStatus>]> = [
    ['running', 'Up 3 minutes (healthy)', 'healthy'],
    ['running', 'Up 3 minutes (unhealthy)', 'unhealthy'],
    ['running', 'Up 2 seconds (health: starting)', 'starting'],
    ['running', 'Up About an hour', 'none'],
    ['running', 'Up Less than a second', 'none'],
    // Unknown dialects and states: the caller inspects instead of guessing.
    ['running', 'Up 5 minutes (something new)', undefined],
    ['running', 'running', undefined],
    ['running', undefined, undefined],
    ['paused', 'Up 5 minutes (Paused)', undefined],
    ['exited', 'Exited (1) 2 minutes ago', undefined],
    [undefined, 'Up 3 minutes (healthy)', undefined],
  ];
  for (const [state, status, expected] of rows) {
    test(`${state} / ${String(status)} -> ${String(expected)}`, () => {
      assert.equal(healthFromListStatus(state, status), expected);
    });
  }
});
