// pages.test.mjs - the pages people look at, in a real headless Chromium against the running
// stack (tests/run exports var/local.env): a survey page (the dashboard: dashboard.test.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { launch, sql, strictPage as newStrictPage } from './support.mjs';

const env = process.env;
let browser;

// A page that fails the test on any script or console error.
const strictPage = () => newStrictPage(browser, { width: 1280, height: 900 });

before(async () => {
  assert.ok(env.SB_ANALYTICS_URL && env.SB_SURVEY_URL && env.SB_PG_DSN, 'run through tests/run');
  browser = await launch();
});
after(async () => { await browser?.close(); });

// A survey link token as sb-survey signs it (services/survey/token.c): survey id (hex), expiry
// (unix ms), HMAC-SHA256 under SB_SURVEY_SECRET in base64url.
function surveyToken(id, expiresMs) {
  const part = `${id.replaceAll('-', '')}.${expiresMs}`;
  const sig = createHmac('sha256', env.SB_SURVEY_SECRET).update(`sb-survey-link:v1:${part}`).digest('base64url');
  return `${part}.${sig}`;
}

test('survey page records one answer and says so; a second answer is refused politely', async () => {
  const ticket = sql("SELECT id FROM tickets WHERE id NOT IN (SELECT ticket_id FROM surveys) LIMIT 1");
  assert.ok(ticket, 'a ticket to survey');
  const expires = Date.now() + 3600 * 1000;
  const id = sql("INSERT INTO surveys (id, ticket_id, round, state, due_at, sent_at, expires_at, channel, resolution)"
    + " VALUES (gen_random_uuid(), :'p1', 1, 'sent', now(), now(), to_timestamp(:'p2'::bigint / 1000.0), 'web', 'fully')"
    + " RETURNING id", ticket, String(expires));
  const token = surveyToken(id, expires);
  const page = await strictPage();
  await page.goto(`${env.SB_SURVEY_URL}/v1/surveys/${token}`);
  await page.check('input[value=satisfied]');
  await page.fill('#c', '很好，谢谢 — quick and friendly');
  await page.click('button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#msg').textContent.length > 0);
  assert.match(await page.innerText('#msg'), /Thank you, your answer was recorded/);
  assert.equal(sql("SELECT rating || '|' || comment FROM surveys WHERE id = :'p1'", id), 'satisfied|很好，谢谢 — quick and friendly');

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
  assert.equal(sql("SELECT rating FROM surveys WHERE id = :'p1'", id), 'satisfied');
  assert.deepEqual(page.errors, []);
  await page.close();
});
