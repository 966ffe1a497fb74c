import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { notifierSubscriber } from '../../src/pipeline/incident-bus.js';
import type { Notifier } from '../../src/pipeline/ports.js';
import type { AuditRecord } from '../../src/core/types.js';
import { makeRecord } from '../helpers/slack-records.js';

function listener() {
  const told: string[] = [];
  const notifier: Notifier = {
    incident: (r) => void told.push(r.container.name),
    recovered: () => undefined,
    flush: async () => undefined,
  };
  return { told, subscriber: notifierSubscriber([notifier], (m) => assert.fail(m)) };
}

const named = (name: string): AuditRecord => ({ ...makeRecord(), container: { id: `${name}-id`, name, image: 'x', host: '' } });
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('an incident recorded in the storm look is told after it', () => {
  test('it is told once the look is over, not before', async () => {
    const { told, subscriber } = listener();
    await subscriber({ type: 'recorded', record: named('api'), aheadWritten: false, stormLook: { waitMs: 30, tookIntoStorm: () => false } });
    assert.deepEqual(told, [], 'held during the look');
    await wait(80);
    assert.deepEqual(told, ['api']);
  });

  test('a container a storm took in meanwhile is told once the storm settles, not in the storm', async () => {
    const { told, subscriber } = listener();
    let storm = false;
    await subscriber({ type: 'recorded', record: named('api'), aheadWritten: false, stormLook: { waitMs: 30, tookIntoStorm: () => storm } });
    storm = true;
    await wait(80);
    assert.deepEqual(told, [], 'the storm\'s alert lists it');
    storm = false;
    await wait(1_300);
    assert.deepEqual(told, ['api']);
  });

  test('a doctor stopping during the look tells what waits, and an incident outside a look is told at once', async () => {
    const { told, subscriber } = listener();
    await subscriber({ type: 'recorded', record: named('api'), aheadWritten: false, stormLook: { waitMs: 60_000, tookIntoStorm: () => false } });
    await subscriber({ type: 'recorded', record: named('db'), aheadWritten: false });
    assert.deepEqual(told, ['db']);
    await subscriber.close?.();
    assert.deepEqual(told, ['db', 'api']);
  });
});
