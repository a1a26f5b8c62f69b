// dashboard.test.mjs - the analytics dashboard in Debian's headless Chromium against the running
// stack (tests/run exports var/local.env): the token flow on today's live traffic (the e2e suite
// ran before), then a day of the 1900s whose roll-ups this test writes, on which every chart must
// carry data and show the values written. Writes $SB_VAR/dashboard.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { launch, sql, strictPage as newStrictPage } from './support.mjs';

const env = process.env;
const CHARTS = ['share', 'response', 'issues', 'satisfaction', 'stages', 'sla', 'volume'];
let browser;

// A page that fails the test on any script or console error.
const strictPage = () => newStrictPage(browser, { width: 1400, height: 1000 });

// Signs in on the page with the admin token.
async function signIn(page) {
  await page.goto(`${env.SB_ANALYTICS_URL}/dashboard`);
  await page.waitForSelector('#tok', { state: 'visible' });
  await page.fill('#tok', env.SB_ADMIN_TOKEN);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#main', { state: 'visible' });
}

before(async () => {
  assert.ok(env.SB_ANALYTICS_URL && env.SB_PG_DSN && env.SB_ADMIN_TOKEN, 'run through tests/run');
  browser = await launch();
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
  // The e2e suite ran before: every channel has traffic, so the share chart and tiles have data.
  await page.waitForFunction(() => Number(document.querySelector('#share').dataset.points) > 0, null, { timeout: 15000 });
  const text = await page.innerText('body');
  for (const word of ['inbound', 'opened', 'classified', 'assigned', 'satisfaction', 'first response (live)'])
    assert.match(text, new RegExp(word.replace(/[()]/g, '\\$&')));
  for (const channel of ['wechat', 'web', 'app', 'phone', 'email', 'store', 'marketplace'])
    assert.match(text, new RegExp(`${channel} [0-9]+`), `channel ${channel} in the share chart`);
  const inbound = Number(sql("SELECT coalesce(sum(n), 0) FROM analytics_rollup WHERE grain = 'D' AND metric = 'inbound' AND bucket = date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"));
  assert.ok(inbound > 0);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('every chart carries the data of its day', async () => {
  const day = `19${String(randomInt(10, 99))}-0${randomInt(1, 9)}-1${randomInt(0, 9)}`;
  // metric, channel, category, subtopic, n, sum_ms, buckets h0..h12 — at 10:00 of the day.
  const rows = [
    ['inbound', 'web', '', '', 6], ['inbound', 'wechat', '', '', 4],
    ['opened', 'web', '', '', 5], ['opened', 'wechat', '', '', 3],
    ['classified', 'web', 'complaint', 'logistics-delay', 4], ['classified', 'wechat', 'consultation', 'product-feature', 2],
    ['resolved', 'web', 'complaint', 'logistics-delay', 4], ['resolved_fully', 'web', 'complaint', 'logistics-delay', 3],
    ['first_response', 'web', 'complaint', 'logistics-delay', 2, 40000, [0, 1, 1]],
    ['first_response', 'wechat', 'consultation', 'product-feature', 1, 5000, [1]],
    ['survey_answered', 'web', 'complaint', 'logistics-delay', 4], ['satisfied', 'web', 'complaint', 'logistics-delay', 3],
    ['stage_intake', 'web', '', '', 5, 5000, [5]],
    ['stage_judgement', 'web', 'complaint', 'logistics-delay', 4, 8000, [4]],
    ['stage_dispatch', 'web', 'complaint', 'logistics-delay', 4, 12000, [3, 1]],
    ['stage_acknowledgement', 'web', 'complaint', 'logistics-delay', 4, 400000, [0, 0, 1, 3]],
    ['stage_resolution', 'web', 'complaint', 'logistics-delay', 4, 4000000, [0, 0, 0, 1, 1, 2]],
    ['stage_follow_up', 'web', 'complaint', 'logistics-delay', 4, 3600000, [0, 0, 0, 2, 2]],
    ['sla_met:acknowledgement', 'web', 'complaint', 'logistics-delay', 3], ['sla_breached:acknowledgement', 'web', 'complaint', 'logistics-delay', 1],
    ['sla_met:first_response', 'web', 'complaint', 'logistics-delay', 4],
  ];
  const values = rows.map(([m, ch, cat, sub, n, sum = 0, h = []]) => {
    const hs = Array.from({ length: 13 }, (_, i) => h[i] || 0).join(', ');
    return `('${m}', '${ch}', '${cat}', '${sub}', ${n}, ${sum}, ${hs})`;
  }).join(',\n');
  sql(`DELETE FROM analytics_rollup WHERE grain IN ('D', 'H') AND bucket >= '${day}'::date AND bucket < '${day}'::date + 1;
       INSERT INTO analytics_rollup (grain, bucket, metric, channel, category, subtopic, department, agent, n, sum_ms, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9, h10, h11, h12)
       SELECT g, CASE g WHEN 'D' THEN '${day}'::date::timestamp ELSE '${day}'::date + time '10:00' END AT TIME ZONE 'UTC',
              m, ch, cat, sub, '', '', n, s, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9, h10, h11, h12
       FROM (VALUES ${values}) AS v(m, ch, cat, sub, n, s, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9, h10, h11, h12)
       CROSS JOIN (VALUES ('D'), ('H')) AS grains(g)`);

  const page = await strictPage();
  await signIn(page);
  await page.fill('#from', day);
  await page.fill('#to', day);
  await page.waitForFunction((d) => document.querySelector('#status').textContent.startsWith(d + ' .. ' + d), day, { timeout: 15000 });
  await page.waitForFunction((ids) => ids.every((id) => Number(document.getElementById(id).dataset.points) > 0),
    CHARTS, { timeout: 15000 });
  const points = await page.evaluate((ids) => Object.fromEntries(ids.map((id) => [id, Number(document.getElementById(id).dataset.points)])), CHARTS);
  assert.equal(points.share, 2, 'two channels in the pie');
  assert.equal(points.issues, 2, 'two issues');
  assert.equal(points.stages, 6, 'six stages');
  assert.equal(points.sla, 2, 'two clock kinds');
  assert.equal(points.response, 3, 'three response buckets');
  assert.equal(points.satisfaction, 1, 'the one hour with answers');
  const text = await page.innerText('body');
  assert.match(text, /web 6 +\(60\.0 %\)/);
  assert.match(text, /complaint\/logistics-delay/);
  assert.match(text, /75\.0%\s*satisfaction/);
  assert.match(text, /75\.0 % \(1 breached\)/);
  // KPI tiles state their target; resolution 75 % misses its 95 %.
  assert.match(text, /target >= 95%/);
  assert.equal(await page.locator('#kpis .tile.bad').count() > 0, true);
  await page.screenshot({ path: `${env.SB_VAR || '/tmp'}/dashboard.png`, fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.close();
});
