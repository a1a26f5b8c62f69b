// console.test.mjs - desk's web console end to end, in Debian's headless Chromium against the
// running stack (tests/run exports var/local.env): a real message goes through ingest, classify
// and dispatch; its assignee logs in with a token, finds the ticket in their queue, acknowledges,
// replies with a template, resolves; the department's supervisor watches the board and urges an
// overdue ticket. PostgreSQL is checked after every step. Writes var/console.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, sql, strictPage as newStrictPage } from './support.mjs';

const env = process.env;
const varDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../var');
const WAIT_MS = 30000;
let browser;

// Polls fn (sync or async) until it returns something truthy; fails after WAIT_MS.
async function until(what, fn) {
  const end = Date.now() + WAIT_MS;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// A fresh bearer token for subject with role, stored hashed as desk expects.
function token(subject, role) {
  const t = 'console-' + randomBytes(16).toString('hex');
  sql("INSERT INTO api_tokens (token_hash, subject, role) VALUES (encode(sha256(convert_to(:'p1', 'UTF8')), 'hex'), :'p2', :'p3')",
      t, subject, role);
  return t;
}

// Sends a web message through ingest; waits until dispatch assigned its ticket: {number, id, assignee}.
async function messageAssigned(text) {
  const tag = randomBytes(6).toString('hex');
  const r = await fetch(`${env.SB_INGEST_URL}/v1/messages`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${env.SB_CHANNEL_KEY_WEB}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ channel: 'web', external_id: `console-${tag}`, text,
                           customer: { id: `console-${tag}`, name: '李雷', phone: `138${String(randomBytes(4).readUInt32BE() % 1e8).padStart(8, '0')}`, tier: 'regular' } }),
  });
  const answer = await r.text();
  assert.equal(r.status, 202, answer);
  const { message_id: message } = JSON.parse(answer);
  const decided = await until(`the ticket of message ${message} to be dispatched`, () =>
    sql("SELECT t.number || '|' || t.department_id || '|' || coalesce(t.assignee, '') FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = :'p1' AND t.dispatched_at IS NOT NULL", message));
  const [num, dept, who] = decided.split('|');
  if (!who) {
    // Earlier suites filled the department's capacity, so dispatch queued it behind older
    // tickets: the supervisor's manual assignment is how such a ticket gets an agent now.
    const agent = sql("SELECT id FROM agents WHERE department_id = :'p1' AND role = 'agent' ORDER BY id LIMIT 1", dept);
    const rr = await fetch(`${env.SB_DESK_URL}/v1/tickets/${num}/reassign`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${env.SB_ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ agent_id: agent, reason: 'console test: the queue is long' }),
    });
    assert.equal(rr.status, 200, await rr.text());
  }
  const row = await until(`the ticket of message ${message} to be assigned`, () =>
    sql("SELECT t.number || '|' || t.id || '|' || t.assignee FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = :'p1' AND t.assignee IS NOT NULL", message));
  const [number, id, assignee] = row.split('|');
  return { number, id, assignee };
}

// The ticket's status, and how many events of type it has.
const status = (id) => sql("SELECT status FROM tickets WHERE id = :'p1'", id);
const events = (id, type) => Number(sql("SELECT count(*) FROM ticket_events WHERE ticket_id = :'p1' AND type = :'p2'", id, type));

// A page that fails the test on any script or console error, or any HTTP error but the expected 401.
const strictPage = () => newStrictPage(browser, { width: 1280, height: 1000 }, { failedResponses: true });

async function logIn(page, bearer) {
  // Logged out, nothing of the logged-in UI shows, so waiting for #nav below means something.
  assert.ok(await page.isHidden('#nav'), 'the navigation is hidden while logged out');
  await page.fill('#token', bearer);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#nav', { state: 'visible' });
  // route() hides the login view only after login() stored the token and filled #who.
  await page.waitForSelector('#login-view', { state: 'hidden' });
}

const fact = (page, name) => page.textContent(`#t-facts [data-fact="${name}"]`);
const factIs = (page, name, value) =>
  page.waitForFunction(([n, v]) => document.querySelector(`#t-facts [data-fact="${n}"]`)?.textContent === v, [name, value]);

before(async () => {
  assert.ok(env.SB_DESK_URL && env.SB_INGEST_URL && env.SB_CHANNEL_KEY_WEB && env.SB_PG_DSN, 'run through tests/run');
  browser = await launch();
});
after(async () => { await browser?.close(); });

