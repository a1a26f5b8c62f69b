// app.js - the desk console: log in with a bearer token, the agent's queue, one ticket with its
// actions and replies, and the supervisors' live board. Plain DOM: every piece of data reaches
// the page as text (textContent, text nodes, element properties), never as markup.
'use strict';

const $ = (id) => document.getElementById(id);
// Variables desk fills itself when a template is sent (services/desk/README.md).
const AUTO_VARS = ['customer_name', 'ticket_number', 'agent_name'];
const BOARD_REFRESH_MS = 3000;
const VAR_RE = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;
const OPEN = ['classified', 'assigned', 'acknowledged', 'awaiting_customer', 'reopened'];

const state = { token: sessionStorage.getItem('sb_token') || '', me: null, ticket: null,
                templates: [], boardTimer: null };

// An element with properties (never innerHTML) and children (strings become text nodes).
function el(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

// Show what happened: an error in red, or a confirmation.
function say(text, ok) {
  $('msg').textContent = text || '';
  $('msg').className = ok ? 'ok' : '';
}

// The error object of a desk answer as one line.
function errorText(r) {
  const e = r.body && r.body.error;
  if (!e) return `HTTP ${r.status}`;
  return e.field ? `${e.message} (${e.field})` : e.message || e.code;
}

// One call to desk with the token; {status, body}. A 401 logs out.
async function api(method, path, body) {
  const headers = { Authorization: 'Bearer ' + state.token };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['Idempotency-Key'] = window.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2);
  }
  let r;
  try {
    r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
                            cache: 'no-store', credentials: 'omit' });
  } catch (e) {
    return { status: 0, body: { error: { message: 'cannot reach desk: ' + e.message } } };
  }
  let parsed = null;
  try { parsed = await r.json(); } catch (e) { parsed = null; }
  if (r.status === 401) {
    logout();
    say('The token was refused (401): log in again.');
  }
  return { status: r.status, body: parsed };
}

function showOnly(view) {
  for (const v of ['login-view', 'queue-view', 'ticket-view', 'board-view']) $(v).hidden = v !== view;
}

function logout() {
  sessionStorage.removeItem('sb_token');
  state.token = '';
  state.me = null;
  stopBoard();
  $('nav').hidden = true;
  showOnly('login-view');
}

function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString();
}

