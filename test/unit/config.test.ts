/**
 * One config pipeline: defaults -> .env -> environment -> flags -> validation -> one frozen object.
 * Real .env files in a temporary directory; every invalid value must name its setting.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, prepareStateDir } from '../../src/config/load-config.js';
import { settingNames, type SettingName } from '../../src/config/config-schema.js';
import { ConfigError, ExitCode } from '../../src/core/errors.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'doctor-config-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A config from these sources, run in a directory with no .env unless one is written there. */
function load(env: Record<string, string | undefined> = {}, flags: Partial<Record<SettingName, string>> = {}, cwd?: string) {
  return loadConfig({ env: { STATE_DIR: path.join(dir, 'state'), ...env }, flags, cwd: cwd ?? path.join(dir, 'no-env-here') });
}

describe('defaults', () => {
  test('the documented defaults', () => {
    const c = loadConfig({ env: { XDG_STATE_HOME: '/var/lib/x' }, cwd: path.join(dir, 'no-env-here') });
    assert.deepEqual(c.targets, []);
    assert.equal(c.checkIntervalMs, 30_000);
    assert.equal(c.logLines, 50);
    assert.equal(c.autoFix, true);
    assert.equal(c.maxRestartsPerHour, 3);
    assert.equal(c.minDeadTimeMs, 60_000);
    assert.deepEqual(c.errorPatterns, []);
    // No DOCKER_HOST, no docker CLI context (HOME unset): the system socket, as the docker CLI.
    assert.deepEqual(c.dockerHosts, ['unix:///var/run/docker.sock']);
    assert.deepEqual(c.log, { format: 'auto', level: 'info' });
    assert.equal(c.stateDir, path.join('/var/lib/x', 'container-doctor'));
    assert.equal(c.health.host, '127.0.0.1');
    assert.equal(c.anthropic.apiKey, undefined);
    assert.equal(c.slack.webhookUrl, undefined);
  });

  test('values are parsed: lists, seconds, booleans', () => {
    const c = load({
      TARGET_CONTAINERS: ' web, api ,,db ',
      CHECK_INTERVAL: '2.5',
      AUTO_FIX: 'FALSE',
      ERROR_PATTERNS: 'boom,kaput',
      DOCKER_HOST: 'unix:///a.sock,tcp://10.0.0.2:2375',
      MIN_DEAD_TIME: '0',
    });
    assert.deepEqual(c.targets, ['web', 'api', 'db']);
    assert.equal(c.checkIntervalMs, 2500);
    assert.equal(c.autoFix, false);
    assert.deepEqual(c.errorPatterns, ['boom', 'kaput']);
    assert.deepEqual(c.dockerHosts, ['unix:///a.sock', 'tcp://10.0.0.2:2375']);
    assert.equal(c.minDeadTimeMs, 0);
  });

  for (const [value, expected] of [['true', true], ['1', true], ['yes', true], ['on', true], ['false', false], ['0', false], ['no', false], ['off', false]] as const) {
    test(`AUTO_FIX=${value} is ${expected}`, () => {
      assert.equal(load({ AUTO_FIX: value }).people.askFirst, false);
      assert.equal(load({ AUTO_FIX: value }).autoFix, expected);
    });
  }
  test('AUTO_FIX=ask decides as if on and asks first; the people settings parse', () => {
    const c = load({ AUTO_FIX: 'Ask', APPROVAL_TIMEOUT: '120', MAINTENANCE_WINDOWS: 'sun 02:00-04:00, mon-fri 23:00-23:30', QUIET_HOURS: '22:00-07:00', TZ: 'Europe/Berlin' });
    assert.equal(c.autoFix, true);
    assert.equal(c.people.askFirst, true);
    assert.equal(c.people.approvalTimeoutMs, 120_000);
    assert.deepEqual(c.people.windows.map((w) => w.text), ['sun 02:00-04:00', 'mon-fri 23:00-23:30']);
    assert.equal(c.people.quietHours?.text, '22:00-07:00');
    assert.equal(c.people.quietFloor, 'high');
    assert.equal(c.people.timeZone, 'Europe/Berlin');
    assert.equal(load({}).people.approvalTimeoutMs, 15 * 60_000, 'APPROVAL_TIMEOUT defaults to 15 min');
  });
  test('the Slack app needs its bot token and channel together', () => {
    assert.throws(() => load({ SLACK_BOT_TOKEN: 'xoxb-1' }), /SLACK_BOT_TOKEN and SLACK_CHANNEL/);
    assert.throws(() => load({ SLACK_APP_TOKEN: 'xapp-1' }), /SLACK_APP_TOKEN needs SLACK_BOT_TOKEN/);
    assert.equal(load({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_CHANNEL: 'C123', SLACK_APPROVERS: 'U1, U2' }).slackApp.approvers.join(), 'U1,U2');
  });
});

