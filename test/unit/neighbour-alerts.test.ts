import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildIncidentMessage } from '../../src/core/alert-blocks.js';
import type { AuditRecord, GroupMember } from '../../src/core/types.js';
import { blocksWithinLimits } from '../helpers/fake-slack.js';
import { makeRecord } from '../helpers/slack-records.js';

const opts = { hostLabel: 'prod', redact: (s: string) => s };
const text = (r: AuditRecord) => JSON.stringify(buildIncidentMessage(r, opts).blocks);
const ref = (name: string) => ({ id: `${name}-id`, name, image: 'x', host: '' });
const member = (name: string, over: Partial<GroupMember> = {}): GroupMember => ({ container: ref(name), via: 'network mode container:vpn', action: 'restart', guardrail: null, outcome: 'restarted', detail: 'ok', ...over });

describe('alerts name neighbours', () => {
  test('a root cause names the root and says it is not restarted', () => {
    const r: AuditRecord = { ...makeRecord(), rootCause: { root: ref('db'), state: 'down', address: 'db:5432', via: 'container name', network: 'shop' } };
    assert.match(text(r), /is failing because db is down/);
    assert.match(text(r), /not restarted while db is down/);
  });
  test('a dependents summary lists each member with what became of it', () => {
    const r: AuditRecord = { ...makeRecord(), group: { kind: 'dependents', role: 'summary', parent: ref('vpn'), members: [member('app'), member('worker', { action: 'escalate', guardrail: 'stateful-image', outcome: 'not-acted' })] } };
    const t = text(r);
    assert.match(t, /Its dependents, in order/);
    assert.match(t, /`app` \(network mode container:vpn\): restarted/);
    assert.match(t, /`worker`.*needs a person, stateful service/);
  });
  test('a storm of 50 lists 20 and counts the rest, within Slack limits', () => {
    const members = Array.from({ length: 50 }, (_, i) => member(`c${i}`, { via: 'died (exit code 1)', action: 'none', guardrail: 'storm', outcome: 'not-acted', detail: 'held until the storm settles' }));
    const r: AuditRecord = { ...makeRecord(), group: { kind: 'storm', role: 'summary', members, cause: 'the host ran out of memory' } };
    const m = buildIncidentMessage(r, opts);
    assert.match(JSON.stringify(m.blocks), /50 containers in the storm/);
    assert.match(JSON.stringify(m.blocks), /and 30 more/);
    assert.equal(blocksWithinLimits(m.blocks), true);
  });
  test('a member record carries no list (it is never announced alone)', () => {
    const r: AuditRecord = { ...makeRecord(), group: { kind: 'dependents', role: 'member', parent: ref('vpn') } };
    assert.doesNotMatch(text(r), /Its dependents/);
  });
});
