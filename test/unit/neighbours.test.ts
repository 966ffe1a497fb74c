import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findDependents, findOrphanedDependents, parseDependsOn, recreateCommand } from '../../src/core/neighbours.js';
import type { ContainerFacts } from '../../src/core/types.js';
import { makeRunningFacts } from '../helpers/facts.js';

const id = (n: string) => Buffer.from(n).toString('hex').padEnd(64, '0').slice(0, 64);
const c = (name: string, over: { networkMode?: string; labels?: Record<string, string>; host?: string } = {}): ContainerFacts =>
  makeRunningFacts({ ref: { id: id(name), name, host: over.host ?? 'local' }, networkMode: over.networkMode ?? 'bridge', labels: over.labels ?? {} });
const compose = (service: string, dependsOn?: string) => ({
  'com.docker.compose.project': 'shop', 'com.docker.compose.service': service, ...(dependsOn ? { 'com.docker.compose.depends_on': dependsOn } : {}),
});

describe('parseDependsOn', () => {
  const rows: Array<[string | undefined, ReturnType<typeof parseDependsOn>]> = [
    [undefined, []],
    ['', []],
    ['db:service_healthy:true', [{ service: 'db', condition: 'service_healthy', restart: true }]],
    ['db:service_started:false,redis:service_started:true', [{ service: 'db', condition: 'service_started', restart: false }, { service: 'redis', condition: 'service_started', restart: true }]],
    ['db:service_started', [{ service: 'db', condition: 'service_started', restart: false }]],
    [' db:service_started:TRUE , ', [{ service: 'db', condition: 'service_started', restart: true }]],
  ];
  for (const [label, expected] of rows) test(JSON.stringify(label), () => assert.deepEqual(parseDependsOn(label), expected));
});

describe('findDependents', () => {
  const vpn = c('vpn');
  const app = c('app', { networkMode: `container:${vpn.ref.id}` });
  const db = c('db', { labels: compose('db') });
  const api = c('api', { labels: compose('api', 'db:service_healthy:true') });
  const worker = c('worker', { labels: compose('worker', 'api:service_started:true,db:service_started:true') });
  const web = c('web', { labels: compose('web', 'api:service_started:false') });
  const rows: Array<{ name: string; parent: ContainerFacts; all: ContainerFacts[]; expect: Array<[string, string, string]> }> = [
    { name: 'a container: dependent by full id', parent: vpn, all: [vpn, app, db], expect: [['app', 'vpn', 'network-namespace']] },
    { name: 'a container: dependent by name', parent: vpn, all: [vpn, c('side', { networkMode: 'container:vpn' })], expect: [['side', 'vpn', 'network-namespace']] },
    { name: 'a container: dependent by a 12-character id prefix', parent: vpn, all: [vpn, c('side', { networkMode: `container:${vpn.ref.id.slice(0, 12)}` })], expect: [['side', 'vpn', 'network-namespace']] },
    { name: 'depends_on with restart true, in dependency order (worker after api)', parent: db, all: [worker, web, api, db], expect: [['api', 'db', 'depends-on'], ['worker', 'api', 'depends-on']] },
    { name: 'depends_on without restart is not a dependent', parent: api, all: [api, web], expect: [] },
    { name: 'another compose project is not a dependent', parent: db, all: [db, c('api2', { labels: { ...compose('api', 'db:service_started:true'), 'com.docker.compose.project': 'other' } })], expect: [] },
    { name: 'another engine is not a dependent', parent: vpn, all: [vpn, c('far', { networkMode: `container:${vpn.ref.id}`, host: 'tcp://b:2376' })], expect: [] },
    { name: 'nothing depends on a leaf', parent: app, all: [vpn, app], expect: [] },
    {
      name: 'chains through a namespace into compose',
      parent: vpn,
      all: [c('vpn-app', { networkMode: `container:${vpn.ref.id}`, labels: compose('app') }), vpn, c('vpn-worker', { labels: compose('worker', 'app:service_started:true') })],
      expect: [['vpn-app', 'vpn', 'network-namespace'], ['vpn-worker', 'vpn-app', 'depends-on']],
    },
  ];
  for (const row of rows) {
    test(row.name, () => {
      assert.deepEqual(findDependents(row.parent, row.all).map((l) => [l.dependent.ref.name, l.on.name, l.kind]), row.expect);
    });
  }
  test('a depends_on cycle set by hand still ends', () => {
    const a = c('a', { labels: compose('a', 'b:service_started:true') });
    const b = c('b', { labels: compose('b', 'a:service_started:true') });
    assert.deepEqual(findDependents(a, [a, b]).map((l) => l.dependent.ref.name), ['b']);
  });
});

describe('findOrphanedDependents', () => {
  const oldId = id('dead');
  const vpn = c('vpn');
  const left = c('app', { networkMode: `container:${oldId}`, labels: compose('app') });
  test('a dependent of the parent\'s former id is orphaned', () => {
    assert.deepEqual(findOrphanedDependents(vpn, [vpn, left], (i) => (i === oldId ? 'vpn' : undefined)).map((f) => f.ref.name), ['app']);
  });
  test('a former id that was another container is not this parent\'s', () => {
    assert.deepEqual(findOrphanedDependents(vpn, [vpn, left], () => 'other'), []);
  });
  test('an owner that still exists is not orphaned', () => {
    const owner = c('x');
    const inX = c('in-x', { networkMode: `container:${owner.ref.id}` });
    assert.deepEqual(findOrphanedDependents(vpn, [vpn, owner, inX], () => 'vpn'), []);
  });
});

describe('recreateCommand', () => {
  test('compose, with the project directory from its label', () => {
    const dep = c('shop-app-1', { labels: { ...compose('app'), 'com.docker.compose.project.working_dir': '/srv/my shop' } });
    assert.equal(recreateCommand(dep, c('vpn').ref), "cd '/srv/my shop' && docker compose -p shop up -d --force-recreate --no-deps app");
  });
  test('plain docker run', () => {
    assert.match(recreateCommand(c('app'), c('vpn').ref), /^docker rm -f app && docker run -d --name app --network container:vpn /);
  });
});
