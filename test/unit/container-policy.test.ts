import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_CRASH_LOOP,
  DEFAULT_OOM_LEAK,
  LABEL_ENABLE,
  LABEL_RESTART,
  LABEL_STATEFUL,
  imageRepositoryPath,
  isStatefulImage,
  isWatchable,
  resolvePolicy,
} from '../../src/core/container-policy.js';
import { makeFacts } from '../helpers/facts.js';

const base = { autoFix: true, maxRestartsPerHour: 3, minDeadTimeMs: 60_000 };

describe('isStatefulImage', () => {
  const cases: Array<[string, boolean]> = [
    ['postgres:16', true],
    ['bitnami/postgresql:16', true],
    ['postgis/postgis:16-3.4', true],
    ['timescale/timescaledb-ha:pg16', true],
    ['docker.io/library/redis:7-alpine', true],
    ['redis/redis-stack-server:latest', true],
    ['mysql/mysql-server:8.0', true],
    ['mariadb@sha256:0123456789abcdef', true],
    ['percona/percona-server-mongodb:7', true],
    ['mongo:7', true],
    ['docker.elastic.co/elasticsearch/elasticsearch:8.13.0', true],
    ['opensearchproject/opensearch:2', true],
    ['confluentinc/cp-kafka:7.6.0', true],
    ['quay.io/coreos/etcd:v3.5.0', true],
    ['mcr.microsoft.com/mssql/server:2022-latest', true],
    ['container-registry.oracle.com/database/express:21.3.0-xe', true],
    ['localhost:5000/team/valkey:8', true],
    ['clickhouse/clickhouse-server:24', true],
    ['rabbitmq:3-management', true],
    ['ghcr.io/x/mongo-express', false],
    ['mongo-express:1', false],
    ['rediscommander/redis-commander', false],
    ['oliver006/redis_exporter:v1.58', false],
    ['prometheuscommunity/postgres-exporter', false],
    ['provectuslabs/kafka-ui', false],
    ['opensearchproject/opensearch-dashboards:2', false],
    ['memcached:1.6', false],
    ['nginx:1.27', false],
    ['acme/web:1.4', false],
    ['registry.example.com:5000/acme/api', false],
  ];
  for (const [image, expected] of cases) {
    test(`${image} -> ${expected ? 'stateful' : 'stateless'}`, () => assert.equal(isStatefulImage(image), expected));
  }

  test('imageRepositoryPath drops registry, tag and digest', () => {
    assert.deepEqual(imageRepositoryPath('registry.example.com:5000/acme/api:1.2@sha256:abc'), ['acme', 'api']);
    assert.deepEqual(imageRepositoryPath('redis'), ['redis']);
  });
});

describe('isWatchable', () => {
  const cases: Array<[Record<string, string>, boolean]> = [
    [{}, true],
    [{ [LABEL_ENABLE]: 'false' }, false],
    [{ [LABEL_ENABLE]: ' FALSE ' }, false],
    [{ [LABEL_ENABLE]: '0' }, false],
    [{ [LABEL_ENABLE]: 'true' }, true],
    [{ [LABEL_ENABLE]: 'maybe' }, true],
  ];
  for (const [labels, expected] of cases) test(`${JSON.stringify(labels)} -> ${expected}`, () => assert.equal(isWatchable(labels), expected));
});

describe('resolvePolicy', () => {
  test('copies the configured limits and applies default crash-loop and OOM-leak thresholds', () => {
    const policy = resolvePolicy(makeFacts(), { ...base, autoFix: false });
    assert.deepEqual(policy, {
      autoFix: false, maxRestartsPerHour: 3, minDeadTimeMs: 60_000, freshExitMs: 10 * 60_000,
      crashLoop: DEFAULT_CRASH_LOOP, oomLeak: DEFAULT_OOM_LEAK,
      restartNever: false, stateful: false, isSelf: false,
    });
    assert.deepEqual(DEFAULT_CRASH_LOOP, { deaths: 3, windowMs: 10 * 60_000 });
    assert.deepEqual(DEFAULT_OOM_LEAK, { ooms: 3, windowMs: 24 * 3_600_000 });
  });

  const labelCases: Array<[string, { image?: string; labels: Record<string, string> }, { restartNever: boolean; stateful: boolean }]> = [
    ['doctor.restart=never', { labels: { [LABEL_RESTART]: 'never' } }, { restartNever: true, stateful: false }],
    ['doctor.restart=false reads as never', { labels: { [LABEL_RESTART]: 'false' } }, { restartNever: true, stateful: false }],
    ['doctor.restart=always is not never', { labels: { [LABEL_RESTART]: 'always' } }, { restartNever: false, stateful: false }],
    ['postgres image is stateful', { image: 'postgres:16', labels: {} }, { restartNever: false, stateful: true }],
    ['doctor.stateful=false overrides detection', { image: 'postgres:16', labels: { [LABEL_STATEFUL]: 'false' } }, { restartNever: false, stateful: false }],
    ['doctor.stateful=true marks any image', { image: 'acme/ledger:3', labels: { [LABEL_STATEFUL]: 'true' } }, { restartNever: false, stateful: true }],
    ['an unreadable doctor.stateful falls back to detection', { image: 'redis:7', labels: { [LABEL_STATEFUL]: 'perhaps' } }, { restartNever: false, stateful: true }],
  ];
  for (const [label, input, expected] of labelCases) {
    test(label, () => {
      const facts = makeFacts({ labels: input.labels, ...(input.image ? { ref: { image: input.image } } : {}) });
      const policy = resolvePolicy(facts, base);
      assert.deepEqual({ restartNever: policy.restartNever, stateful: policy.stateful }, expected);
    });
  }

  const selfCases: Array<[string, string | undefined, boolean]> = [
    ['full id', 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2', true],
    ['12-char short id (the container hostname)', 'a1b2c3d4e5f6', true],
    ['name', 'web', true],
    ['another container', 'f00dbabe1234', false],
    ['too short a prefix', 'a1b2', false],
    ['no self id', undefined, false],
  ];
  for (const [label, selfId, expected] of selfCases) {
    test(`isSelf by ${label}`, () => {
      assert.equal(resolvePolicy(makeFacts(), base, selfId === undefined ? {} : { selfId }).isSelf, expected);
    });
  }

  test('custom crash-loop and OOM thresholds pass through', () => {
    const policy = resolvePolicy(makeFacts(), { ...base, crashLoop: { deaths: 5, windowMs: 1000 }, oomLeak: { ooms: 2, windowMs: 1000 } });
    assert.deepEqual([policy.crashLoop.deaths, policy.oomLeak.ooms], [5, 2]);
  });
});
