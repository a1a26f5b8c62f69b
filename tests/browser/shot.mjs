// shot.mjs - a screenshot of the live dashboard for deploy/local/demo: signs in with
// SB_ADMIN_TOKEN in Debian's headless Chromium, waits until the charts are drawn, writes the PNG
// given as the first argument. Usage (from tests/browser): node shot.mjs <out.png>
import { chromium } from 'playwright-core';

const env = process.env;
const out = process.argv[2];
if (!out || !env.SB_ANALYTICS_URL || !env.SB_ADMIN_TOKEN) {
  console.error('usage: SB_ANALYTICS_URL=... SB_ADMIN_TOKEN=... node shot.mjs <out.png>');
  process.exit(2);
}
const browser = await chromium.launch({ executablePath: env.SB_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(`${env.SB_ANALYTICS_URL}/dashboard`);
  await page.fill('#tok', env.SB_ADMIN_TOKEN);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => Number(document.querySelector('#share').dataset.points) > 0, null, { timeout: 20000 });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`dashboard screenshot: ${out}`);
} finally {
  await browser.close();
}
