// pages.test.mjs - the pages people look at, in a real headless Chromium against the running
// stack (tests/run exports var/local.env): the analytics dashboard and a survey page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const env = process.env;
let browser;

// One statement through psql against the stack's database; returns its single value.
function sql(statement, ...params) {
  const args = ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1'];
  params.forEach((p, i) => args.push('-v', `p${i + 1}=${p}`));
  return execFileSync('psql', [env.SB_PG_DSN, ...args], { input: statement + '\n' }).toString().trim();
}

// A page that fails the test on any script error or console error (a 401 the test provokes on
// purpose is logged by Chromium as a failed resource load: that one is expected).
async function strictPage() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) page.errors.push(m.text());
  });
  return page;
}

before(async () => {
  assert.ok(env.SB_ANALYTICS_URL && env.SB_SURVEY_URL && env.SB_PG_DSN, 'run through tests/run');
  browser = await chromium.launch({ executablePath: env.SB_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
});
after(async () => { await browser?.close(); });

test('dashboard asks for a token, refuses a wrong one, then shows live KPIs and charts', async () => {
  const page = await strictPage();
  await page.goto(`${env.SB_ANALYTICS_URL}/dashboard`);
  await page.waitForSelector('#tok', { state: 'visible' });

  await page.fill('#tok', 'not-a-real-token');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#tok').placeholder.includes('refused'));

  await page.fill('#tok', env.SB_ADMIN_TOKEN);
  await page.keyboard.press('Enter');
  // The e2e suite ran before: every channel has traffic, so every KPI and chart has data.
  await page.waitForFunction(() => /[1-9]/.test(document.body.innerText) && document.querySelectorAll('svg').length > 0,
    null, { timeout: 15000 });
  const text = await page.innerText('body');
  for (const word of ['inbound', 'opened', 'classified', 'assigned']) assert.match(text, new RegExp(word));
  for (const channel of ['wechat', 'web', 'app', 'phone', 'email', 'store', 'marketplace'])
    assert.match(text, new RegExp(`${channel} [0-9]+`), `channel ${channel} in the share chart`);
  const inbound = Number(sql("SELECT coalesce(sum(n), 0) FROM analytics_rollup WHERE grain = 'd' AND metric = 'inbound' AND bucket = date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"));
  assert.ok(inbound > 0);
  await page.screenshot({ path: `${env.SB_VAR || '/tmp'}/dashboard.png`, fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('survey page records one answer and says so; a second answer is refused politely', async () => {
  const ticket = sql("SELECT id FROM tickets WHERE id NOT IN (SELECT ticket_id FROM surveys) LIMIT 1");
  assert.ok(ticket, 'a ticket to survey');
  const token = sql("INSERT INTO surveys (ticket_id, token, resolution) VALUES (:'p1', md5(random()::text), 'fully') RETURNING token", ticket);
  const page = await strictPage();
  await page.goto(`${env.SB_SURVEY_URL}/v1/surveys/${token}`);
  await page.check('input[value=satisfied]');
  await page.fill('#c', '很好，谢谢 — quick and friendly');
  await page.click('button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#msg').textContent.length > 0);
  assert.match(await page.innerText('#msg'), /Thank you, your answer was recorded/);
  assert.equal(sql("SELECT rating || '|' || comment FROM surveys WHERE token = :'p1'", token), 'satisfied|很好，谢谢 — quick and friendly');

  await page.goto(`${env.SB_SURVEY_URL}/v1/surveys/${token}`);
  const again = await page.innerText('body');
  if (await page.$('button[type=submit]')) {
    await page.check('input[value=neutral]');
    await page.click('button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#msg').textContent.length > 0);
    assert.match(await page.innerText('#msg'), /already answered/);
  } else {
    assert.match(again, /already|thank/i);
  }
  assert.equal(sql("SELECT rating FROM surveys WHERE token = :'p1'", token), 'satisfied');
  assert.deepEqual(page.errors, []);
  await page.close();
});
