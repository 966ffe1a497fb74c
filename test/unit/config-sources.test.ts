import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfigWithOrigins } from '../../src/config/load-config.js';
import { discoverEngine } from '../../src/config/engine-discovery.js';
import { ConfigError } from '../../src/core/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'doctor-config-sources-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const full = path.join(dir, name);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, content);
  return full;
}

function load(env: Record<string, string>, flags: Record<string, string> = {}, envFileText?: string) {
  const cwd = mkdtempSync(path.join(dir, 'cwd-'));
  if (envFileText !== undefined) writeFileSync(path.join(cwd, '.env'), envFileText);
  return loadConfigWithOrigins({ env: { XDG_STATE_HOME: dir, DOCKER_HOST: 'unix:///x.sock', ...env }, flags, cwd });
}

describe('secrets from files (<NAME>_FILE)', () => {
  for (const name of ['ANTHROPIC_API_KEY', 'SLACK_WEBHOOK_URL', 'HEALTH_TOKEN']) {
    test(`${name}_FILE is read, its trailing newline dropped, and named as the source`, () => {
      const value = name === 'SLACK_WEBHOOK_URL' ? 'https://hooks.slack.com/services/T0/B0/abc' : 'sk-secret-123';
      const secret = file(`secrets/${name}`, `${value}\n`);
      const { config, origins } = load({ [`${name}_FILE`]: secret });
      const got = name === 'ANTHROPIC_API_KEY' ? config.anthropic.apiKey : name === 'SLACK_WEBHOOK_URL' ? config.slack.webhookUrl : config.health.token;
      assert.equal(got, value);
      assert.deepEqual(origins[name], { source: 'file', detail: secret });
    });
  }

  test('a _FILE in .env works like one in the environment', () => {
    const secret = file('secrets/env-file-token', 'tok-1');
    assert.equal(load({}, {}, `HEALTH_TOKEN_FILE=${secret}\n`).config.health.token, 'tok-1');
  });

  test('the setting and its _FILE both set is one line naming both', () => {
    const secret = file('secrets/both', 'x');
    assert.throws(() => load({ HEALTH_TOKEN: 'y', HEALTH_TOKEN_FILE: secret }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.message, 'HEALTH_TOKEN and HEALTH_TOKEN_FILE are both set (HEALTH_TOKEN in the environment); set only one');
      return true;
    });
    assert.throws(() => load({ HEALTH_TOKEN_FILE: secret }, {}, 'HEALTH_TOKEN=z\n'), /HEALTH_TOKEN in the \.env file/);
  });

  test('a missing or empty file is a ConfigError naming the variable', () => {
    assert.throws(() => load({ ANTHROPIC_API_KEY_FILE: path.join(dir, 'nope') }), /^ConfigError: ANTHROPIC_API_KEY_FILE: cannot read .*nope: .*ENOENT/);
    assert.throws(() => load({ ANTHROPIC_API_KEY_FILE: file('secrets/empty', '\n') }), /^ConfigError: ANTHROPIC_API_KEY_FILE: .* is empty$/);
  });

  test('origins: default, .env, environment, flag', () => {
    const { origins } = load({ LOG_LINES: '20' }, { CHECK_INTERVAL: '5' }, 'MIN_DEAD_TIME=3\n');
    assert.equal(origins['LOG_LINES']?.source, 'environment');
    assert.equal(origins['CHECK_INTERVAL']?.source, 'flag');
    assert.equal(origins['MIN_DEAD_TIME']?.source, '.env');
    assert.equal(origins['AUTO_FIX'], undefined, 'unset: the default');
  });
});

describe('finding the engine without DOCKER_HOST', () => {
  function context(configDir: string, name: string, host: string): void {
    const id = createHash('sha256').update(name).digest('hex');
    file(path.relative(dir, path.join(configDir, 'contexts', 'meta', id, 'meta.json')), JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }));
  }
  const home = path.join(dir, 'home');
  const configDir = path.join(home, '.docker');
  context(configDir, 'rootless', 'unix:///run/user/1000/docker.sock');
  context(configDir, 'remote', 'ssh://ops@build-1');
  const none = () => false;

  test('DOCKER_CONTEXT names a context', () => {
    assert.deepEqual(discoverEngine({ HOME: home, DOCKER_CONTEXT: 'remote' }, none), { host: 'ssh://ops@build-1', how: 'docker context "remote" (DOCKER_CONTEXT)' });
  });

  test("the CLI's currentContext, from DOCKER_CONFIG or ~/.docker", () => {
    file(path.relative(dir, path.join(configDir, 'config.json')), JSON.stringify({ auths: {}, currentContext: 'rootless' }));
    assert.deepEqual(discoverEngine({ HOME: home }, none), { host: 'unix:///run/user/1000/docker.sock', how: 'docker context "rootless"' });
    assert.equal(discoverEngine({ HOME: '/nowhere', DOCKER_CONFIG: configDir }, none).host, 'unix:///run/user/1000/docker.sock');
    // DOCKER_CONTEXT wins over the file, and `default` means the sockets below.
    assert.equal(discoverEngine({ HOME: home, DOCKER_CONTEXT: 'default' }, none).host, 'unix:///var/run/docker.sock');
  });

  test('an unknown context is a ConfigError', () => {
    assert.throws(() => discoverEngine({ HOME: home, DOCKER_CONTEXT: 'gone' }, none), /docker context "gone" \(from DOCKER_CONTEXT\) does not exist/);
  });

  test('then the system, rootless and Docker Desktop sockets, the first that exists', () => {
    const env = { HOME: '/home/u', XDG_RUNTIME_DIR: '/run/user/1000' };
    const only = (socket: string) => (f: string) => f === socket;
    assert.equal(discoverEngine(env, only('/var/run/docker.sock')).host, 'unix:///var/run/docker.sock');
    assert.deepEqual(discoverEngine(env, only('/run/user/1000/docker.sock')), { host: 'unix:///run/user/1000/docker.sock', how: 'the rootless socket, $XDG_RUNTIME_DIR/docker.sock' });
    assert.equal(discoverEngine(env, only('/home/u/.docker/desktop/docker.sock')).host, 'unix:///home/u/.docker/desktop/docker.sock');
    assert.equal(discoverEngine(env, only('/home/u/.docker/run/docker.sock')).host, 'unix:///home/u/.docker/run/docker.sock');
    assert.deepEqual(discoverEngine(env, none), { host: 'unix:///var/run/docker.sock', how: 'no known socket exists; the docker CLI default' });
  });

  test('DOCKER_HOST set: no discovery, and its origin is the environment', () => {
    const { config, origins } = load({ DOCKER_HOST: 'tcp://10.0.0.5:2375', DOCKER_CONTEXT: 'gone' });
    assert.deepEqual(config.dockerHosts, ['tcp://10.0.0.5:2375']);
    assert.equal(origins['DOCKER_HOST']?.source, 'environment');
  });
});
