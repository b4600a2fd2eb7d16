// Screenshot comparison (issue 12 point 5): the sign-in page and the flows list, at 1280 × 800,
// against the baselines in tests/browser/baseline/. A stylesheet of one page that leaks onto
// another (the builder's unscoped `.card` took the sign-in card's padding) changes thousands of
// pixels; anti-aliasing noise changes a few. The flows list is served fixed data (the API's
// /flows and /runs answers are replaced in the page) so that the flows earlier scenarios made
// do not show.
//
// A missing baseline fails; SLUICE_UPDATE_BASELINES=1 writes the baselines instead (then look
// at them, and commit them). On a mismatch the actual image and a diff go to SLUICE_ARTIFACTS.
//
// Env: see tests/browser/lib.mjs.

import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { artifacts, base, check, openSignedIn, scenario, tid, timeout } from './lib.mjs';

const require = createRequire(new URL('../../tools/package.json', import.meta.url));
const { PNG } = require('pngjs');
const { default: pixelmatch } = await import(pathToFileURL(require.resolve('pixelmatch')).href);

const baselines = new URL('./baseline/', import.meta.url).pathname;
const update = process.env.SLUICE_UPDATE_BASELINES === '1';
/** Share of pixels that may differ (font hinting, a blinking caret that escaped `caret: hide`). */
const TOLERANCE = 0.002;

async function compare(page, name, step) {
  const actual = await page.screenshot({ animations: 'disabled', caret: 'hide' });
  const file = join(baselines, `${name}.png`);
  if (update) {
    await mkdir(baselines, { recursive: true });
    await writeFile(file, actual);
    step(`${name}: baseline written`);
    return;
  }
  check(existsSync(file), `no baseline ${file}: run once with SLUICE_UPDATE_BASELINES=1 and commit it`);
  const want = PNG.sync.read(await readFile(file));
  const got = PNG.sync.read(actual);
  check(want.width === got.width && want.height === got.height,
    `${name}: ${got.width}×${got.height}, baseline ${want.width}×${want.height}`);
  const diff = new PNG({ width: want.width, height: want.height });
  const changed = pixelmatch(want.data, got.data, diff.data, want.width, want.height, { threshold: 0.1 });
  const share = changed / (want.width * want.height);
  step(`${name}: ${changed} pixels differ (${(share * 100).toFixed(3)} %)`);
  if (share > TOLERANCE) {
    await mkdir(artifacts, { recursive: true });
    await writeFile(join(artifacts, `${name}-actual.png`), actual);
    await writeFile(join(artifacts, `${name}-diff.png`), PNG.sync.write(diff));
    throw new Error(`${name} looks different from tests/browser/baseline/${name}.png: ${changed} pixels (see ${artifacts}/${name}-diff.png)`);
  }
}

const flows = [
  { id: '00000000-0000-4000-8000-000000000001', name: 'Ask for a callback', icon: 'bolt', color: '#2563EB',
    description: 'Stores the form and mails sales', status: 'active', trigger: 'webhook',
    accountability: 'all', options: { method: 'POST' }, operation: null, operations: [] },
  { id: '00000000-0000-4000-8000-000000000002', name: 'Nightly clean-up', icon: 'schedule', color: '#16A34A',
    description: null, status: 'inactive', trigger: 'schedule', accountability: 'all',
    options: { cron: '0 3 * * *' }, operation: null, operations: [] },
  { id: '00000000-0000-4000-8000-000000000003', name: 'New order', icon: 'bolt', color: '#DB2777',
    description: 'When an order is created', status: 'active', trigger: 'event', accountability: 'activity',
    options: { type: 'action', scope: ['items.create'], collections: ['orders'] }, operation: null, operations: [] },
];

await scenario('looks', async ({ page, step }) => {
  await page.goto(`${base}/admin/login`);
  await page.locator('#login-submit').waitFor({ timeout });
  await page.evaluate(() => document.fonts.ready);
  await compare(page, 'login', step);

  await page.route((url) => url.pathname === '/flows' || url.pathname === '/runs', (route) => {
    if (route.request().method() !== 'GET') return route.continue();
    const isFlows = new URL(route.request().url()).pathname === '/flows';
    return route.fulfill({ json: { data: isFlows ? flows : [] } });
  });
  await openSignedIn(page);
  await page.locator(tid('flow-row-00000000-0000-4000-8000-000000000003')).or(page.getByText('New order'))
    .first().waitFor({ timeout });
  await page.evaluate(() => document.fonts.ready);
  await compare(page, 'flows-list', step);
});