// "3 h 12 min" between now and iso (negative: past).
function left(iso) {
  const ms = new Date(iso) - Date.now();
  const m = Math.round(Math.abs(ms) / 60000);
  const text = m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min`;
  return ms < 0 ? `${text} overdue` : text;
}

// ---- log in --------------------------------------------------------------------------------

async function login(token) {
  state.token = token;
  const r = await api('GET', '/v1/me');
  if (r.status !== 200) {
    if (r.status !== 401) say(errorText(r));
    state.token = '';
    return false;
  }
  sessionStorage.setItem('sb_token', token);
  state.me = r.body;
  $('nav').hidden = false;
  $('nav-board').hidden = state.me.role === 'agent';
  $('who').textContent = `${state.me.name || state.me.subject} · ${state.me.role}` +
    (state.me.department ? ` · ${state.me.department}` : '');
  return true;
}

$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const token = $('token').value.trim();
  if (!token) return;
  say('');
  if (await login(token)) {
    $('token').value = '';
    route();
  }
});
$('logout').addEventListener('click', () => { logout(); say('Logged out.', true); location.hash = ''; });

// ---- queue ---------------------------------------------------------------------------------

function ticketRows(tbody, tickets) {
  tbody.replaceChildren();
  if (!tickets.length) {
    tbody.append(el('tr', {}, el('td', { colSpan: 6, class: 'off' }, 'nothing here')));
    return;
  }
  for (const t of tickets) {
    tbody.append(el('tr', { 'data-number': t.number },
      el('td', {}, el('a', { href: '#/ticket/' + encodeURIComponent(t.number) }, t.number)),
      el('td', {}, t.status), el('td', {}, t.priority || ''), el('td', {}, t.category || ''),
      el('td', {}, t.department || ''), el('td', {}, when(t.created_at))));
  }
}

async function showQueue() {
  showOnly('queue-view');
  const mine = await api('GET', '/v1/tickets?assignee=me&limit=100');
  if (mine.status !== 200) { say(errorText(mine)); return; }
  // Only what is really assigned to me (also while a desk without the filter answers more).
  ticketRows($('mine').tBodies[0],
             mine.body.tickets.filter((t) => t.assignee === state.me.subject && OPEN.includes(t.status)));
  const dept = state.me.department;
  $('waiting-title').textContent = dept ? `Waiting in ${dept}` : 'Waiting';
  if (!dept) { ticketRows($('waiting').tBodies[0], []); return; }
  const waiting = await api('GET', '/v1/tickets?status=classified&limit=100&department=' + encodeURIComponent(dept));
  if (waiting.status !== 200) { say(errorText(waiting)); return; }
  ticketRows($('waiting').tBodies[0], waiting.body.tickets.filter((t) => !t.assignee));
}

// ---- one ticket ----------------------------------------------------------------------------

function fact(dl, name, value) {
  dl.append(el('dt', {}, name), el('dd', { 'data-fact': name }, value === null || value === undefined ? '—' : value));
}

function drawExplanation(x) {
  const box = $('t-explanation');
  box.replaceChildren();
  if (!x || typeof x !== 'object' || !Object.keys(x).length) { box.append(el('p', { class: 'off' }, 'not decided yet')); return; }
  box.append(el('p', {}, `Decided by ${x.source || 'unknown'}` + (x.rule_set ? ` (rule set ${x.rule_set})` : '') +
    (x.priority_reason ? `; priority: ${x.priority_reason}` : '')));
  const rules = Array.isArray(x.rules) ? x.rules : [];
  if (rules.length) box.append(el('ul', {}, ...rules.map((r) => el('li', {}, `${r.name} (${r.stage})`))));
  if (x.classifier) box.append(el('p', {}, 'Classifier: ' + JSON.stringify(x.classifier)));
  if (Array.isArray(x.tags) && x.tags.length) box.append(el('p', {}, 'Tags: ' + x.tags.join(', ')));
}

function drawSla(sla) {
  const list = Array.isArray(sla) ? sla : [];
  $('t-sla-box').hidden = !list.length;
  $('t-sla').tBodies[0].replaceChildren(...list.map((c) => el('tr', {},
    el('td', {}, c.kind), el('td', {}, when(c.due_at)), el('td', {}, c.state),
    el('td', { class: c.state === 'armed' && new Date(c.due_at) < Date.now() ? 'overdue' : '' },
       c.state === 'armed' ? left(c.due_at) : ''))));
}

// A timeline entry's data in a line or two: its text when it has one, else the JSON.
function eventSummary(data) {
  if (!data || typeof data !== 'object') return '';
  if (typeof data.text === 'string') return data.text;
  return JSON.stringify(data, null, 1);
}

function drawTimeline(events) {
  $('t-timeline').replaceChildren(...(events || []).map((e) => el('li', { 'data-type': e.type },
    el('span', { class: 'when' }, when(e.occurred_at)), el('span', { class: 'type' }, e.type),
    el('pre', {}, eventSummary(e.data)))));
}

function drawTicket(t) {
  state.ticket = t;
  $('t-number').textContent = t.number;
  const dl = $('t-facts');
  dl.replaceChildren();
  fact(dl, 'status', t.status);
  fact(dl, 'priority', t.priority);
  fact(dl, 'category', [t.category, t.subtopic].filter(Boolean).join(' / ') || null);
  fact(dl, 'urgency', t.urgency);
  fact(dl, 'channel', t.channel);
  fact(dl, 'department', t.department + (Array.isArray(t.co_departments) && t.co_departments.length ? ` (with ${t.co_departments.join(', ')})` : ''));
  fact(dl, 'assignee', t.assignee);
  const c = t.customer || {};
  fact(dl, 'customer', [c.display_name, c.tier, c.phone_masked, c.email_masked].filter(Boolean).join(' · ') || null);
  fact(dl, 'created', when(t.created_at));
  drawExplanation(t.explanation);
  drawSla(t.sla);
  drawTimeline(t.timeline);
  const open = OPEN.includes(t.status);
  $('act-ack').disabled = !['assigned', 'reopened'].includes(t.status);
  $('act-progress').disabled = t.status !== 'awaiting_customer';
  $('act-await').disabled = t.status !== 'acknowledged';
  $('reply-send').disabled = !open;
  $('res-send').disabled = !open;
}

async function loadTicket(number) {
  const r = await api('GET', '/v1/tickets/' + encodeURIComponent(number));
  if (r.status !== 200) { say(errorText(r)); return false; }
  drawTicket(r.body);
  return true;
}

async function showTicket(number) {
  showOnly('ticket-view');
  if (!(await loadTicket(number))) return;
  const q = new URLSearchParams();
  if (state.ticket.language) q.set('language', state.ticket.language);
  if (state.ticket.category) q.set('category', state.ticket.category);
  const r = await api('GET', '/v1/templates?' + q);
  state.templates = r.status === 200 ? r.body.templates : [];
  const sel = $('tpl');
  sel.replaceChildren(el('option', { value: '' }, '(none: write freely)'),
    ...state.templates.map((tp) => el('option', { value: tp.id }, `${tp.title} (${tp.language})`)));
  pickTemplate();
}

// POST an action on the shown ticket, then show it again.
async function act(action, body, done) {
  const n = state.ticket.number;
  const r = await api('POST', `/v1/tickets/${encodeURIComponent(n)}/${action}`, body);
  if (r.status !== 200) { say(`${action}: ${errorText(r)}`); return false; }
  say(done, true);
  await loadTicket(n);
  return true;
}

$('act-ack').addEventListener('click', () => act('ack', {}, 'Acknowledged.'));
$('act-progress').addEventListener('click', () => act('status', { status: 'in_progress' }, 'In progress.'));
$('act-await').addEventListener('click', () => act('status', { status: 'awaiting_customer' }, 'Awaiting the customer.'));

// ---- replies with templates ----------------------------------------------------------------

function selectedTemplate() {
  return state.templates.find((tp) => tp.id === $('tpl').value) || null;
}

// The template's variables the agent fills (desk fills AUTO_VARS), in order of appearance.
function templateVars(tp) {
  const names = [];
  for (const m of tp.body.matchAll(VAR_RE)) if (!AUTO_VARS.includes(m[1]) && !names.includes(m[1])) names.push(m[1]);
  return names;
}

// What the customer will read: the template with every variable known so far filled in.
function preview() {
  const tp = selectedTemplate();
  if (!tp) return;
  const t = state.ticket;
  const auto = { customer_name: (t.customer && t.customer.display_name) || '', ticket_number: t.number,
                 agent_name: (state.me && state.me.name) || '' };
  $('reply-text').value = tp.body.replace(VAR_RE, (all, name) => {
    if (name in auto) return auto[name];
    const input = document.querySelector(`#tpl-vars input[data-var="${name}"]`);
    return input && input.value ? input.value : all;
  });
}

