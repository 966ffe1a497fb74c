/**
 * /ui in a real browser: Debian's chromium driven by playwright-core, against the real `doctor
 * watch` on 127.0.0.1 and the real engine. Sign in (form and one-time link), see a crash appear
 * live, open it, filter; screenshots at phone and desktop sizes, light and dark, kept in
 * test-artifacts/ (docs/screenshots/ holds copies for the README). The token is required and never
 * shows in a page, a URL the browser keeps, or the doctor's output.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Report } from '../../src/core/report/report-types.js';
import { fastEnv, repoRoot, runCli } from '../helpers/doctor-harness.js';
import { startDoctorProcess, type DoctorProcess } from '../helpers/doctor-process.js';
import { freePort } from '../helpers/free-port.js';
import { removeAllTestContainers, requireEngine, runContainer, testDockerHost } from '../helpers/engine.js';
import { failOnceThenRun } from '../helpers/scenes.js';

const CHROMIUM = process.env['DOCTOR_TEST_CHROMIUM'] ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'ui');
const SCOPE_LABEL = 'doctor.ui-scene';
const TOKEN = `ui-${randomBytes(16).toString('hex')}`;
const SIZES = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 900 } } as const;

let browser: Browser;
let doctor: DoctorProcess;
let base: string;
const scope = randomBytes(4).toString('hex');
const labels = { [SCOPE_LABEL]: scope };
/** Every URL any page asked for, and every text the pages showed. */
const urls: string[] = [];
const shown: string[] = [];

