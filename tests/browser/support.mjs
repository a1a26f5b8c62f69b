// support.mjs - what the browser tests (and the demo's dashboard check) share: one-value psql
// statements against the stack's database, Debian's headless Chromium, and pages that fail a
// test on any script or console error.
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const env = process.env;

// One statement through psql against the stack's database; returns its single value.
export function sql(statement, ...params) {
  const args = ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1'];
  params.forEach((p, i) => args.push('-v', `p${i + 1}=${p}`));
  return execFileSync('psql', [env.SB_PG_DSN, ...args], { input: statement + '\n' }).toString().trim();
}

// Debian's Chromium (SB_CHROMIUM overrides), headless.
export function launch() {
  return chromium.launch({ executablePath: env.SB_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
}

// A page whose `errors` collects every script error and console error (a 401 a test provokes
// on purpose is logged by Chromium as a failed resource load: that one is expected) and, with
// failedResponses, every other HTTP answer of 400 or more (CSP-blocked loads included).
export async function strictPage(browser, viewport, { failedResponses = false } = {}) {
  const page = await browser.newPage({ viewport });
  page.errors = [];
  if (failedResponses) {
    page.on('response', (r) => {
      if (r.status() >= 400 && r.status() !== 401) page.errors.push(`${r.request().method()} ${r.url()}: ${r.status()}`);
    });
  }
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) page.errors.push(m.text());
  });
  return page;
}
