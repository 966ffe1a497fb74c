/** Each channel's converter from the one summary: inside the service's limits, the cut marked, markup intact. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { toDiscordBody } from '../../src/adapters/notify/channels/discord.js';
import { toEmail } from '../../src/adapters/notify/channels/smtp.js';
import { NTFY_PRIORITY, toNtfyBody } from '../../src/adapters/notify/channels/ntfy.js';
import { toTeamsBody } from '../../src/adapters/notify/channels/teams.js';
import { toTelegramText } from '../../src/adapters/notify/channels/telegram.js';
import { CUT_MARKER, summarizeDigest, summarizeIncident, summarizeRecovery } from '../../src/core/alert-summary.js';
import { makeRecord } from '../helpers/slack-records.js';

const opts = { hostLabel: 'h', redact: (s: string) => s };
const huge = summarizeIncident(
  makeRecord({
    diagnosis: { root_cause: '<b>&'.repeat(5_000), suggested_fix: 'y'.repeat(20_000), config_suggestions: Array.from({ length: 30 }, (_, i) => `s${i} ${'z'.repeat(400)}`) },
    evidence: { matchedLines: Array.from({ length: 300 }, (_, i) => `line ${i} <tag> & ${'e'.repeat(300)}`) },
  }),
  opts,
);

function count(s: string, needle: string): number {
  return s.split(needle).length - 1;
}

describe('channel formats', () => {
  test('Telegram: at most 4096 characters, every tag closed, the cut marked', () => {
    const text = toTelegramText(huge);
    assert.ok(text.length <= 4096, String(text.length));
    for (const tag of ['b', 'code', 'i']) assert.equal(count(text, `<${tag}>`), count(text, `</${tag}>`), `<${tag}> balanced`);
    assert.ok(!/<(?!\/?(?:b|code|i)>)/.test(text), 'no raw < from the data');
    assert.ok(text.includes(CUT_MARKER));
  });

  test('Discord: embed limits hold', () => {
    const embed = toDiscordBody(huge).embeds[0] as { title: string; description: string; fields: Array<{ name: string; value: string }>; footer: { text: string } };
    const total = embed.title.length + embed.description.length + embed.footer.text.length + embed.fields.reduce((n, f) => n + f.name.length + f.value.length, 0);
    assert.ok(total <= 6000, String(total));
    assert.ok(embed.title.length <= 256 && embed.description.length <= 4096 && embed.fields.length <= 25);
    assert.ok(embed.fields.every((f) => f.value.length <= 1024 && f.name.length <= 256));
    assert.equal(count(embed.description, '```') % 2, 0, 'the code fence is closed');
  });

  test('ntfy: under 4096 bytes, priority from severity', () => {
    const body = toNtfyBody(huge, 't');
    assert.ok(Buffer.byteLength(String(body.message)) <= 4096);
    assert.deepEqual(NTFY_PRIORITY, { high: 5, medium: 4, low: 3, ok: 2 });
    assert.equal(toNtfyBody(summarizeRecovery(makeRecord(), '2025-03-01T12:01:00.000Z', opts), 't').priority, 2);
  });

  test('Teams: one Adaptive Card well under 28 KB', () => {
    const size = Buffer.byteLength(JSON.stringify(toTeamsBody(huge)));
    assert.ok(size < 28_000, String(size));
  });

  test('email: HTML escapes the data; text and subject are bounded', () => {
    const mail = toEmail(huge);
    assert.ok(!mail.html.includes('<tag>') && mail.html.includes('&lt;tag&gt;'));
    assert.ok(mail.subject.length <= 200 && !mail.subject.includes('\n'));
  });

  test('a digest lists each incident and recovery once', () => {
    const records = [makeRecord({ incidentId: 'a', name: 'web-1' }), makeRecord({ incidentId: 'b', name: 'db-1', diagnosis: { severity: 'low' } })];
    const s = summarizeDigest(records, [{ record: makeRecord({ incidentId: 'c', name: 'cache' }), recoveredAt: '2025-03-01T12:05:00.000Z' }], opts);
    assert.deepEqual(s.incidentIds, ['a', 'b', 'c']);
    assert.equal(s.lines.length, 3);
    assert.match(s.title, /^Alert storm: 2 incidents on 2 containers, 1 recovery$/);
    assert.equal(s.tone, 'high');
  });
});
