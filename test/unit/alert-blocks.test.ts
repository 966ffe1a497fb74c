import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildDigestMessage,
  buildIncidentMessage,
  buildRecoveryMessage,
  CUT_MARKER,
  cutText,
  escapeMrkdwn,
  shouldPostIncident,
  type Block,
  type SlackMessage,
} from '../../src/core/alert-blocks.js';
import { formatCompactDuration as formatDuration } from '../../src/core/format.js';
import type { Guardrail } from '../../src/core/types.js';
import { blocksWithinLimits } from '../helpers/fake-slack.js';
import { makeRecord, type RecordOverrides } from '../helpers/slack-records.js';

const opts = { hostLabel: 'prod-eu-1', redact: (s: string) => s };

/** Every text in the message, the way Slack would see it. */
function texts(message: SlackMessage): string[] {
  const out = [message.text];
  const visit = (b: Block): void => {
    if (b.type === 'header') out.push(b.text.text);
    if (b.type === 'section') {
      if (b.text) out.push(b.text.text);
      for (const f of b.fields ?? []) out.push(f.text);
    }
    if (b.type === 'context') for (const e of b.elements) out.push(e.text);
  };
  message.blocks.forEach(visit);
  return out;
}

const all = (m: SlackMessage): string => texts(m).join('\n');