describe('precedence: defaults < .env < environment < flags', () => {
  let cwd: string;
  before(async () => {
    cwd = path.join(dir, 'with-env');
    await mkdir(cwd, { recursive: true });
    await writeFile(path.join(cwd, '.env'), ['# a comment', 'CHECK_INTERVAL=11', 'LOG_LINES="22"', 'MAX_RESTARTS_PER_HOUR=5', 'AUTO_FIX=false', 'NOT_A_SETTING=x'].join('\n'));
  });

  test('.env overrides defaults', () => {
    const c = load({}, {}, cwd);
    assert.equal(c.checkIntervalMs, 11_000);
    assert.equal(c.logLines, 22);
    assert.equal(c.maxRestartsPerHour, 5);
    assert.equal(c.autoFix, false);
  });

  test('the environment overrides .env', () => {
    const c = load({ CHECK_INTERVAL: '33', AUTO_FIX: 'true' }, {}, cwd);
    assert.equal(c.checkIntervalMs, 33_000);
    assert.equal(c.autoFix, true);
    assert.equal(c.logLines, 22, 'what the environment does not set still comes from .env');
  });

  test('flags override the environment', () => {
    const c = load({ CHECK_INTERVAL: '33', LOG_LINES: '44' }, { CHECK_INTERVAL: '55' }, cwd);
    assert.equal(c.checkIntervalMs, 55_000);
    assert.equal(c.logLines, 44);
  });

  test('an undefined flag or variable does not hide a lower layer', () => {
    const c = loadConfig({ env: { STATE_DIR: dir, LOG_LINES: undefined }, flags: { CHECK_INTERVAL: undefined }, cwd });
    assert.equal(c.checkIntervalMs, 11_000);
    assert.equal(c.logLines, 22);
  });

  test('the .env file does not leak into process.env', () => {
    load({}, {}, cwd);
    assert.equal(process.env.NOT_A_SETTING, undefined);
  });

  test('an explicit env file is read instead of ./.env; a missing one is an error naming it', async () => {
    const other = path.join(dir, 'other.env');
    await writeFile(other, 'CHECK_INTERVAL=77\n');
    const c = loadConfig({ env: { STATE_DIR: dir }, envFile: other, cwd });
    assert.equal(c.checkIntervalMs, 77_000);
    assert.equal(c.logLines, 50, './.env was not read');
    const missing = path.join(dir, 'missing.env');
    assert.throws(() => loadConfig({ env: { STATE_DIR: dir }, envFile: missing, cwd }), (e: unknown) => e instanceof ConfigError && e.message.includes(missing));
  });

  test('a relative STATE_DIR is resolved against the working directory', () => {
    const c = load({ STATE_DIR: 'rel/state' }, {}, cwd);
    assert.equal(c.stateDir, path.join(cwd, 'rel', 'state'));
  });
});

