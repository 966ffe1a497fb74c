/** The evidence snapshot in every audit record: what it keeps, how it bounds size, what it redacts. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEvidence, evidenceLimits, stateSignatureKey } from '../../src/core/evidence.js';
import type { Finding, LogLine } from '../../src/core/types.js';
import { makeEvidence, makeFacts, makeRunningFacts } from '../helpers/facts.js';

const line = (text: string, stream: LogLine['stream'] = 'stderr'): LogLine => ({ stream, text });
const finding = (text: string, pattern = 'error'): Finding => ({ line: text, stream: 'stderr', pattern });

describe('buildEvidence', () => {
  test('copies the state facts an incident is judged on', () => {
    const facts = makeFacts({
      exitCode: 137,
      oomKilled: true,
      restartCount: 4,
      restartPolicy: { name: 'on-failure', maximumRetryCount: 5 },
      health: { status: 'unhealthy', failingStreak: 3, lastOutput: '  curl: (7) Failed to connect  \n' },
      stateError: '',
      finishedAt: '2025-06-01T11:59:55.000Z',
    });
    const e = buildEvidence({ facts, logs: [], findings: [], stoppedByUser: true });
    assert.equal(e.status, 'exited');
    assert.equal(e.exitCode, 137);
    assert.equal(e.oomKilled, true);
    assert.equal(e.restartCount, 4);
    assert.equal(e.restartPolicy, 'on-failure');
    assert.equal(e.health, 'unhealthy');
    assert.equal(e.healthOutput, 'curl: (7) Failed to connect', 'trimmed');
    assert.equal(e.stoppedByUser, true);
    assert.equal(e.finishedAt, '2025-06-01T11:59:55.000Z');
    assert.deepEqual(e.matchedLines, []);
  });

  test('matched lines: distinct, newest kept, oldest first, at most the limit', () => {
    const findings = Array.from({ length: 30 }, (_, i) => finding(`Error ${i}`));
    findings.push(finding('Error 29'), finding('Error 28'));
    const e = buildEvidence({ facts: makeFacts(), logs: [], findings, stoppedByUser: false });
    assert.equal(e.matchedLines.length, evidenceLimits.matchedLines);
    assert.equal(e.matchedLines[e.matchedLines.length - 1], 'Error 28', 'the newest occurrence decides the order');
    assert.ok(!e.matchedLines.includes('Error 0'), 'the oldest are dropped');
    assert.equal(new Set(e.matchedLines).size, e.matchedLines.length, 'no duplicates');
  });

  test('patterns are the distinct vocabulary entries that matched', () => {
    const e = buildEvidence({
      facts: makeFacts(),
      logs: [],
      findings: [finding('a', 'error'), finding('b', 'timeout'), finding('c', 'error')],
      stoppedByUser: false,
    });
    assert.deepEqual(e.patterns, ['error', 'timeout']);
  });

  const tails: Array<{ name: string; logs: number; logTailLines?: number; expect: number }> = [
    { name: 'fewer lines than the limit: all of them', logs: 10, expect: 10 },
    { name: 'more lines: the last LOG_LINES', logs: 200, logTailLines: 30, expect: 30 },
    { name: 'LOG_LINES above the record bound: the bound', logs: 200, logTailLines: 500, expect: evidenceLimits.logTail },
  ];
  for (const row of tails) {
    test(`log tail: ${row.name}`, () => {
      const logs = Array.from({ length: row.logs }, (_, i) => line(`line ${i}`, 'stdout'));
      const e = buildEvidence({ facts: makeFacts(), logs, findings: [], stoppedByUser: false, logTailLines: row.logTailLines });
      assert.equal(e.logTail.length, row.expect);
      assert.equal(e.logTail[e.logTail.length - 1], `line ${row.logs - 1}`, 'newest last');
    });
  }

  test('a huge line is cut to a bound that says how much was cut', () => {
    const huge = 'E'.repeat(1_000_000);
    const e = buildEvidence({ facts: makeFacts(), logs: [line(huge)], findings: [finding(huge)], stoppedByUser: false });
    for (const kept of [e.matchedLines[0]!, e.logTail[0]!]) {
      assert.ok(kept.length < evidenceLimits.lineChars + 40, `bounded: ${kept.length}`);
      assert.match(kept, /^E{1000}…\[cut 998000 chars\]E{1000}$/);
    }
    assert.ok(JSON.stringify(e).length < 10_000);
  });

  test('a long error line keeps what matched: its end, or the part around a match in its middle', () => {
    const ending = `${'p'.repeat(15_000)} FATAL: No space left on device`;
    const middle = `${'a'.repeat(7_000)} java.lang.OutOfMemoryError: Java heap space ${'b'.repeat(7_000)}`;
    const e = buildEvidence({
      facts: makeFacts(), logs: [line(ending), line(middle)], stoppedByUser: false,
      findings: [{ ...finding(ending), pattern: 'no space left on device' }, { ...finding(middle), pattern: 'outofmemoryerror' }],
    });
    const [end, mid] = e.matchedLines;
    assert.match(end!, /FATAL: No space left on device$/);
    assert.match(mid!, /^a{500}…\[cut \d+ chars\]a+ java\.lang\.OutOfMemoryError: Java heap space b+…\[cut \d+ chars\]$/);
    for (const kept of e.matchedLines) assert.ok(kept.length < evidenceLimits.lineChars + 60, `bounded: ${kept.length}`);
    assert.match(e.logTail[0]!, /No space left on device$/, 'the tail keeps the end too');
  });

  test('redaction applies to every piece of container output kept', () => {
    const secret = 's3cr3t-t0ken';
    const facts = makeFacts({ stateError: `mount failed: ${secret}`, health: { status: 'unhealthy', failingStreak: 1, lastOutput: `401 for ${secret}` } });
    const e = buildEvidence({
      facts,
      logs: [line(`token=${secret}`)],
      findings: [finding(`Error: auth ${secret}`)],
      stoppedByUser: false,
      redact: (s) => s.replaceAll(secret, '[REDACTED]'),
    });
    assert.doesNotMatch(JSON.stringify(e), /s3cr3t/);
    assert.equal(e.matchedLines[0], 'Error: auth [REDACTED]');
    assert.equal(e.logTail[0], 'token=[REDACTED]');
    assert.equal(e.healthOutput, '401 for [REDACTED]');
    assert.equal(e.stateError, 'mount failed: [REDACTED]');
  });
});

describe('stateSignatureKey', () => {
  const rows = [
    { name: 'running and unhealthy', evidence: makeEvidence(makeRunningFacts({ health: { status: 'unhealthy' } })), trigger: 'unhealthy', expect: 'unhealthy' },
    { name: 'running with error lines', evidence: makeEvidence(makeRunningFacts()), trigger: 'log-pattern', expect: 'log' },
    { name: 'Docker restarting it after exit 1 is the same incident as the die (one crash loop, one incident)', evidence: makeEvidence(makeFacts({ status: 'restarting' })), trigger: 'restarting', expect: 'exit:1' },
    { name: 'exit 1', evidence: makeEvidence(makeFacts({ exitCode: 1 })), trigger: 'die', expect: 'exit:1' },
    { name: 'exit 1 found by reconcile is the same incident as the die', evidence: makeEvidence(makeFacts({ exitCode: 1 })), trigger: 'exited', expect: 'exit:1' },
    { name: 'exit 137 with OOMKilled differs from a plain SIGKILL', evidence: makeEvidence(makeFacts({ exitCode: 137, oomKilled: true })), trigger: 'die', expect: 'exit:137:oom' },
    { name: 'exit 137 without OOM', evidence: makeEvidence(makeFacts({ exitCode: 137 })), trigger: 'die', expect: 'exit:137' },
    { name: 'a running container on an oom event', evidence: makeEvidence(makeRunningFacts()), trigger: 'oom', expect: 'oom' },
  ];
  for (const row of rows) {
    test(row.name, () => {
      assert.equal(stateSignatureKey(row.evidence, row.trigger), row.expect);
    });
  }
});
