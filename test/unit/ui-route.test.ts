/**
 * /ui's sign-in and pages over real HTTP on 127.0.0.1 (the health server with the UI route
 * mounted), with records made in memory: what a browser cannot show, such as headers and refusals.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHealthServer, type HealthServer } from '../../src/adapters/http/health-server.js';
import { UiRoute } from '../../src/adapters/http/ui/ui-route.js';
import { buildReport } from '../../src/core/report/build-report.js';
import { makeRecord } from '../helpers/slack-records.js';

const TOKEN = 'ui-test-token-0123456789';
const records = [
  makeRecord({ incidentId: 'inc-a', name: 'web-1', time: '2026-12-01T10:00:00.000Z' }),
  makeRecord({ incidentId: 'inc-b', name: 'db-1', time: '2026-12-01T11:00:00.000Z', diagnosis: { severity: 'medium', root_cause: '<script>alert(1)</script>' }, decision: { action: 'escalate', guardrail: 'stateful-image', executed: false } }),
].reverse();
let server: HealthServer;
let base: string;
let ui: UiRoute;

before(async () => {
  ui = new UiRoute({
    token: TOKEN,
    now: () => Date.parse('2026-12-01T12:00:00.000Z'),
    sources: {
      records: async (q) => records.filter((r) => !q.container || r.container.name === q.container),
      notes: async () => [],
      stories: async () => [],
      report: async (q) => buildReport({ records, notes: [], stories: [], fromMs: q.sinceMs, toMs: q.now, ...(q.container ? { container: q.container } : {}) }),
    },
  });
  server = await startHealthServer({
    host: '127.0.0.1', port: 0, token: TOKEN, routes: [ui],
    sources: { version: 't', history: async () => [], engines: () => [], snapshot: () => { throw new Error('unused'); }, metrics: async () => ({ contentType: 'text/plain', text: '' }), failingChannels: () => [] },
  });
  base = `http://127.0.0.1:${server.port}`;
});
after(async () => {
  ui.close();
  await server.close();
});

async function session(): Promise<string> {
  const res = await fetch(`${base}/ui/login`, { method: 'POST', body: new URLSearchParams({ token: TOKEN }), redirect: 'manual' });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/ui');
  const cookie = res.headers.get('set-cookie') ?? '';
  assert.match(cookie, /^doctor_session=[A-Za-z0-9_-]{40,}; Path=\/ui; HttpOnly; SameSite=Strict; Max-Age=43200$/);
  return cookie.split(';')[0]!;
}

describe('/ui sign-in', () => {
  test('without a session every page is the sign-in form (401), and the events stream refuses', async () => {
    for (const path of ['/ui', '/ui/report', '/ui/incident/inc-a', '/ui/container/web-1']) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 401, path);
      assert.match(await res.text(), /<form method="post" action="\/ui\/login"/);
    }
    assert.equal((await fetch(`${base}/ui/events`)).status, 401);
  });

  test('a wrong one-time link is refused and not echoed; a right one redirects to the same address without it', async () => {
    const wrong = await fetch(`${base}/ui?token=guess-1234&container=web-1`, { redirect: 'manual' });
    assert.equal(wrong.status, 401);
    assert.ok(!(await wrong.text()).includes('guess-1234'));
    const right = await fetch(`${base}/ui/report?since=24h&token=${TOKEN}`, { redirect: 'manual' });
    assert.equal(right.status, 303);
    assert.equal(right.headers.get('location'), '/ui/report?since=24h');
    assert.match(right.headers.get('set-cookie') ?? '', /HttpOnly; SameSite=Strict/);
  });

  test('the bearer header works too; sign-out ends the session', async () => {
    assert.equal((await fetch(`${base}/ui`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
    const cookie = await session();
    assert.equal((await fetch(`${base}/ui`, { headers: { cookie } })).status, 200);
    const out = await fetch(`${base}/ui/logout`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
    assert.equal(out.status, 303);
    assert.match(out.headers.get('set-cookie') ?? '', /Max-Age=0/);
    assert.equal((await fetch(`${base}/ui`, { headers: { cookie } })).status, 401);
  });

  test('a login body over 4 KiB is refused', async () => {
    const res = await fetch(`${base}/ui/login`, { method: 'POST', body: new URLSearchParams({ token: 'x'.repeat(5000) }) });
    assert.equal(res.status, 401);
  });
});

describe('/ui pages', () => {
  test('the timeline filters on the server, escapes what records say, and loads nothing from elsewhere', async () => {
    const cookie = await session();
    const all = await (await fetch(`${base}/ui`, { headers: { cookie } })).text();
    assert.deepEqual([...all.matchAll(/<tr data-container="([^"]+)"/g)].map((m) => m[1]), ['db-1', 'web-1']);
    const escalated = await fetch(`${base}/ui?decision=escalate`, { headers: { cookie } });
    assert.deepEqual([...(await escalated.text()).matchAll(/<tr data-container="([^"]+)"/g)].map((m) => m[1]), ['db-1']);
    assert.match(escalated.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.doesNotMatch(all, /(src|href)="https?:/);
    const incident = await (await fetch(`${base}/ui/incident/inc-b`, { headers: { cookie } })).text();
    assert.ok(incident.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(!incident.includes('<script>alert(1)'));
    assert.equal((await fetch(`${base}/ui/incident/inc-zzz`, { headers: { cookie } })).status, 404);
  });

  test('the report page shows the report sections with its numbers', async () => {
    const cookie = await session();
    const html = await (await fetch(`${base}/ui/report?since=7d`, { headers: { cookie } })).text();
    assert.match(html, /<h2>What happened<\/h2>/);
    assert.match(html, /<tr><td class="">db-1<\/td><td class="">1<\/td>/);
    assert.match(html, /<tr><td class="">total<\/td><td class="">2<\/td>/);
  });
});
