import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRedactor, collectEnvSecrets } from '../../src/core/redact.js';

const fixtures = new URL('../fixtures/redaction/', import.meta.url);

/** The environment of the container the corpus pretends to come from (the last corpus lines use it). */
const CORPUS_ENV = [
  'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  'PWD=/usr/src/app',
  'HOME=/root',
  'NODE_ENV=production',
  'PORT=8080',
  'DATABASE_URL=postgres://orders:Ord3rsDbPw@db:5432/orders',
  'DB_PASSWORD=Sup3rS3cret!2024',
  'INTERNAL_API_TOKEN=itk_7Hq2Lx9Pz4Rm',
  'REDIS_PASSWORD=p@ss:w/rd#42',
  'SESSION_SECRET=Kq9vLm2xZp7w',
  'FEATURE_TOKEN_LIMIT=true',
];

function readLines(name: string): string[] {
  return readFileSync(new URL(name, fixtures), 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'));
}

const secretRows = readLines('secret-lines.txt').map((row) => {
  const [line = '', ...secrets] = row.split('\t');
  return { line, secrets };
});
const cleanLines = readLines('clean-lines.txt');

/**
 * Clean lines we knowingly change. A lone 64-character base64 line is indistinguishable from the
 * body of a private key logged line by line, so it is redacted even when it is a certificate.
 */
const KNOWN_DAMAGE = new Set<string>(['MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ']);

describe('redaction corpus', () => {
  const redact = createRedactor({ env: CORPUS_ENV });

  test('the corpus is big enough', () => {
    assert.ok(secretRows.length >= 60, `${secretRows.length} secret lines`);
    assert.ok(cleanLines.length >= 60, `${cleanLines.length} clean lines`);
    for (const { line, secrets } of secretRows) {
      assert.ok(secrets.length > 0, `no secret listed for: ${line}`);
      for (const secret of secrets) assert.ok(line.includes(secret), `secret not in its line: ${secret}`);
    }
  });

  test('no secret survives', () => {
    const leaks: string[] = [];
    let total = 0;
    for (const { line, secrets } of secretRows) {
      const out = redact(line);
      for (const secret of secrets) {
        total += 1;
        if (out.includes(secret)) leaks.push(`${secret}\n    in: ${out}`);
      }
    }
    console.log(`redaction: ${leaks.length} of ${total} secrets leaked in ${secretRows.length} lines`);
    assert.deepEqual(leaks, []);
  });

  test('clean lines are not damaged', () => {
    const damaged = cleanLines.filter((line) => redact(line) !== line);
    console.log(`redaction: ${damaged.length} of ${cleanLines.length} clean lines changed`);
    assert.deepEqual(
      damaged.filter((line) => !KNOWN_DAMAGE.has(line)).map((line) => `${line}\n    -> ${redact(line)}`),
      [],
    );
  });

  test('redaction is idempotent', () => {
    for (const { line } of secretRows) {
      const once = redact(line);
      assert.equal(redact(once), once, line);
    }
  });

  test('throughput (reported, not asserted)', () => {
    const lines = [...cleanLines, ...secretRows.map((r) => r.line)];
    const bytes = lines.reduce((n, l) => n + l.length, 0);
    const rounds = 200;
    const start = performance.now();
    for (let i = 0; i < rounds; i += 1) for (const line of lines) redact(line);
    const ms = performance.now() - start;
    console.log(`redaction: ${((bytes * rounds) / 1e6 / (ms / 1000)).toFixed(1)} MB/s, ${Math.round((lines.length * rounds) / (ms / 1000))} lines/s`);
  });
});

describe('createRedactor', () => {
  const cases: Array<{ name: string; env?: string[]; extra?: string[]; input: string; expected: string }> = [
    { name: 'keeps the key and quotes of a JSON pair', input: '{"password":"x1y2z3"}', expected: '{"password":"[REDACTED:password]"}' },
    { name: 'k=v', input: 'user=bob password=hunter2 ok', expected: 'user=bob password=[REDACTED:password] ok' },
    { name: 'k: v in YAML style', input: 'api_key: 9c1b7e3f5a2d', expected: 'api_key: [REDACTED:secret]' },
    { name: 'prose after a colon is kept', input: 'token: expired', expected: 'token: expired' },
    { name: 'placeholders are kept', input: 'password=*** token=<redacted> secret=${SECRET}', expected: 'password=*** token=<redacted> secret=${SECRET}' },
    { name: 'URL password, user kept', input: 'redis://default:s3cr3t@cache:6379', expected: 'redis://default:[REDACTED:password]@cache:6379' },
    { name: 'bearer scheme kept', input: 'Authorization: Bearer abc123def456', expected: 'Authorization: Bearer [REDACTED:authorization]' },
    { name: 'env value anywhere', env: ['STRIPE_KEY=abcdef123456'], input: 'got abcdef123456 back', expected: 'got [REDACTED:env:STRIPE_KEY] back' },
    { name: 'env value URL-encoded', env: ['ADMIN_PASSWORD=a@b/c:d!'], input: 'http://admin:a%40b%2Fc%3Ad!@x', expected: 'http://admin:[REDACTED:env:ADMIN_PASSWORD]@x' },
    { name: 'short env values are left alone', env: ['DB_PASSWORD=dev'], input: 'dev server started', expected: 'dev server started' },
    { name: 'PWD is not a secret', env: ['PWD=/usr/src/app'], input: 'cwd /usr/src/app', expected: 'cwd /usr/src/app' },
    { name: 'non-secret env names are left alone', env: ['APP_NAME=orders-api'], input: 'orders-api ready', expected: 'orders-api ready' },
    { name: 'DATABASE_URL password only', env: ['DATABASE_URL=postgres://orders:Ord3rsPw@db/orders'], input: 'user orders on db, pw Ord3rsPw', expected: 'user orders on db, pw [REDACTED:env:DATABASE_URL]' },
    { name: 'extra secrets', extra: ['xoxb-not-really-a-token-9'], input: 'hook xoxb-not-really-a-token-9', expected: 'hook [REDACTED:secret]' },
    {
      name: 'a PEM block across lines, up to END, line for line',
      input: 'key:\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oGQ0\nAwEHoUQDQgAE\n-----END EC PRIVATE KEY-----\nserver started',
      expected: 'key:\n[REDACTED:private-key]\n[REDACTED:private-key]\n[REDACTED:private-key]\n[REDACTED:private-key]\nserver started',
    },
    {
      name: 'a PEM block cut before END stops at the first non-body line',
      input: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nlistening on :8080',
      expected: '[REDACTED:private-key]\n[REDACTED:private-key]\nlistening on :8080',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const redact = createRedactor({ env: c.env, extraSecrets: c.extra });
      assert.equal(redact(c.input), c.expected);
    });
  }

  test('collectEnvSecrets picks secret-looking names and URL passwords', () => {
    const got = collectEnvSecrets(['A_TOKEN=t', 'MY_API_KEY=k', 'AWS_CREDENTIALS=c', 'HOME=/root', 'X_URL=http://u:pw@h', 'Y_URL=http://h', 'bad']);
    assert.deepEqual(
      got.map((l) => `${l.kind}=${l.value}`),
      ['env:A_TOKEN=t', 'env:MY_API_KEY=k', 'env:AWS_CREDENTIALS=c', 'env:X_URL=pw'],
    );
  });
});
