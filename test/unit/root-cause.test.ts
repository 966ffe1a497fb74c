import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeIncident, readStoryView } from '../../src/core/judge.js';
import { dependencyAddress, findRootCause, hostOf } from '../../src/core/root-cause.js';
import { diagnoseByRules } from '../../src/core/rules/index.js';
import type { ContainerFacts } from '../../src/core/types.js';
import { NOW, makeEvidence, makeFacts, makeHistory, makePolicy, makeRunningFacts, makeTrigger } from '../helpers/facts.js';

const id = (n: string) => Buffer.from(n).toString('hex').padEnd(64, '0').slice(0, 64);
const net = (name: string, ip: string, aliases: string[] = []) => ({ name, ip, aliases });
const down = (name: string, over: Partial<ContainerFacts> = {}) => makeFacts({ ref: { id: id(name), name }, exitCode: 0, ...over });
const up = (name: string, over: Partial<ContainerFacts> = {}) => makeRunningFacts({ ref: { id: id(name), name }, ...over });
const api = makeFacts({ ref: { id: id('api'), name: 'api' }, networks: [net('shop', '')] });

describe('findRootCause', () => {
  const rows: Array<{ name: string; failing?: ContainerFacts; address: string; others: ContainerFacts[]; expect?: [string, string, string] }> = [
    { name: 'container name on a shared network, down', address: 'db:5432', others: [down('db', { networks: [net('shop', '')] })], expect: ['db', 'down', 'container name'] },
    { name: 'container name on no shared network does not resolve', address: 'db:5432', others: [down('db', { networks: [net('other', '')] })] },
    { name: 'a network alias', address: 'postgres:5432', others: [down('pg-1', { networks: [net('shop', '', ['postgres'])] })], expect: ['pg-1', 'down', 'network alias'] },
    { name: 'an IP on the shared network, unhealthy', address: '172.18.0.3:5432', others: [up('db', { networks: [net('shop', '172.18.0.3')], health: { status: 'unhealthy', failingStreak: 3, lastOutput: null, probes: [] } })], expect: ['db', 'unhealthy', 'IP address'] },
    {
      name: 'a compose service of the same project',
      failing: makeFacts({ ref: { id: id('api'), name: 'shop-api-1' }, labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'api' }, networks: [net('shop_default', '')] }),
      address: 'db', others: [down('shop-db-1', { labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'db' }, networks: [net('shop_default', '')] })],
      expect: ['shop-db-1', 'down', 'compose service'],
    },
    { name: 'restarting', address: 'db:5432', others: [makeFacts({ ref: { id: id('db'), name: 'db' }, status: 'restarting', networks: [net('shop', '')] })], expect: ['db', 'restarting', 'container name'] },
    { name: 'a root that is up and well is no root cause', address: 'db:5432', others: [up('db', { networks: [net('shop', '172.18.0.3')] })] },
    { name: 'localhost is never another container', address: 'localhost:5432', others: [down('localhost', { networks: [net('shop', '')] })] },
    { name: 'an address that is no watched container', address: 'api.example.com:443', others: [down('db', { networks: [net('shop', '')] })] },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const cause = findRootCause(row.failing ?? api, row.address, row.others);
      assert.deepEqual(cause ? [cause.root.name, cause.state, cause.via] : undefined, row.expect);
    });
  }
  test('hostOf', () => {
    assert.deepEqual(['db:5432', 'DB', '[fd00::3]:5432', '172.18.0.3:5432'].map(hostOf), ['db', 'db', 'fd00::3', '172.18.0.3']);
  });
});

describe('the judge with a root cause', () => {
  const evidence = makeEvidence(api, { matchedLines: ['Error: connect ECONNREFUSED db:5432'], logTail: ['Error: connect ECONNREFUSED db:5432'] });
  const trigger = { ...makeTrigger('die', api.finishedAt!), exitCode: 1 };
  const rules = diagnoseByRules({ facts: api, evidence, trigger, history: makeHistory(), now: NOW });
  const base = { trigger, facts: api, evidence, rules, history: makeHistory(), policy: makePolicy(), story: readStoryView(undefined, api, trigger, makeHistory(), NOW), manual: false, now: NOW };
  test('the address is read off the dependency error', () => assert.equal(dependencyAddress(rules, evidence), 'db:5432'));
  test('while the root is down: no restart, the root named', () => {
    const rootCause = findRootCause(api, 'db:5432', [down('db', { networks: [net('shop', '')] })]);
    const judged = judgeIncident({ ...base, rootCause });
    assert.equal(judged.decision.action, 'none');
    assert.equal(judged.decision.guardrail, 'dependency-down');
    assert.match(judged.decision.reason, /api is failing because db is down/);
  });
  test('once the root is back: the table decides (a restart for a dependency error)', () => {
    const judged = judgeIncident({ ...base, rootCause: undefined });
    assert.equal(judged.decision.action, 'restart');
  });
});
