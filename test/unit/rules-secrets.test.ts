/**
 * The escalations' texts are built from the evidence, which is redacted before the rules read it:
 * no secret on a log line reaches a root cause or a suggested fix, including the values the rules
 * pull out of a line (an option, a host, a user).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEvidence } from '../../src/core/evidence.js';
import { createRedactor } from '../../src/core/redact.js';
import { diagnoseByRules } from '../../src/core/rules/index.js';
import type { Finding, LogLine } from '../../src/core/types.js';
import { NOW, SEC, ago, makeFacts, makeHistory, makeTrigger } from '../helpers/facts.js';

const SECRET = 'Zq8vR2mK9xLp4Wn7Tb3Y';

const cases: Array<{ rule: string; exitCode: number; lines: string[] }> = [
  { rule: 'usage-error', exitCode: 2, lines: [`Error: No such option: --api-token=${SECRET}`] },
  { rule: 'bad-credentials', exitCode: 1, lines: [`request to https://api.example.com/v1 with Authorization: Bearer ${SECRET} failed: Request failed with status code 401`] },
  { rule: 'bad-credentials', exitCode: 1, lines: [`openai.AuthenticationError: Error code: 401 - Incorrect API key provided: ${SECRET}`] },
  { rule: 'tls-untrusted', exitCode: 1, lines: [`Get "https://admin:${SECRET}@registry.internal.example/v2/": x509: certificate signed by unknown authority`] },
  { rule: 'host-not-allowed', exitCode: 1, lines: [`connection to postgres://app:${SECRET}@db:5432/app failed: FATAL:  no pg_hba.conf entry for host "172.18.0.5", user "app", database "app", no encryption`] },
];

for (const c of cases) {
  test(`${c.rule}: no secret from the line in its root cause or fix`, () => {
    const facts = makeFacts({ exitCode: c.exitCode, startedAt: ago(6 * SEC), env: [`API_TOKEN=${SECRET}`] });
    const redact = createRedactor({ env: facts.env });
    const logs: LogLine[] = c.lines.map((text, i) => ({ text, stream: 'stderr', ts: new Date(NOW - 1000 + i).toISOString() }));
    const findings = logs.map((l) => ({ line: redact(l.text), stream: l.stream, pattern: 'error', ts: l.ts }) as Finding);
    const evidence = buildEvidence({ facts, logs, findings, stoppedByUser: false, logTailLines: 50, redact });
    const verdict = diagnoseByRules({ facts, evidence, trigger: makeTrigger('die'), history: makeHistory(), now: NOW });
    assert.equal(verdict.rule, c.rule, verdict.diagnosis.root_cause);
    assert.equal(verdict.diagnosis.auto_restart_safe, false);
    for (const text of [verdict.diagnosis.root_cause, verdict.diagnosis.suggested_fix, ...verdict.diagnosis.config_suggestions]) {
      assert.ok(!text.includes(SECRET), `a secret in: ${text}`);
    }
  });
}
