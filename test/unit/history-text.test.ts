import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Chalk } from 'chalk';
import { formatHistory } from '../../src/cli/render/history-text.js';
import { makeRecord } from '../helpers/slack-records.js';

const plain = new Chalk({ level: 0 });

test('history text is newest first, like --json, and says so', () => {
  const older = makeRecord({ incidentId: 'inc-old', time: '2025-03-01T10:00:00.000Z' });
  const newer = makeRecord({ incidentId: 'inc-new', time: '2025-03-01T12:00:00.000Z' });
  const text = formatHistory(plain, [newer, older]);
  assert.match(text.split('\n')[0]!, /^2 incidents, newest first$/);
  assert.ok(text.indexOf('inc-new') < text.indexOf('inc-old'), text);
});

test('a restart that did not hold reads as failed in history', () => {
  const record = makeRecord({ outcome: { status: 'not-running-after-restart', detail: 'exited again within 10 s' } });
  const text = formatHistory(plain, [record]);
  assert.match(text, /restart did not hold: exited again within 10 s/);
  assert.doesNotMatch(text, /restarted:/);
});
