import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Chalk } from 'chalk';
import { formatFeedEvent } from '../../src/cli/render/feed-text.js';
import { makeRecord } from '../helpers/slack-records.js';

const plain = new Chalk({ level: 0 });
const host = 'unix:///var/run/docker.sock';

describe('formatFeedEvent', () => {
  test('an executed restart says it was restarted and how it went', () => {
    const line = formatFeedEvent(plain, { type: 'incident', record: makeRecord() }, { showHost: false })!;
    assert.match(line, /web-1 HIGH The process ran out of memory/);
    assert.match(line, /-> restarted: running again after 2 s/);
    assert.doesNotMatch(line, /docker\.sock/, 'one engine: no host on every line');
  });

  test('a restart that did not hold, or that the Engine refused, is shown as failed, never green "restarted"', () => {
    const colors = new Chalk({ level: 1 });
    const held = makeRecord({ outcome: { status: 'not-running-after-restart', detail: 'exited again (code 1) within 10 s' } });
    const refused = makeRecord({ outcome: { status: 'restart-failed', detail: 'Engine answered 500' } });
    const a = formatFeedEvent(plain, { type: 'incident', record: held }, { showHost: false })!;
    assert.match(a, /-> restart did not hold: exited again \(code 1\) within 10 s/);
    assert.doesNotMatch(a, /-> restarted/);
    assert.match(formatFeedEvent(plain, { type: 'incident', record: refused }, { showHost: false })!, /-> restart failed: Engine answered 500/);
    const green = '\u001b[32m';
    assert.ok(!formatFeedEvent(colors, { type: 'incident', record: held }, { showHost: false })!.includes(green), 'not green');
    assert.ok(formatFeedEvent(colors, { type: 'incident', record: makeRecord() }, { showHost: false })!.includes(green), 'a restart that held is green');
  });

  test('an escalation is loud and names the reason', () => {
    const record = makeRecord({ decision: { action: 'escalate', executed: false, reason: 'died 3 times in 10 min (crash loop)' } });
    assert.match(formatFeedEvent(plain, { type: 'incident', record }, { showHost: false })!, /ESCALATE: died 3 times in 10 min/);
  });

  test('observe-only and diagnose-without-fix decisions say what would have happened', () => {
    const record = makeRecord({ decision: { action: 'restart', executed: false, reason: 'exit 1; restart-safe' } });
    assert.match(formatFeedEvent(plain, { type: 'incident', record }, { showHost: false })!, /would restart: exit 1; restart-safe/);
  });

  test('several engines: each line names its engine', () => {
    const line = formatFeedEvent(plain, { type: 'restarting', host, container: 'api', incidentId: 'inc-1' }, { showHost: true, now: '2025-01-01T10:00:00.000Z' });
    assert.equal(line, `10:00:00 [${host}] api: restarting…`);
  });

  test('cycles are too chatty for a terminal; an unreachable engine is not', () => {
    assert.equal(formatFeedEvent(plain, { type: 'cycle', host, targets: 3, durationMs: 12, at: '2025-01-01T10:00:00.000Z' }), undefined);
    const down = formatFeedEvent(plain, { type: 'engine-down', host, error: 'connect ENOENT', retryInMs: 4000 }, { showHost: false, now: '2025-01-01T10:00:00.000Z' });
    assert.equal(down, `10:00:00 ${host} unreachable: connect ENOENT (retry in 4 s)`);
  });
});