describe('validation: every bad value names its setting (exit code 2)', () => {
  const bad: Array<[SettingName, string]> = [
    ['CHECK_INTERVAL', 'abc'],
    ['REPORT_SCHEDULE', 'monday'],
    ['REPORT_SCHEDULE', 'mon 25:00'],
    ['CHECK_INTERVAL', '0'],
    ['CHECK_INTERVAL', '-1'],
    ['CHECK_INTERVAL', '30s'],
    ['LOG_LINES', '-5'],
    ['LOG_LINES', '0'],
    ['LOG_LINES', '2.5'],
    ['LOG_LINES', '100000'],
    ['AUTO_FIX', 'maybe'],
    ['AUTO_FIX', ''],
    ['MAX_RESTARTS_PER_HOUR', 'lots'],
    ['MAX_RESTARTS_PER_HOUR', '-1'],
    ['MIN_DEAD_TIME', '-1'],
    ['MIN_DEAD_TIME', 'a minute'],
    ['RESTART_SETTLE_TIME', '601'],
    ['FRESH_EXIT_WINDOW', 'ten minutes'],
    ['STORM_THRESHOLD', '1'],
    ['STORM_THRESHOLD', '0%'],
    ['STORM_THRESHOLD', '120%'],
    ['STORM_THRESHOLD', 'many'],
    ['STORM_WINDOW', '0'],
    ['TARGET_LABEL', '=true'],
    ['STATE_DIR', '   '],
    ['ANTHROPIC_BASE_URL', 'ftp://example.com'],
    ['ANTHROPIC_BASE_URL', 'not a url'],
    ['ANTHROPIC_MODEL', ' '],
    ['DIAGNOSIS_TIMEOUT', '0'],
    ['MAX_DIAGNOSES_PER_HOUR', '-3'],
    ['SLACK_WEBHOOK_URL', 'hooks.slack.com/services/x'],
    ['SLACK_MIN_SEVERITY', 'urgent'],
    ['SLACK_MAX_PER_MINUTE', '0'],
    ['NOTIFY_URLS', 'https://example.com/hook'],
    ['NOTIFY_URLS', 'carrier-pigeon://loft/1'],
    ['NOTIFY_URLS', 'ntfy://ntfy.sh/alerts?min_severity=urgent'],
    ['NOTIFY_MIN_SEVERITY', 'urgent'],
    ['NOTIFY_MAX_PER_MINUTE', '0'],
    ['DIAGNOSIS_BACKENDS', 'gpt5'],
    ['DIAGNOSIS_BACKENDS', 'ollama'],
    ['DIAGNOSIS_BACKENDS', 'openai'],
    ['ANTHROPIC_MAX_PER_HOUR', '-1'],
    ['OLLAMA_BASE_URL', 'localhost:11434'],
    ['OLLAMA_TIMEOUT', '0'],
    ['OLLAMA_MAX_PER_HOUR', 'many'],
    ['OPENAI_BASE_URL', 'ftp://models.local'],
    ['OPENAI_TIMEOUT', '601'],
    ['OPENAI_MAX_PER_HOUR', '-1'],
    ['OPENAI_STRUCTURED_OUTPUT', 'xml'],
    ['HEALTH_HOST', ' '],
    ['HEALTH_PORT', '70000'],
    ['HEALTH_PORT', 'http'],
    ['LOG_FORMAT', 'yaml'],
    ['LOG_LEVEL', 'verbose'],
    ['LOW_MEMORY', 'sometimes'],
    ['APPROVAL_TIMEOUT', '5'],
    ['MAINTENANCE_WINDOWS', 'sunday'],
    ['MAINTENANCE_WINDOWS', 'sun 02:00-26:00'],
    ['QUIET_HOURS', '10pm-7am'],
    ['QUIET_MIN_SEVERITY', 'urgent'],
    ['TZ', 'Mars/Olympus'],
    ['SLACK_BOT_TOKEN', 'xapp-1-abc'],
    ['SLACK_APP_TOKEN', 'xoxb-123'],
    ['SLACK_API_URL', 'slack.local/api'],
  ];
  for (const [name, value] of bad) {
    test(`${name}=${JSON.stringify(value)}`, () => {
      for (const source of ['env', 'flag'] as const) {
        assert.throws(
          () => (source === 'env' ? load({ [name]: value }) : load({}, { [name]: value })),
          (e: unknown) => {
            assert.ok(e instanceof ConfigError, `a ConfigError from the ${source}`);
            assert.equal(e.exitCode, ExitCode.usage);
            assert.ok(e.message.startsWith(name), `the message starts with the setting: ${e.message}`);
            assert.ok(!e.message.includes('\n'), 'one line');
            return true;
          },
        );
      }
    });
  }

  test('a bad value in .env is named too', async () => {
    const cwd = path.join(dir, 'bad-env');
    await mkdir(cwd, { recursive: true });
    await writeFile(path.join(cwd, '.env'), 'LOG_LINES=lots\n');
    assert.throws(() => load({}, {}, cwd), /^ConfigError: LOG_LINES/);
  });

  test('a very long bad value is shortened in the message', () => {
    assert.throws(() => load({ CHECK_INTERVAL: 'x'.repeat(500) }), (e: unknown) => (e as Error).message.length < 200);
  });

  test('every setting is covered by this table or is free text', () => {
    const free = new Set<SettingName>(['TARGET_CONTAINERS', 'ERROR_PATTERNS', 'DOCKER_HOST', 'ANTHROPIC_API_KEY', 'HEALTH_TOKEN', 'DOCTOR_NAME', 'OLLAMA_MODEL', 'OPENAI_API_KEY', 'OPENAI_MODEL', 'SLACK_CHANNEL', 'SLACK_APPROVERS']);
    const covered = new Set(bad.map(([name]) => name));
    assert.deepEqual(settingNames.filter((n) => !free.has(n) && !covered.has(n)), []);
  });
});

describe('the result', () => {
  test('is frozen, nested objects included', () => {
    const c = load();
    assert.ok(Object.isFrozen(c));
    for (const nested of [c.targets, c.errorPatterns, c.dockerHosts, c.anthropic, c.slack, c.health]) assert.ok(Object.isFrozen(nested));
    assert.throws(() => {
      (c as { autoFix: boolean }).autoFix = false;
    }, TypeError);
    assert.throws(() => {
      (c.targets as string[]).push('x');
    }, TypeError);
  });
});

