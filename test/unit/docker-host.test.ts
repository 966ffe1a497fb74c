import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerHost, type DockerEndpoint, type DockerHostEnv } from '../../src/adapters/docker/docker-host.js';
import { ConfigError } from '../../src/core/errors.js';

describe('parseDockerHost', () => {
  const cases: Array<{ host: string; env?: DockerHostEnv; want: DockerEndpoint }> = [
    { host: '', want: { kind: 'socket', socketPath: '/var/run/docker.sock' } },
    { host: '  ', want: { kind: 'socket', socketPath: '/var/run/docker.sock' } },
    { host: 'unix:///tmp/doctor-test/docker.sock', want: { kind: 'socket', socketPath: '/tmp/doctor-test/docker.sock' } },
    { host: 'unix://', want: { kind: 'socket', socketPath: '/var/run/docker.sock' } },
    { host: 'npipe:////./pipe/docker_engine', want: { kind: 'socket', socketPath: '//./pipe/docker_engine' } },
    { host: 'tcp://10.0.0.5:2375', want: { kind: 'tcp', host: '10.0.0.5', port: 2375, tls: null } },
    { host: 'tcp://docker.internal', want: { kind: 'tcp', host: 'docker.internal', port: 2375, tls: null } },
    { host: 'docker.internal:4243', want: { kind: 'tcp', host: 'docker.internal', port: 4243, tls: null } },
    { host: 'tcp://[::1]:2375', want: { kind: 'tcp', host: '::1', port: 2375, tls: null } },
    {
      host: 'tcp://build-1:2376',
      env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' },
      want: { kind: 'tcp', host: 'build-1', port: 2376, tls: { verify: true, certPath: '/certs' } },
    },
    {
      // As in the Docker CLI, any non-empty DOCKER_TLS_VERIFY turns verification on.
      host: 'tcp://build-1',
      env: { DOCKER_TLS_VERIFY: '0', HOME: '/home/ops' },
      want: { kind: 'tcp', host: 'build-1', port: 2376, tls: { verify: true, certPath: '/home/ops/.docker' } },
    },
    {
      host: 'tcp://build-1:2376',
      env: { DOCKER_TLS: '1', DOCKER_CERT_PATH: '/certs' },
      want: { kind: 'tcp', host: 'build-1', port: 2376, tls: { verify: false, certPath: '/certs' } },
    },
    {
      host: 'tcp://build-1:2375',
      env: { DOCKER_TLS_VERIFY: '', DOCKER_CERT_PATH: '/certs' },
      want: { kind: 'tcp', host: 'build-1', port: 2375, tls: null },
    },
    { host: 'ssh://deploy@web-3', want: { kind: 'ssh', host: 'web-3', port: 22, username: 'deploy' } },
    { host: 'ssh://web-3:2222', want: { kind: 'ssh', host: 'web-3', port: 2222, username: undefined } },
  ];
  for (const { host, env, want } of cases) {
    test(`${JSON.stringify(host)} ${env ? JSON.stringify(env) : ''}`, () => {
      assert.deepEqual(parseDockerHost(host, env), want);
    });
  }

  for (const host of ['fd://', 'ftp://example.com', 'tcp://', 'tcp://host:notaport']) {
    test(`rejects ${host} naming DOCKER_HOST`, () => {
      assert.throws(() => parseDockerHost(host), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /DOCKER_HOST/);
        assert.ok(error.message.includes(host));
        return true;
      });
    });
  }
});
