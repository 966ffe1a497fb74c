/** Which containers the doctor watches: TARGET_CONTAINERS, the doctor.enable label, and itself. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { selectTargets, type ListedContainer } from '../../src/pipeline/target-filter.js';

const ID = {
  web: '4f1c2b3a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a',
  db: '9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b',
  doctor: 'd0c70d0c70d0c70d0c70d0c70d0c70d0c70d0c70d0c70d0c70d0c70d0c70d0c7',
  off: '0ff0ff0ff0ff0ff0ff0ff0ff0ff0ff0ff0ff0ff0ff0ff0ff0ff0ff0ff0ff0ff0',
};

const all: ListedContainer[] = [
  { id: ID.web, name: 'web', labels: {} },
  { id: ID.db, name: 'db', labels: { 'doctor.enable': 'true' } },
  { id: ID.doctor, name: 'doctor', labels: {} },
  { id: ID.off, name: 'batch', labels: { 'doctor.enable': 'false' } },
];

interface Row {
  readonly name: string;
  readonly containers?: readonly ListedContainer[];
  readonly targets?: readonly string[];
  readonly selfId?: string;
  readonly expect: readonly string[];
}

const rows: Row[] = [
  { name: 'no targets: every container except the opted-out ones', expect: ['web', 'db', 'doctor'] },
  { name: 'no targets, running in a container: never itself (full id)', selfId: ID.doctor, expect: ['web', 'db'] },
  { name: 'the self id may be the 12-character short id', selfId: ID.doctor.slice(0, 12), expect: ['web', 'db'] },
  { name: 'targets by name', targets: ['web'], expect: ['web'] },
  { name: 'targets by id prefix of six characters or more', targets: [ID.db.slice(0, 12)], expect: ['db'] },
  { name: 'an id prefix shorter than six characters matches nothing (too ambiguous)', targets: [ID.db.slice(0, 4)], expect: [] },
  { name: 'a name is matched exactly, not as a substring', targets: ['we'], expect: [] },
  { name: 'a named target labelled doctor.enable=false is still never watched', targets: ['web', 'batch'], expect: ['web'] },
  { name: 'naming the doctor itself does not make it watch itself', targets: ['doctor', 'web'], selfId: ID.doctor, expect: ['web'] },
  { name: 'unknown targets are simply absent', targets: ['nope', 'db'], expect: ['db'] },
  ...['false', 'FALSE', ' false ', '0', 'no', 'off'].map((value) => ({
    name: `doctor.enable=${JSON.stringify(value)} opts out`,
    containers: [{ id: ID.web, name: 'web', labels: { 'doctor.enable': value } }],
    expect: [],
  })),
  ...['true', '1', 'yes', '', 'maybe'].map((value) => ({
    name: `doctor.enable=${JSON.stringify(value)} is watched`,
    containers: [{ id: ID.web, name: 'web', labels: { 'doctor.enable': value } }],
    expect: ['web'],
  })),
];

describe('selectTargets', () => {
  for (const row of rows) {
    test(row.name, () => {
      const picked = selectTargets(row.containers ?? all, row.targets ?? [], row.selfId);
      assert.deepEqual(picked.map((c) => c.name), row.expect);
    });
  }

  test('keeps the caller’s objects (and extra fields) untouched', () => {
    const listed = [{ id: ID.web, name: 'web', labels: {}, state: 'running' }];
    const [picked] = selectTargets(listed, []);
    assert.equal(picked, listed[0]);
    assert.equal(picked!.state, 'running');
  });
});

describe('TARGET_LABEL: the opt-in scope', () => {
  const listed: ListedContainer[] = [
    { id: 'a'.repeat(64), name: 'web', labels: { 'doctor.enable': 'true' } },
    { id: 'b'.repeat(64), name: 'db', labels: {} },
    { id: 'c'.repeat(64), name: 'worker', labels: { 'doctor.enable': 'yes', team: 'ops' } },
  ];
  test('a label name alone selects every container that carries it', () => {
    assert.deepEqual(selectTargets(listed, [], undefined, { name: 'doctor.enable' }).map((c) => c.name), ['web', 'worker']);
  });
  test('name=value selects only that value', () => {
    assert.deepEqual(selectTargets(listed, [], undefined, { name: 'doctor.enable', value: 'true' }).map((c) => c.name), ['web']);
  });
  test('named targets are narrowed by the label too', () => {
    assert.deepEqual(selectTargets(listed, ['db', 'web'], undefined, { name: 'doctor.enable' }).map((c) => c.name), ['web']);
  });
});

describe('a long list of named targets', () => {
  // 1,000 containers with hex ids; targets name some by name and some by id prefixes of every length from 6 to 64.
  const hex = (i: number): string => (i * 2654435761).toString(16).padStart(8, '0').repeat(8).slice(0, 64);
  const listed: ListedContainer[] = Array.from({ length: 1000 }, (_, i) => ({ id: hex(i + 1), name: `svc-${i}`, labels: {} }));
  const targets = listed.flatMap((c, i) => (i % 3 === 0 ? [c.name] : i % 3 === 1 ? [c.id.slice(0, 6 + (i % 59))] : []));
  targets.push('svc-', 'svc-1000', hex(5000).slice(0, 5), 'x'.repeat(70));
  const byComparison = (c: ListedContainer): boolean => targets.some((t) => t === c.name || (t.length >= 6 && c.id.startsWith(t)));

  test('selects exactly the containers a comparison with each target selects', () => {
    const picked = selectTargets(listed, targets).map((c) => c.name);
    assert.deepEqual(picked, listed.filter(byComparison).map((c) => c.name));
    assert.equal(picked.length, 667);
  });

  test('a target six characters or longer matches as a name as well as an id prefix', () => {
    const web = { id: ID.web, name: ID.db.slice(0, 8), labels: {} };
    assert.deepEqual(selectTargets([web], [ID.db.slice(0, 8)]).map((c) => c.id), [ID.web]);
    assert.deepEqual(selectTargets([web], [ID.web.slice(0, 8)]).map((c) => c.id), [ID.web]);
  });
});