function pickTemplate() {
  const tp = selectedTemplate();
  const box = $('tpl-vars');
  box.replaceChildren();
  $('reply-text').readOnly = !!tp;
  if (!tp) { $('reply-text').value = ''; return; }
  for (const name of templateVars(tp)) {
    const id = 'var-' + name;
    box.append(el('label', { htmlFor: id }, name),
               el('input', { id, type: 'text', 'data-var': name, required: true, oninput: preview }));
  }
  preview();
}
$('tpl').addEventListener('change', pickTemplate);

$('reply').addEventListener('submit', async (e) => {
  e.preventDefault();
  const tp = selectedTemplate();
  let body;
  if (tp) {
    const variables = {};
    for (const input of $('tpl-vars').querySelectorAll('input')) {
      if (!input.value.trim()) { say(`fill in ${input.dataset.var}`); input.focus(); return; }
      variables[input.dataset.var] = input.value.trim();
    }
    body = { template: tp.id, variables };
  } else {
    const text = $('reply-text').value.trim();
    if (!text) { say('write a reply or pick a template'); return; }
    body = { text };
  }
  if (await act('reply', body, 'Reply sent.')) {
    $('tpl').value = '';
    pickTemplate();
  }
});

$('resolve').addEventListener('submit', async (e) => {
  e.preventDefault();
  const tags = $('res-tags').value.split(/[,，]/).map((s) => s.trim()).filter(Boolean);
  const body = { resolution: $('res-resolution').value, solution: $('res-solution').value.trim(), tags };
  if (await act('resolve', body, 'Resolved.')) { $('res-solution').value = ''; $('res-tags').value = ''; }
});

