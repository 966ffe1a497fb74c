/**
 * The redaction corpus through every sink a log line can reach: the Claude prompt, the Slack
 * blocks, the audit record (and `/history`, which serves the same records as JSON), and
 * `diagnose --json`. Each is built by the code that builds it in production, from logs redacted
 * the way the incident path redacts them (findings line by line, the tail as one text).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildIncidentMessage } from '../../src/core/alert-blocks.js';
import { buildDiagnosisUserMessage } from '../../src/core/diagnosis-prompt.js';
import { buildEvidence } from '../../src/core/evidence.js';
import { createRedactor, redactLines } from '../../src/core/redact.js';
import { PROVIDER_KINDS } from '../../src/core/redact-providers.js';
import type { AuditRecord, Finding, LogLine } from '../../src/core/types.js';
import { toDiagnoseJson } from '../../src/cli/render/diagnose-report.js';
import type { IncidentResult } from '../../src/pipeline/incident-handler.js';
import { makeFacts, makeHistory, makeTrigger, makeVerdict, NOW } from '../helpers/facts.js';

const fixtures = new URL('../fixtures/redaction/', import.meta.url);

function rows(name: string): string[] {
  return readFileSync(new URL(name, fixtures), 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

const corpus = rows('secret-corpus.txt').map((row) => {
  const [kind = '', line = '', ...secrets] = row.split('\t');
  return { kind, line, secrets };
});
const clean = [...rows('clean-corpus.txt'), ...rows('clean-lines.txt')];

/** A private key logged line by line behind a logger prefix, the way a crashing app dumps its config. */
const PEM_KEY_LINES = [
  'MIIEowIBAAKCAQEAx3Lk9vQ2mZ8pT5wY7zA1bC4dE6fG0hJkLmNoPqRsTuVwXyZa',
  'bCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz01',
  'q8W3e5R7t9Y1u3I5o7P9a1S3d5F7g9H1j3K5l7Z9x1C3v5B7n9M1q8W3e5R7t9Y1',
  'AwEHoUQDQgAE7zKx',
];
const PEM_TAIL = [
  '2024-05-01T02:00:13.101Z app[1]: loading signing key',
  '2024-05-01T02:00:13.102Z app[1]: -----BEGIN RSA PRIVATE KEY-----',
  ...PEM_KEY_LINES.map((l, i) => `2024-05-01T02:00:13.1${10 + i}Z app[1]: ${l}`),
  '2024-05-01T02:00:13.120Z app[1]: -----END RSA PRIVATE KEY-----',
  '2024-05-01T02:00:13.121Z app[1]: fatal: key rejected',
];

interface Sinks {
  readonly prompt: string;
  readonly slack: string;
  readonly audit: string;
  readonly history: string;
  readonly diagnoseJson: string;
}

/** Every sink's text for one incident whose logs are `texts`. */
function throughSinks(texts: readonly string[]): Sinks {
  const facts = makeFacts();
  const redact = createRedactor({ env: facts.env });
  const logs: LogLine[] = texts.map((text, i) => ({ text, stream: 'stderr', ts: new Date(NOW - 1000 + i).toISOString() }));
  // The lines a detector would flag: everything but the start-up line and the key's own lines.
  const flagged = logs.filter((l) => !/^(?:worker |.*loading|.*-----|.*app\[1\]: [A-Za-z0-9+/=]+$|[A-Za-z0-9+/=]+$)/.test(l.text));
  const findings: Finding[] = flagged.map((l) => ({ line: redact(l.text), stream: l.stream, pattern: 'error', ts: l.ts }) as Finding);
  const evidence = buildEvidence({ facts, logs, findings, stoppedByUser: false, logTailLines: 50, redact });
  const rules = makeVerdict();
  const history = makeHistory();
  const prompt = buildDiagnosisUserMessage(
    { facts, evidence, rules, history, signature: 'sig', logTail: logs.map((l) => redact(l.text)) },
    { nowMs: NOW, redact },
  );
  const decision = { action: 'alert', reason: 'test', guardrail: null } as unknown as AuditRecord['decision'];
  const outcome = { status: 'not-acted', detail: 'test', at: new Date(NOW).toISOString() } as unknown as AuditRecord['outcome'];
  const record: AuditRecord = {
    v: 1, incidentId: 'i1', occurrence: 1, time: new Date(NOW).toISOString(), container: facts.ref,
    trigger: makeTrigger(), evidence, signature: 'sig', diagnosis: rules.diagnosis, decision, outcome,
  };
  const slack = JSON.stringify(buildIncidentMessage(record, { hostLabel: 'host', redact }));
  const result = { facts, logs, findings, evidence, signature: 'sig', rules, diagnosis: rules.diagnosis, decision, outcome, history, record } as unknown as IncidentResult;
  return {
    prompt,
    slack,
    audit: `${JSON.stringify(record)}\n`,
    history: JSON.stringify({ records: [record] }),
    diagnoseJson: JSON.stringify(toDiagnoseJson(result), null, 2),
  };
}