describe('prepareStateDir', () => {
  test('creates a missing directory, nested', async () => {
    const target = path.join(dir, 'a', 'b', 'c');
    await prepareStateDir(target);
    assert.ok((await stat(target)).isDirectory());
  });

  test('a regular file in its place is a ConfigError naming STATE_DIR', async () => {
    const file = path.join(dir, 'plain');
    await writeFile(file, 'x');
    await assert.rejects(prepareStateDir(file), (e: unknown) => e instanceof ConfigError && /^STATE_DIR /.test(e.message) && e.message.includes(file));
    await assert.rejects(prepareStateDir(path.join(file, 'below')), (e: unknown) => e instanceof ConfigError && /^STATE_DIR /.test(e.message));
  });
});

describe('the .env file as people write it', () => {
  test('.env.example copied to .env loads: every empty value means the default', async () => {
    const cwd = path.join(dir, 'from-example');
    await mkdir(cwd, { recursive: true });
    await writeFile(path.join(cwd, '.env'), await readFile(path.join(import.meta.dirname, '..', '..', '.env.example')));
    const c = loadConfig({ env: { XDG_STATE_HOME: '/var/lib/x' }, cwd });
    assert.equal(c.stateDir, path.join('/var/lib/x', 'container-doctor'));
    assert.equal(c.health.host, '127.0.0.1');
    assert.equal(c.anthropic.model, 'claude-haiku-4-5');
    assert.deepEqual(c.warnings, []);
  });

  test('a line without "=", binary garbage and a near-miss name give one warning line each; other variables stay silent', async () => {
    const cwd = path.join(dir, 'messy-env');
    await mkdir(cwd, { recursive: true });
    const text = [
      '# settings',
      'CHECK_INTERVALL=5',
      'LOG_LINES 100',
      'PGHOST=db',
      'NODE_ENV=production',
      'log_lines=20',
      'PRIVATE_KEY="-----BEGIN KEY-----',
      'abc',
      '-----END KEY-----"',
      '\u0000\u0001\u00ff\u00fe',
      'AUTO_FIX=false',
    ].join('\n');
    await writeFile(path.join(cwd, '.env'), Buffer.concat([Buffer.from(`${text}\n`), Buffer.from([0xff, 0xfe, 0x0a])]));
    const c = load({}, {}, cwd);
    assert.equal(c.autoFix, false, 'the good lines still apply');
    assert.equal(c.checkIntervalMs, 30_000, 'the misspelt setting is not applied');
    assert.deepEqual(c.warnings, [
      '.env line 2: CHECK_INTERVALL is not a setting; did you mean CHECK_INTERVAL? (ignored)',
      '.env line 3 ("LOG_LINES 100") is not NAME=value; ignored',
      '.env line 6: log_lines is not a setting; did you mean LOG_LINES? (ignored)',
      '.env line 10 is not text (binary data?); ignored',
      '.env line 12 is not text (binary data?); ignored',
    ]);
    for (const w of c.warnings) assert.ok(!w.includes('\n'));
  });

  test('a missing --env-file is one line naming it', () => {
    assert.throws(
      () => loadConfig({ env: { STATE_DIR: dir }, envFile: '/nonexistent/doctor.env', cwd: dir }),
      (e: unknown) => e instanceof ConfigError && e.message === 'cannot read env file /nonexistent/doctor.env: no such file (ENOENT)',
    );
  });

  test('TARGET_CONTAINERS entries must be container names or ids', () => {
    assert.throws(() => load({ TARGET_CONTAINERS: 'web,../../containers/json' }), (e: unknown) => e instanceof ConfigError && /^TARGET_CONTAINERS entry "\.\.\/\.\.\/containers\/json" is not a container name or id/.test(e.message));
    assert.deepEqual(load({ TARGET_CONTAINERS: 'web, /db ,a1b2c3' }).targets, ['web', '/db', 'a1b2c3']);
  });
});

describe('ERROR_PATTERNS is bounded', () => {
  test('200 phrases are accepted; more is one line saying how many and the limit', () => {
    const phrases = (n: number) => Array.from({ length: n }, (_, i) => `custom failure ${i}`).join(',');
    assert.equal(load({ ERROR_PATTERNS: phrases(200) }).errorPatterns.length, 200);
    assert.throws(() => load({ ERROR_PATTERNS: phrases(5000) }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /^ERROR_PATTERNS has 5000 phrases; at most 200 are accepted \(got ".{0,61}"\)$/);
      return true;
    });
    assert.throws(() => load({ ERROR_PATTERNS: `ok,${'x'.repeat(5_000_000)}` }), (e: unknown) => e instanceof ConfigError && /^ERROR_PATTERNS phrase "x{40}…" is longer than 200 characters/.test(e.message) && e.message.length < 300);
  });
});