describe('buildIncidentMessage', () => {
  test('a typical incident names container, severity, cause, fix, action, outcome, source and context', () => {
    const m = buildIncidentMessage(makeRecord(), opts);
    assert.ok(blocksWithinLimits(m.blocks));
    const header = m.blocks[0];
    assert.equal(header?.type, 'header');
    assert.match(header.type === 'header' ? header.text.text : '', /^🔴 web-1: OOM-killed$/);
    const body = all(m);
    for (const expected of [
      '*Severity*\nhigh',
      'image `acme/web:1.4`',
      'The process ran out of memory',
      'Raise the memory limit',
      '• Set mem_limit: 512m',
      'The web front end is down',
      'Restarted the container',
      'restarted and running',
      'Diagnosis by rules (`oom-kill`)',
      'host *prod-eu-1*',
      'incident `inc-0001`',
      '<!date^1740830400^',
      '```FATAL: JavaScript heap out of memory```',
    ]) {
      assert.ok(body.includes(expected), `missing ${JSON.stringify(expected)} in\n${body}`);
    }
  });

  const huge = 'x'.repeat(100_000);
  const limitCases: Array<{ name: string; record: RecordOverrides }> = [
    { name: '100 KB root cause', record: { diagnosis: { root_cause: huge } } },
    { name: '100 KB fix and impact', record: { diagnosis: { suggested_fix: huge, estimated_impact: huge } } },
    { name: '60 long config suggestions', record: { diagnosis: { config_suggestions: Array.from({ length: 60 }, (_, i) => `suggestion ${i} ${'y'.repeat(120)}`) } } },
    { name: '500 long matched lines', record: { evidence: { matchedLines: Array.from({ length: 500 }, (_, i) => `line ${i} ${'z'.repeat(1000)}`) } } },
    { name: '300-character container name', record: { name: 'n'.repeat(300) } },
    { name: '100 KB decision reason and outcome detail', record: { decision: { reason: huge }, outcome: { status: 'restart-failed', detail: huge } } },
    { name: 'text made only of characters that escaping triples', record: { diagnosis: { root_cause: '<&>'.repeat(20_000) } } },
    { name: 'emoji across the cut point', record: { diagnosis: { root_cause: '🔥'.repeat(5000) } } },
  ];
  for (const c of limitCases) {
    test(`stays within Block Kit limits: ${c.name}`, () => {
      const m = buildIncidentMessage(makeRecord(c.record), opts);
      assert.ok(blocksWithinLimits(m.blocks), JSON.stringify(m.blocks).slice(0, 500));
      assert.ok(all(m).includes(CUT_MARKER), 'the cut is visible');
      assert.ok(m.text.length > 0 && m.text.length <= 300 && !m.text.includes('\n'));
      // No lone surrogate and no half entity survives a cut.
      for (const t of texts(m)) {
        assert.doesNotMatch(t, /[\ud800-\udbff](?![\udc00-\udfff])/);
        assert.doesNotMatch(t, /&(?!amp;|lt;|gt;)/);
      }
    });
  }

  test('60 short config suggestions are all listed', () => {
    const items = Array.from({ length: 60 }, (_, i) => `set option_${i}`);
    const m = buildIncidentMessage(makeRecord({ diagnosis: { config_suggestions: items } }), opts);
    const body = all(m);
    for (const item of items) assert.ok(body.includes(`• ${item}\n`) || body.includes(`• ${item}`), item);
    assert.ok(!body.includes('more'));
  });

  test('60 long config suggestions end with a count of the rest', () => {
    const items = Array.from({ length: 60 }, (_, i) => `suggestion ${i} ${'y'.repeat(120)}`);
    const m = buildIncidentMessage(makeRecord({ diagnosis: { config_suggestions: items } }), opts);
    const section = texts(m).find((t) => t.startsWith('*Config suggestions*')) ?? '';
    const listed = section.split('\n').filter((l) => l.startsWith('• ')).length;
    assert.ok(listed > 5 && listed < 60);
    assert.ok(section.endsWith(`…and ${60 - listed} more ${CUT_MARKER}`), section.slice(-80));
  });

  test('escapes &, < and > from data everywhere, including the fallback text and code block', () => {
    const evil = 'a <!channel> & <https://evil|click> > b';
    const m = buildIncidentMessage(
      makeRecord({
        name: 'web<&>',
        diagnosis: { root_cause: evil, suggested_fix: evil, config_suggestions: [evil], estimated_impact: evil },
        evidence: { matchedLines: [evil, 'has ``` a fence'] },
        decision: { reason: evil },
      }),
      opts,
    );
    const mrkdwn = [m.text, ...texts(m).slice(2)].join('\n'); // the header is plain_text
    assert.ok(!mrkdwn.includes('<!channel>'));
    assert.ok(!mrkdwn.includes('<https://evil'));
    assert.ok(mrkdwn.includes('a &lt;!channel&gt; &amp; &lt;https://evil|click&gt; &gt; b'));
    assert.ok(mrkdwn.includes('`web&lt;&amp;&gt;`'));
    // The only raw `<` left are Slack date tokens the builder wrote itself.
    assert.deepEqual(mrkdwn.match(/<[^!]|<!(?!date\^)/g), null);
    // A fence inside a log line cannot close the code block early.
    const code = texts(m).find((t) => t.startsWith('*Matched log lines*')) ?? '';
    assert.equal(code.match(/```/g)?.length, 2);
  });

  test('everything from logs and the diagnosis passes through the redactor', () => {
    const secret = 'hunter2-very-secret';
    const redact = (s: string): string => s.replaceAll(secret, '[REDACTED]');
    const m = buildIncidentMessage(
      makeRecord({
        diagnosis: { root_cause: `password ${secret}`, suggested_fix: secret, config_suggestions: [secret], estimated_impact: secret },
        evidence: { matchedLines: [`DB_PASSWORD=${secret}`] },
        decision: { reason: secret },
        outcome: { detail: secret },
        aiNote: secret,
      }),
      { ...opts, redact },
    );
    const json = JSON.stringify(m);
    assert.ok(!json.includes(secret));
    assert.ok(json.includes('DB_PASSWORD=[REDACTED]'));
  });

  test('the fallback text is one line with severity, container and cause', () => {
    const m = buildIncidentMessage(makeRecord({ diagnosis: { root_cause: 'line one\nline two' } }), opts);
    assert.equal(m.text, '🔴 [high] web-1: OOM-killed (restarted). line one line two');
  });

  const loudCases: Array<{ name: string; record: RecordOverrides; expect: RegExp | null }> = [
    { name: 'restart that worked, not recurring', record: {}, expect: null },
    { name: 'likely recurring', record: { diagnosis: { likely_recurring: true }, occurrence: 3 }, expect: /Likely to happen again\* \(occurrence 3\)/ },
    ...(
      [
        ['restart-throttle', /Needs a person: throttled: too many restarts this hour/],
        ['crash-loop', /Needs a person: crash loop/],
        ['stateful-image', /Needs a person: stateful service/],
        ['restart-cannot-fix', /Needs a person: a restart cannot fix this/],
        ['oom-recurring', /Needs a person: repeated out-of-memory kills/],
      ] as Array<[Guardrail, RegExp]>
    ).map(([guardrail, expect]) => ({
      name: `escalated by ${guardrail}`,
      record: { decision: { action: 'escalate' as const, guardrail, executed: false, reason: 'r' }, outcome: { status: 'not-acted' as const } },
      expect,
    })),
    { name: 'escalated without a guardrail names the reason', record: { decision: { action: 'escalate', guardrail: null, executed: false, reason: 'Claude says data may be corrupt' } }, expect: /Needs a person: Claude says data may be corrupt/ },
    { name: 'restart that failed', record: { outcome: { status: 'not-running-after-restart', detail: 'exited again with 1' } }, expect: /restart did not work:\* exited again with 1/ },
  ];
  for (const c of loudCases) {
    test(`loud line: ${c.name}`, () => {
      const m = buildIncidentMessage(makeRecord(c.record), opts);
      const second = m.blocks[1];
      const loud = second?.type === 'section' && second.text?.text.startsWith('🚨') || (second?.type === 'section' && second.text?.text.startsWith('🔁'));
      if (c.expect === null) {
        assert.ok(!loud, 'no loud line');
      } else {
        assert.ok(loud, 'loud line right under the header');
        assert.match(second?.type === 'section' ? (second.text?.text ?? '') : '', c.expect);
      }
    });
  }

  test('names Claude and its model, with the rules opinion beside it', () => {
    const rules = makeRecord().diagnosis;
    const m = buildIncidentMessage(
      makeRecord({ diagnosis: { source: 'claude', model: 'claude-sonnet-4-5', rule: undefined }, rulesDiagnosis: { ...rules, root_cause: 'rules think OOM' } }),
      opts,
    );
    const ctx = m.blocks.at(-1);
    assert.equal(ctx?.type, 'context');
    const line = ctx?.type === 'context' ? ctx.elements[0]?.text : '';
    assert.equal(line, 'Diagnosis by Claude (`claude-sonnet-4-5`); rules said: rules think OOM');
  });

  test('falls back to the engine error when no log line matched', () => {
    const m = buildIncidentMessage(makeRecord({ evidence: { matchedLines: [], stateError: 'exec format error' } }), opts);
    assert.ok(all(m).includes('```exec format error```'));
  });
});

describe('buildRecoveryMessage', () => {
  test('says how long recovery took', () => {
    const m = buildRecoveryMessage(makeRecord(), '2025-03-01T12:03:12.000Z', opts);
    assert.ok(blocksWithinLimits(m.blocks));
    assert.equal(m.text, '✅ web-1 recovered after 3m 12s (incident inc-0001)');
    assert.ok(all(m).includes('*Was:* The process ran out of memory'));
  });
});

describe('buildDigestMessage', () => {
  test('lists every incident with container, severity, cause and action', () => {
    const records = Array.from({ length: 20 }, (_, i) =>
      makeRecord({ incidentId: `inc-${i}`, name: `svc-${i}`, diagnosis: { root_cause: `cause ${i}`, severity: i % 2 ? 'high' : 'medium' } }),
    );
    const m = buildDigestMessage(records, { ...opts, recoveries: [{ record: makeRecord({ name: 'db' }), recoveredAt: '2025-03-01T12:00:45.000Z' }] });
    assert.ok(blocksWithinLimits(m.blocks));
    assert.equal(m.text, '⚠️ Alert storm: 20 incidents on 20 containers, 1 recovery');
    const body = all(m);
    for (let i = 0; i < 20; i++) assert.ok(body.includes(`\`svc-${i}\` ${i % 2 ? 'high' : 'medium'}: cause ${i} _(restarted)_`), `svc-${i}`);
    assert.ok(body.includes('✅ `db` recovered after 45s'));
    assert.ok(body.includes('(*10 high*)'));
  });

  test('a huge storm stays within 50 blocks and counts what it left out', () => {
    const records = Array.from({ length: 2000 }, (_, i) => makeRecord({ name: `svc-${i}`, diagnosis: { root_cause: 'c'.repeat(5000) } }));
    const m = buildDigestMessage(records, opts);
    assert.ok(blocksWithinLimits(m.blocks));
    assert.equal(m.blocks.length, 50);
    const more = texts(m).find((t) => t.startsWith('…and '));
    assert.match(more ?? '', /^…and \d+ more/);
    const listed = all(m).match(/`svc-\d+`/g)?.length ?? 0;
    assert.equal(Number(/\d+/.exec(more ?? '')?.[0]) + listed, 2000);
  });
});