describe('redaction corpus through every sink', () => {
  test('the corpus is big and varied enough', () => {
    assert.ok(corpus.length >= 150, `${corpus.length} secret lines`);
    assert.ok(new Set(corpus.map((r) => r.kind)).size >= 60, `${new Set(corpus.map((r) => r.kind)).size} kinds`);
    assert.ok(clean.length >= 100, `${clean.length} clean lines`);
    assert.ok(PROVIDER_KINDS.length >= 60, `${PROVIDER_KINDS.length} provider formats`);
    for (const { line, secrets } of corpus) for (const s of secrets) assert.ok(line.includes(s), `secret not in its line: ${s}`);
  });

  test('0 leaks in every sink', () => {
    const leaks: Record<keyof Sinks, string[]> = { prompt: [], slack: [], audit: [], history: [], diagnoseJson: [] };
    const cases = [
      ...corpus.map((r) => ({ kind: r.kind, texts: ['worker started', r.line, 'worker exiting'], secrets: r.secrets })),
      { kind: 'pem-prefixed-lines', texts: PEM_TAIL, secrets: PEM_KEY_LINES },
      { kind: 'pem-bare-lines', texts: PEM_TAIL.map((l) => l.replace(/^.*?app\[1\]: /, '')), secrets: PEM_KEY_LINES },
    ];
    for (const c of cases) {
      const sinks = throughSinks(c.texts);
      for (const sink of Object.keys(leaks) as Array<keyof Sinks>) {
        // JSON sinks escape quotes and backslashes: look for the secret as it would be written there.
        const forms = [...new Set([...c.secrets, ...c.secrets.map((s) => JSON.stringify(s).slice(1, -1))])];
        for (const s of forms) if (sinks[sink].includes(s)) leaks[sink].push(`${c.kind}: ${s}`);
      }
    }
    const report = Object.entries(leaks).map(([sink, l]) => `${sink} ${l.length}`).join(', ');
    console.log(`redaction sinks (${cases.length} cases): leaks per sink: ${report}`);
    assert.deepEqual(leaks, { prompt: [], slack: [], audit: [], history: [], diagnoseJson: [] });
  });

  test('clean lines pass unchanged', () => {
    const redact = createRedactor();
    const changed = clean.filter((l) => redact(l) !== l);
    console.log(`redaction sinks: ${changed.length} of ${clean.length} clean lines changed`);
    // The one known change: a lone 64-character base64 line reads exactly like a key's body.
    assert.deepEqual(changed.filter((l) => !l.startsWith('MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ')).map((l) => `${l}\n -> ${redact(l)}`), []);
  });

  test('a tail redacted as one text keeps its lines', () => {
    const redact = createRedactor();
    const out = redactLines(redact, PEM_TAIL);
    assert.equal(out.length, PEM_TAIL.length);
    assert.equal(out[0], PEM_TAIL[0]);
    assert.equal(out.at(-1), PEM_TAIL.at(-1));
    assert.ok(out.slice(1, -1).every((l) => l.startsWith('2024-05-01T02:00:13.1') && l.endsWith('[REDACTED:private-key]')), out.join('\n'));
  });
});