test('an agent works a real ticket in the console; the supervisor sees it on the board and urges', async (t) => {
  // Two customers' complaints about a late parcel: one to work, one to fall overdue.
  const ticket = await messageAssigned('我的快递还没到，已经一周了 — where is my parcel?');
  const other = await messageAssigned('快递还没到，请帮忙查一下物流 where is my order');
  const department = sql("SELECT department_id FROM tickets WHERE id = :'p1'", ticket.id);
  assert.equal(status(ticket.id), 'assigned');

  // A template with a variable the agent fills (the others desk fills itself).
  const tpl = 'console-eta-' + randomBytes(4).toString('hex');
  sql("INSERT INTO reply_templates (id, language, title, body, category) VALUES (:'p1', 'zh', '预计送达 ' || :'p1', '{{customer_name}}您好，工单{{ticket_number}}的包裹预计{{eta}}送达。{{agent_name}}', NULL)", tpl);

  const page = await strictPage();
  await page.goto(`${env.SB_DESK_URL}/console`);
  await page.waitForSelector('#token', { state: 'visible' });
  await page.fill('#token', 'not-a-real-token');
  await page.click('#login button[type=submit]');
  await page.waitForFunction(() => /refused/.test(document.querySelector('#msg').textContent));

  const agentToken = token(ticket.assignee, 'agent');
  await logIn(page, agentToken);
  assert.ok(!page.url().includes(agentToken), 'the token is never in the URL');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('sb_token')), agentToken);
  const name = sql("SELECT name FROM agents WHERE id = :'p1'", ticket.assignee);
  assert.equal(await page.textContent('#who'), `${name} · agent · ${department}`);

  // The queue: the ticket is mine.
  await page.waitForSelector(`#mine tr[data-number="${ticket.number}"]`);
  await page.click(`#mine tr[data-number="${ticket.number}"] a`);
  await page.waitForFunction((n) => document.querySelector('#t-number').textContent === n, ticket.number);
  await factIs(page, 'status', 'assigned');
  assert.equal(await fact(page, 'assignee'), ticket.assignee);
  assert.match(await page.textContent('#t-timeline'), /我的快递还没到/, 'Chinese text displays as sent');
  assert.match(await page.textContent('#t-explanation'), /Decided by/);

  // Acknowledge.
  await page.click('#act-ack');
  await factIs(page, 'status', 'acknowledged');
  assert.equal(status(ticket.id), 'acknowledged');
  assert.equal(events(ticket.id, 'acknowledged'), 1);
  await page.waitForSelector('#t-timeline li[data-type="acknowledged"]');

  // Reply with the template: the agent fills {{eta}}, the preview shows the rest filled.
  await page.waitForSelector(`#tpl option[value="${tpl}"]`, { state: 'attached' });
  await page.selectOption('#tpl', tpl);
  await page.fill('#var-eta', '明天上午');
  const preview = await page.inputValue('#reply-text');
  assert.match(preview, new RegExp(`工单${ticket.number}的包裹预计明天上午送达`));
  assert.ok(!preview.includes('{{'), `every variable is filled: ${preview}`);
  await page.click('#reply-send');
  await page.waitForSelector('#t-timeline li[data-type="replied"]');
  assert.equal(events(ticket.id, 'replied'), 1);
  const reply = sql("SELECT template_id || '|' || body FROM replies WHERE ticket_id = :'p1'", ticket.id);
  assert.match(reply, new RegExp(`^${tpl}\\|.*工单${ticket.number}的包裹预计明天上午送达`));
  assert.equal(status(ticket.id), 'acknowledged', 'a reply does not change the status');

  // Resolve.
  await page.selectOption('#res-resolution', 'fully');
  await page.fill('#res-solution', '已联系快递公司，包裹明天送达 — the parcel was re-dispatched');
  await page.fill('#res-tags', 'logistics，快递');
  await page.click('#res-send');
  await factIs(page, 'status', 'resolved');
  assert.equal(status(ticket.id), 'resolved');
  assert.equal(events(ticket.id, 'resolved'), 1);
  assert.equal(sql("SELECT payload->'data'->>'resolution' FROM ticket_events WHERE ticket_id = :'p1' AND type = 'resolved'", ticket.id), 'fully');
  assert.ok(await page.isDisabled('#res-send'), 'a resolved ticket cannot be resolved again');

  // The department's supervisor: the board, with the other ticket overdue.
  sql("INSERT INTO sla_timers (ticket_id, kind, due_at) VALUES (:'p1', 'console_check', now() - interval '3 minutes') ON CONFLICT (ticket_id, kind) DO UPDATE SET due_at = excluded.due_at, state = 'armed'", other.id);
  await page.click('#logout');
  await page.waitForSelector('#token', { state: 'visible' });
  assert.equal(await page.evaluate(() => sessionStorage.getItem('sb_token')), null);
  await logIn(page, token(`${department}-lead`, 'supervisor'));
  await page.click('#nav-board');
  const card = `#b-departments .dept[data-department="${department}"]`;
  await page.waitForSelector(card);
  await page.waitForSelector(`#b-agents tr[data-agent="${other.assignee}"] meter`);
  const openOfOther = await page.textContent(`#b-agents tr[data-agent="${other.assignee}"] td:last-child`);
  assert.match(openOfOther, /^[1-9][0-9]* \/ [0-9]+$/, 'the assignee of the open ticket carries load');
  assert.match(await page.textContent(`${card} [data-count="overdue"]`), /^[1-9]/);

  const urge = `#b-overdue tr[data-number="${other.number}"] button.urge`;
  await page.waitForSelector(urge);
  await page.screenshot({ path: (mkdirSync(varDir, { recursive: true }), `${varDir}/console.png`), fullPage: true });
  await page.click(urge);
  await page.waitForFunction((n) => document.querySelector('#msg').textContent === `Urged ${n}.`, other.number);
  assert.equal(events(other.id, 'urged'), 1);

  assert.deepEqual(page.errors, []);
  await page.close();
});
