// shot.mjs - the demo's look at the live dashboard: signs in with SB_ADMIN_TOKEN in Debian's
// headless Chromium, waits until every chart carries data (exit 1 naming the empty ones when
// some never do), writes the PNG given as the first argument and prints each chart's points.
// Usage (from tests/browser): node shot.mjs <out.png>
import { launch } from './support.mjs';

const env = process.env;
const out = process.argv[2];
if (!out || !env.SB_ANALYTICS_URL || !env.SB_ADMIN_TOKEN) {
  console.error('usage: SB_ANALYTICS_URL=... SB_ADMIN_TOKEN=... node shot.mjs <out.png>');
  process.exit(2);
}
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(`${env.SB_ANALYTICS_URL}/dashboard`);
  await page.fill('#tok', env.SB_ADMIN_TOKEN);
  await page.keyboard.press('Enter');
  const charts = ['share', 'response', 'issues', 'satisfaction', 'stages', 'sla', 'volume'];
  const drawn = (ids) => ids.every((id) => Number(document.getElementById(id)?.dataset.points) > 0);
  await page.waitForFunction(drawn, charts, { timeout: 30000 }).catch(() => {});
  const points = await page.evaluate((ids) => Object.fromEntries(ids.map((id) => [id, Number(document.getElementById(id)?.dataset.points) || 0])), charts);
  await page.screenshot({ path: out, fullPage: true });
  console.log(`dashboard screenshot: ${out}`);
  console.log(`dashboard charts (data points): ${charts.map((c) => `${c}=${points[c]}`).join(' ')}`);
  const empty = charts.filter((c) => !(points[c] > 0));
  if (empty.length) {
    console.error(`dashboard charts without data: ${empty.join(', ')}`);
    process.exitCode = 1;
  }
} finally {
  await browser.close();
}
