import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SIGNATURE_MAX_LINES, normaliseErrorLine, signatureOf, signatureShape, stateSignature } from '../../src/core/signature.js';

describe('normaliseErrorLine', () => {
  const cases: Array<[line: string, want: string]> = [
    ['2025-03-01T10:00:05.123456789Z ERROR  boom', '<time> error boom'],
    ['2025-03-01 10:00:05,123 - app - ERROR - boom', '<time> - app - error - boom'],
    ['2025/03/01 10:00:05 [error] 29#29: *1234 connect() failed', '<time> [error] <n>#<n>: *<n> connect() failed'],
    ['172.18.0.1 - - [01/Mar/2025:10:00:05 +0000] "GET / HTTP/1.1" 502', '<ip> - - [<time>] "get / http/<n>.<n>" <n>'],
    ['Mar  1 10:00:05 host kernel: Out of memory: Killed process 1234 (java)', '<time> host kernel: out of memory: killed process <n> (java)'],
    ['1:M 01 Mar 2025 10:00:05.123 # Cannot allocate memory', '<n>:m <time> # cannot allocate memory'],
    ['[Mon Mar 01 10:00:05.123456 2025] [core:error] AH00037', '[<time>] [core:error] ah<n>'],
    ['E0301 10:00:05.123456 1 main.go:42] lost', '<time> <n> main.go:<n>] lost'],
    ['id=550e8400-e29b-41d4-a716-446655440000 failed', 'id=<uuid> failed'],
    ['connect to 10.0.0.7:5432 refused', 'connect to <ip> refused'],
    ['connect to [2001:db8::1]:443 refused; fe80::1%eth0 down', 'connect to <ip> refused; <ip> down'],
    ['std::vector<int> overflow', 'std::vector<int> overflow'],
    ['container 3f4e5d6c7b8a failed at 0x7ffee3b2c8a0', 'container <hex> failed at <hex>'],
    ['a decade of facade work', 'a decade of facade work'],
    ['pod web-7d4b9c8f6-x2k9p crashed', 'pod web-<pod> crashed'],
    ['request_id="abc-XYZ-def" failed', 'request_id=<id> failed'],
    ['token q8Zr2LmN0xYt rejected', 'token <id> rejected'],
    ['timed out after 30000ms (1.5s budget)', 'timed out after <dur> (<dur> budget)'],
    ['context deadline exceeded after 850.3µs', 'context deadline exceeded after <dur>'],  // Go's Duration prints micro as U+00B5
    ['open /proc/1234/status: no such file', 'open /proc/<n>/status: no such file'],
    ['  Too   many\tspaces  ', 'too many spaces'],
  ];
  for (const [line, want] of cases) {
    test(JSON.stringify(line), () => assert.equal(normaliseErrorLine(line), want));
  }

  test('a very long line is judged on its head', () => {
    assert.equal(normaliseErrorLine(`boom ${'x'.repeat(100_000)}`).length, 512);
  });
});

describe('signatureOf', () => {
  const nginx = (time: string, port: number, conn: number) =>
    `${time} [error] 29#29: *${conn} connect() failed (111: Connection refused) while connecting to upstream, client: 172.18.0.${conn % 200}, upstream: "http://10.0.0.5:${port}/"`;

  test('is 16 hex characters', () => {
    assert.match(signatureOf(['boom']), /^[0-9a-f]{16}$/);
  });

  test('the same error with other times, ids, addresses and ports has the same signature', () => {
    const first = signatureOf([nginx('2025/03/01 10:00:05', 8080, 1), 'Error: connect ECONNREFUSED 10.0.0.7:5432']);
    const later = signatureOf([nginx('2025/03/02 23:59:59', 9090, 77), 'Error: connect ECONNREFUSED 10.0.0.9:6543']);
    assert.equal(later, first);
  });

  test('order and repetition do not matter', () => {
    assert.equal(signatureOf(['a failed', 'b failed', 'a failed']), signatureOf(['b failed', 'a failed']));
  });

  test('a different error has a different signature', () => {
    const refused = signatureOf(['dial tcp 10.0.0.7:5432: connect: connection refused']);
    const diskFull = signatureOf(['write /data/x: no space left on device']);
    const tls = signatureOf(['x509: certificate has expired or is not yet valid']);
    assert.equal(new Set([refused, diskFull, tls]).size, 3);
  });

  test('extra context separates otherwise equal lines', () => {
    assert.notEqual(signatureOf(['boom'], 'exit:1'), signatureOf(['boom'], 'exit:137'));
    assert.notEqual(signatureOf(['boom'], 'exit:1'), signatureOf(['boom']));
  });

  test('a flood of distinct lines beyond the cap does not change it', () => {
    const base = Array.from({ length: SIGNATURE_MAX_LINES }, (_, i) => `error a${String.fromCharCode(97 + i)}`);
    const flood = Array.from({ length: 500 }, (_, i) => `error z${'q'.repeat(i % 50)}`);
    assert.equal(signatureOf([...base, ...flood]), signatureOf(base));
  });

  test('blank lines do not count', () => {
    assert.equal(signatureOf(['boom', '', '   ']), signatureOf(['boom']));
  });
});

describe('stateSignature', () => {
  test('names the state and refines it with the lines', () => {
    assert.equal(stateSignature('oom'), stateSignature(' OOM '));
    assert.notEqual(stateSignature('oom'), stateSignature('exit:1'));
    assert.notEqual(stateSignature('exit:1', ['Error: boom']), stateSignature('exit:1'));
    assert.equal(stateSignature('exit:1', ['pid 12 Error: boom']), stateSignature('exit:1', ['pid 99 Error: boom']));
  });
});

describe('one error, one signature, whatever its ids look like', () => {
  const variants = [
    'request 4839201 failed: upstream closed the connection',
    'request 9f8e7d6c5b failed: upstream closed the connection',
    'request 123e4567-e89b-12d3-a456-426614174000 failed: upstream closed the connection',
    'request 1733022000 failed: upstream closed the connection',
    'request 2026-11-30T03:00:00Z failed: upstream closed the connection',
    'request a1b2c3d4e5f6g7 failed: upstream closed the connection',
  ];
  test('all-digit ids, hex ids, UUIDs and timestamps hash the same', () => {
    const signatures = new Set(variants.map((v) => signatureOf([v], 'exit:1')));
    assert.equal(signatures.size, 1, [...variants.map(signatureShape)].join('\n'));
  });
  test('a different error still hashes differently', () => {
    assert.notEqual(signatureOf([variants[0]!], 'exit:1'), signatureOf(['request 4839201 failed: disk quota exceeded'], 'exit:1'));
  });
});
