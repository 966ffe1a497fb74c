import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readNetworks, toContainerFacts, type InspectJson } from '../../src/adapters/docker/inspect-facts.js';
import type { ContainerFacts } from '../../src/core/types.js';

/** Inspect output recorded from Docker Engine 20.10 (API 1.41). */
function fixture(name: string): InspectJson {
  return JSON.parse(readFileSync(new URL(`../fixtures/inspect/${name}.json`, import.meta.url), 'utf8')) as InspectJson;
}

const HOST = 'unix:///tmp/doctor-test/docker.sock';
const noHealth = { status: 'none', failingStreak: 0, lastOutput: null, probes: [] } as const;
/** The five probes Docker kept in the recorded unhealthy container, each failing with exit 1. */
const PROBES = [
  ['2026-11-23T15:05:04.97649667Z', '2026-11-23T15:05:05.014522328Z'],
  ['2026-11-23T15:05:06.016772791Z', '2026-11-23T15:05:06.059076524Z'],
  ['2026-11-23T15:05:07.063645719Z', '2026-11-23T15:05:07.107650843Z'],
  ['2026-11-23T15:05:08.112428833Z', '2026-11-23T15:05:08.164909356Z'],
  ['2026-11-23T15:05:09.169766176Z', '2026-11-23T15:05:09.211115726Z'],
].map(([start, end]) => ({ start: start!, end: end!, exitCode: 1 }));

describe('toContainerFacts on recorded inspect output', () => {
  const cases: Array<{ file: string; want: Partial<ContainerFacts> }> = [
    {
      file: 'running',
      want: {
        status: 'running', running: true, exitCode: null, oomKilled: false, finishedAt: null,
        startedAt: '2026-11-23T15:05:03.284627311Z',
        restartPolicy: { name: 'unless-stopped', maximumRetryCount: 0 }, health: noHealth, tty: false,
      },
    },
    {
      file: 'exited',
      want: {
        status: 'exited', running: false, exitCode: 3, oomKilled: false,
        finishedAt: '2026-11-23T15:05:03.479631065Z', restartPolicy: { name: 'no', maximumRetryCount: 0 },
      },
    },
    { file: 'oom', want: { status: 'exited', exitCode: 137, oomKilled: true, memoryLimit: 8 * 1024 * 1024 } },
    {
      file: 'unhealthy',
      want: {
        status: 'running', exitCode: null,
        restartPolicy: { name: 'on-failure', maximumRetryCount: 5 },
        health: {
          status: 'unhealthy', failingStreak: 5, lastOutput: 'probe failed',
          probes: PROBES, retries: 2,
        },
      },
    },
    { file: 'tty', want: { tty: true, status: 'running' } },
    {
      // The start failed: Docker leaves it `created` with exit code 127 and the runtime's error.
      file: 'created',
      want: { status: 'created', running: false, exitCode: 127, startedAt: null, finishedAt: null },
    },
    // Created through the API without a restart policy: Docker reports Name ''.
    { file: 'api-no-policy', want: { status: 'exited', exitCode: 1, restartPolicy: { name: 'no', maximumRetryCount: 0 } } },
  ];

  for (const { file, want } of cases) {
    test(file, () => {
      const facts = toContainerFacts(fixture(file), HOST);
      for (const [key, value] of Object.entries(want)) {
        assert.deepEqual(facts[key as keyof ContainerFacts], value, key);
      }
    });
  }

  test('names without the leading slash, image by name, labels, env and the host', () => {
    const json = fixture('running');
    const facts = toContainerFacts(json, HOST);
    assert.deepEqual(facts.ref, { id: json.Id, name: 'dt-rec-running', image: 'doctor-test/busybox:1', host: HOST });
    assert.equal(facts.labels['doctor.test'], '1');
    assert.ok(facts.env.includes('SECRET=abc'));
    assert.equal(facts.restartCount, 0);
  });

  test('the start error of a container that never ran', () => {
    assert.match(toContainerFacts(fixture('created'), HOST).stateError, /executable file not found/);
  });
});

describe('toContainerFacts on edge cases', () => {
  test('RestartCount is read from the top level', () => {
    const facts = toContainerFacts({ RestartCount: 4, State: { Status: 'restarting', Restarting: true, ExitCode: 1 } }, HOST);
    assert.equal(facts.restartCount, 4);
    assert.equal(facts.status, 'restarting');
    // Docker keeps the last exit code while it waits to restart.
    assert.equal(facts.exitCode, 1);
  });

  test('image ID when the container has no image name', () => {
    assert.equal(toContainerFacts({ Image: 'sha256:abc', Config: { Image: '' } }, HOST).ref.image, 'sha256:abc');
  });

  const statusCases: Array<{ state: NonNullable<InspectJson['State']>; want: ContainerFacts['status'] }> = [
    { state: { Status: 'stopped', Running: false, StartedAt: '2024-01-01T00:00:00Z' }, want: 'exited' },
    { state: { Running: true }, want: 'running' },
    { state: { Restarting: true, Running: true }, want: 'restarting' },
    { state: { Dead: true }, want: 'dead' },
    { state: { StartedAt: '0001-01-01T00:00:00Z' }, want: 'created' },
  ];
  for (const { state, want } of statusCases) {
    test(`status ${JSON.stringify(state)} -> ${want}`, () => {
      assert.equal(toContainerFacts({ State: state }, HOST).status, want);
    });
  }

  test('an unhealthy container quotes its latest failing probe, not a later answer that succeeded', () => {
    const Log = [
      { Start: '2026-11-23T15:05:04Z', End: '2026-11-23T15:05:06Z', ExitCode: -1, Output: 'Health check exceeded timeout (2s)' },
      { Start: '2026-11-23T15:05:07Z', End: '2026-11-23T15:05:07.1Z', ExitCode: 0, Output: 'serving' },
    ];
    assert.equal(toContainerFacts({ State: { Running: true, Health: { Status: 'unhealthy', FailingStreak: 1, Log } } }, HOST).health.lastOutput, 'Health check exceeded timeout (2s)');
    assert.equal(toContainerFacts({ State: { Running: true, Health: { Status: 'healthy', FailingStreak: 0, Log } } }, HOST).health.lastOutput, 'serving');
  });

  test('an unknown restart policy or health status falls back to no / none', () => {
    const facts = toContainerFacts(
      { HostConfig: { RestartPolicy: { Name: 'sometimes' } }, State: { Health: { Status: 'weird', Log: null } } },
      HOST,
    );
    assert.equal(facts.restartPolicy.name, 'no');
    assert.deepEqual(facts.health, { status: 'none', failingStreak: 0, lastOutput: null, probes: [] });
  });

  test('an empty object does not throw', () => {
    const facts = toContainerFacts({}, HOST);
    assert.equal(facts.ref.name, '');
    assert.equal(facts.exitCode, null);
    assert.deepEqual(facts.labels, {});
  });
});

describe('readNetworks', () => {
  test('networks sort by code unit, whatever the host locale: upper case before lower, digits first', () => {
    const names = readNetworks({ web_net: null, Backend: null, '2-edge': null, backend: null }).map((n) => n.name);
    assert.deepEqual(names, ['2-edge', 'Backend', 'backend', 'web_net']);
  });
});