describe('shouldPostIncident', () => {
  const cases: Array<{ name: string; record: RecordOverrides; min: 'low' | 'medium' | 'high'; expect: boolean }> = [
    { name: 'high at medium', record: {}, min: 'medium', expect: true },
    { name: 'low, running, no action', record: { diagnosis: { severity: 'low' }, evidence: { status: 'running' }, decision: { action: 'none' } }, min: 'medium', expect: false },
    { name: 'low but the container is down', record: { diagnosis: { severity: 'low' }, evidence: { status: 'exited' }, decision: { action: 'none' } }, min: 'medium', expect: true },
    { name: 'low but restarting in a loop', record: { diagnosis: { severity: 'low' }, evidence: { status: 'restarting' }, decision: { action: 'none' } }, min: 'high', expect: true },
    { name: 'low but escalated', record: { diagnosis: { severity: 'low' }, evidence: { status: 'running' }, decision: { action: 'escalate' } }, min: 'medium', expect: true },
    { name: 'low, exited 0 (completed)', record: { diagnosis: { severity: 'low' }, evidence: { status: 'exited', exitCode: 0 }, decision: { action: 'none', guardrail: 'completed' } }, min: 'medium', expect: false },
    { name: 'low, stopped by a person', record: { diagnosis: { severity: 'low' }, evidence: { status: 'exited', stoppedByUser: true }, decision: { action: 'none', guardrail: 'manual-stop' } }, min: 'medium', expect: false },
    { name: 'medium at high, running', record: { diagnosis: { severity: 'medium' }, evidence: { status: 'running' }, decision: { action: 'none' } }, min: 'high', expect: false },
    { name: 'high, but an old exit found at start-up', record: { evidence: { status: 'exited', exitCode: 1 }, decision: { action: 'none', guardrail: 'stale-exit', executed: false } }, min: 'low', expect: false },
    { name: 'low at low', record: { diagnosis: { severity: 'low' }, evidence: { status: 'running' }, decision: { action: 'none' } }, min: 'low', expect: true },
  ];
  for (const c of cases) {
    test(c.name, () => assert.equal(shouldPostIncident(makeRecord(c.record), c.min), c.expect));
  }
});

describe('text helpers', () => {
  const cuts: Array<[string, number, string]> = [
    ['short', 10, 'short'],
    ['abcdefghijklmnop', 10, `abcd${CUT_MARKER}`],
    ['a&amp;bcdefghij', 9, `a${CUT_MARKER}`],
    ['ab🔥cdefgh', 9, `ab${CUT_MARKER}`],
  ];
  for (const [input, max, expected] of cuts) {
    test(`cutText(${JSON.stringify(input)}, ${max})`, () => {
      const out = cutText(input, max);
      assert.equal(out, expected);
      assert.ok(out.length <= max);
    });
  }

  test('escapeMrkdwn', () => assert.equal(escapeMrkdwn('a<b>&c'), 'a&lt;b&gt;&amp;c'));

  const durations: Array<[number, string]> = [
    [0, '0s'],
    [45_000, '45s'],
    [192_000, '3m 12s'],
    [7_500_000, '2h 5m'],
    [97_200_000, '1d 3h'],
    [-5, '0s'],
  ];
  for (const [ms, expected] of durations) test(`formatDuration(${ms})`, () => assert.equal(formatDuration(ms), expected));
});