// ---- supervisors' board --------------------------------------------------------------------

function stopBoard() {
  clearTimeout(state.boardTimer);
  state.boardTimer = null;
}

function drawDepartments(departments) {
  const counts = [['queued', 'queued'], ['assigned', 'assigned'], ['acknowledged', 'acknowledged'],
                  ['awaiting_customer', 'awaiting customer'], ['overdue', 'overdue']];
  $('b-departments').replaceChildren(...departments.map((d) => el('div', { class: 'dept', 'data-department': d.id },
    el('h3', {}, `${d.name} (${d.id})`),
    ...counts.map(([k, label]) => el('div', { 'data-count': k, class: k === 'overdue' && d[k] ? 'late' : '' },
      el('span', { class: 'n' }, d[k]), ' ', label)))));
}

function drawAgents(agents) {
  $('b-agents').tBodies[0].replaceChildren(...agents.map((a) => el('tr', { 'data-agent': a.id, class: a.on_duty ? '' : 'off' },
    el('td', {}, `${a.name} (${a.id})`), el('td', {}, a.department), el('td', {}, a.on_duty ? 'yes' : 'no'),
    el('td', {}, el('meter', { min: 0, max: a.max_open, value: a.open, high: a.max_open * 0.8, optimum: 0 })),
    el('td', {}, `${a.open} / ${a.max_open}`))));
}

function drawOverdue(overdue) {
  const body = $('b-overdue').tBodies[0];
  if (!overdue.length) {
    body.replaceChildren(el('tr', {}, el('td', { colSpan: 7, class: 'off' }, 'nothing overdue')));
    return;
  }
  body.replaceChildren(...overdue.map((t) => el('tr', { 'data-number': t.number },
    el('td', {}, el('a', { href: '#/ticket/' + encodeURIComponent(t.number) }, t.number)),
    el('td', {}, t.priority || ''), el('td', {}, t.status), el('td', {}, t.assignee || '—'),
    el('td', {}, t.kind), el('td', { class: 'overdue' }, left(t.due_at)),
    el('td', {}, OPEN.includes(t.status) // a resolved ticket's follow-up clock: nothing to urge
      ? el('button', { type: 'button', class: 'urge', onclick: () => urge(t.number) }, 'Urge') : ''))));
}

async function urge(number) {
  const r = await api('POST', `/v1/tickets/${encodeURIComponent(number)}/urge`,
                      { message: 'Overdue: please handle this ticket now.' });
  if (r.status === 200) say(`Urged ${number}.`, true);
  else say(`urge ${number}: ${errorText(r)}`);
}

async function refreshBoard() {
  const r = await api('GET', '/v1/board');
  if (location.hash !== '#/board') return;
  if (r.status !== 200) { say(errorText(r)); }
  else {
    drawDepartments(r.body.departments);
    drawAgents(r.body.agents);
    drawOverdue(r.body.overdue);
    $('b-updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  }
  if (state.token) state.boardTimer = setTimeout(refreshBoard, BOARD_REFRESH_MS);
}

function showBoard() {
  showOnly('board-view');
  stopBoard();
  refreshBoard();
}

// ---- routing -------------------------------------------------------------------------------

function route() {
  stopBoard();
  if (!state.me) { showOnly('login-view'); $('token').focus(); return; }
  const h = location.hash;
  if (h.startsWith('#/ticket/')) showTicket(decodeURIComponent(h.slice('#/ticket/'.length)));
  else if (h === '#/board' && state.me.role !== 'agent') showBoard();
  else showQueue();
}
window.addEventListener('hashchange', () => { say(''); route(); });

(async () => {
  if (state.token && !(await login(state.token))) logout();
  route();
})();