before(async () => {
  await requireEngine();
  await mkdir(ARTIFACTS, { recursive: true });
  const port = await freePort();
  const stateDir = await mkdtemp(path.join(tmpdir(), 'doctor-ui-'));
  doctor = await startDoctorProcess({
    ...fastEnv, DOCKER_HOST: testDockerHost(), STATE_DIR: stateDir, TARGET_LABEL: `${SCOPE_LABEL}=${scope}`,
    CHECK_INTERVAL: '1', HEALTH_HOST: '127.0.0.1', HEALTH_PORT: String(port), HEALTH_TOKEN: TOKEN,
  });
  base = `http://127.0.0.1:${port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await doctor?.stop();
  await removeAllTestContainers();
});

async function newPage(size: keyof typeof SIZES, colorScheme: 'light' | 'dark' = 'light'): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: SIZES[size], colorScheme });
  const page = await context.newPage();
  page.on('request', (r) => urls.push(r.url()));
  return { context, page };
}

async function signIn(page: Page): Promise<void> {
  await page.goto(`${base}/ui`);
  await page.fill('input[name=token]', TOKEN);
  await Promise.all([page.waitForURL(`${base}/ui`), page.click('button[type=submit]')]);
}

async function remember(page: Page): Promise<void> {
  shown.push(await page.content());
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

describe('/ui in chromium', () => {
  test('the token is required: no session, no page; a wrong token is refused', async () => {
    const res = await fetch(`${base}/ui`);
    assert.equal(res.status, 401);
    assert.match(await res.text(), /Sign in/);
    assert.equal((await fetch(`${base}/ui/events`)).status, 401);
    const wrong = await fetch(`${base}/ui/login`, { method: 'POST', body: new URLSearchParams({ token: 'nope' }) });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('set-cookie'), null);
  });

  test('sign in, see a crash appear live, open it, filter', async () => {
    const { context, page } = await newPage('desktop');
    try {
      await signIn(page);
      const cookie = (await context.cookies()).find((c) => c.name === 'doctor_session');
      assert.ok(cookie, 'a session cookie');
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'Strict');
      assert.notEqual(cookie.value, TOKEN);
      await page.waitForSelector('#live.good', { timeout: 15_000 });

      const crash = await runContainer({ name: 'h11-ui-crash', labels, cmd: failOnceThenRun('sleep 1; echo "Error: payment worker crashed" >&2; exit 1') });
      const row = page.locator(`#rows tr[data-container="${crash.name}"]`);
      await row.waitFor({ timeout: 60_000 });
      assert.equal(page.url(), `${base}/ui`, 'the row came without a reload');
      await remember(page);

      const other = await runContainer({ name: 'h11-ui-other', labels, cmd: 'sleep 1; echo "FATAL: config file missing" >&2; exit 2' });
      await page.locator(`#rows tr[data-container="${other.name}"]`).first().waitFor({ timeout: 60_000 });
      await shoot(page, 'timeline-desktop');

      await Promise.all([page.waitForURL(/\/ui\/incident\//), row.locator('td:last-child a').click()]);
      const text = await page.locator('main').innerText();
      assert.match(text, /Evidence/);
      assert.match(text, /Error: payment worker crashed/);
      assert.match(text, /Decision/);
      assert.match(text, /restart/);
      assert.match(text, /Outcome/);
      await remember(page);
      await shoot(page, 'incident-desktop');

      await page.goto(`${base}/ui`);
      await page.selectOption('select[name=container]', crash.name);
      await Promise.all([page.waitForURL(/container=/), page.click('form.filters button[type=submit]')]);
      const containers = await page.locator('#rows tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-container')));
      assert.ok(containers.length >= 1);
      assert.deepEqual([...new Set(containers)], [crash.name]);
      await page.selectOption('select[name=decision]', 'none');
      await Promise.all([page.waitForURL(/decision=none/), page.click('form.filters button[type=submit]')]);
      assert.equal(await page.locator(`#rows tr[data-container="${crash.name}"][data-decision="restart"]`).count(), 0);

      await page.goto(`${base}/ui/container/${encodeURIComponent(crash.name)}`);
      assert.match(await page.locator('main').innerText(), /Restarts held/);
      assert.equal(await page.locator('svg.axis circle').count() > 0, true, 'the story on its axis');
      await remember(page);
      await shoot(page, 'container-desktop');

      await page.goto(`${base}/ui/report`);
      const report = await page.locator('main').innerText();
      assert.match(report, /What happened/);
      assert.match(report, new RegExp(crash.name));
      // The same numbers as `doctor report` on the same STATE_DIR (the columns that do not move with the clock).
      const cli = await runCli(['report', '--json'], { STATE_DIR: doctor.stateDir });
      const json = JSON.parse(cli.stdout) as Report;
      const cells = await page.locator('section').first().locator('tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')));
      for (const c of json.containers) {
        const row = cells.find((r) => r[0] === c.name);
        assert.ok(row, `a report row for ${c.name}`);
        assert.equal(row[1], String(c.figures.incidents));
        assert.equal(row[7], String(c.figures.stillDown));
      }
      await remember(page);
      await shoot(page, 'report-desktop');
    } finally {
      await context.close();
    }
  });

  test('a one-time ?token= link leaves no token in the address; phone and dark screenshots', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const { context, page } = await newPage('phone', scheme);
      try {
        const res = await page.goto(`${base}/ui?token=${encodeURIComponent(TOKEN)}`);
        assert.equal(page.url(), `${base}/ui`);
        // Answered with a redirect, so the link never becomes a page in the history.
        const first = res?.request().redirectedFrom();
        assert.ok(first && (await first.response())?.status() === 303, 'the one-time link is a 303 to the clean URL');
        await page.waitForSelector('#rows tr');
        await remember(page);
        await shoot(page, `timeline-phone-${scheme}`);
        await page.locator('#rows tr td:last-child a').first().click();
        await page.waitForURL(/\/ui\/incident\//);
        await shoot(page, `incident-phone-${scheme}`);
        await page.goto(`${base}/ui/report`);
        await shoot(page, `report-phone-${scheme}`);
      } finally {
        await context.close();
      }
    }
  });

  test('the token never shows in a page, a kept URL, or the doctor\'s output', () => {
    for (const html of shown) assert.ok(!html.includes(TOKEN), 'a page showed the token');
    const oneTimeLink = `${base}/ui?token=${encodeURIComponent(TOKEN)}`;
    assert.ok(urls.includes(oneTimeLink), 'the one-time link was used');
    for (const u of urls.filter((x) => x !== oneTimeLink)) assert.ok(!u.includes(TOKEN), `a URL carried the token: ${u}`);
    assert.ok(!JSON.stringify(doctor.feed).includes(TOKEN), 'the feed printed the token');
    assert.ok(!doctor.stderr().includes(TOKEN), 'stderr printed the token');
  });
});
