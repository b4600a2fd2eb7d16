// Browser smoke test of the admin app with headless Debian Chromium and playwright-core
// (from tools/node_modules; stack.md §4).
//
//   SLUICE_BASE_URL=http://127.0.0.1:8055 node tests/browser/smoke.mjs
//
// Always: /admin/ redirects to the sign-in page, which renders; a wrong password shows the
// API's error message in #login-error; no `pageerror` is raised.
// With SLUICE_ADMIN_EMAIL and SLUICE_ADMIN_PASSWORD set: signs in, checks the shell (#shell,
// #user-email, every #nav-* link, the not-found page), signs out, and checks that a shell
// route redirects to sign-in and returns there after signing in again.
// Env: SLUICE_BASE_URL (required), SLUICE_ARTIFACTS (screenshot dir, default test-artifacts),
// CHROMIUM (default /usr/bin/chromium). Exits non-zero on the first failure.

import { createRequire } from 'node:module';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(new URL('../../tools/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const base = (process.env.SLUICE_BASE_URL ?? '').replace(/\/+$/, '');
if (!base) {
  console.error('set SLUICE_BASE_URL, e.g. http://127.0.0.1:8055');
  process.exit(2);
}
const email = process.env.SLUICE_ADMIN_EMAIL;
const password = process.env.SLUICE_ADMIN_PASSWORD;
const artifacts = process.env.SLUICE_ARTIFACTS ?? 'test-artifacts';
const timeout = 15_000;

const flags = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const errors = [];
const step = (msg) => console.log(`[smoke] ${msg}`);
function check(cond, msg) {
  if (!cond) throw new Error(msg);
}
async function expectText(page, selector, predicate, what) {
  const el = page.locator(selector);
  await el.waitFor({ state: 'visible', timeout });
  const text = (await el.textContent())?.trim() ?? '';
  check(predicate(text), `${selector}: ${what}, got ${JSON.stringify(text)}`);
  return text;
}
async function signIn(page, user, pass) {
  await page.fill('#login-email', user);
  await page.fill('#login-password', pass);
  await page.click('#login-submit');
}

const profile = await mkdtemp(join(tmpdir(), 'sluice-smoke-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: flags,
  viewport: { width: 1280, height: 800 },
});
const started = Date.now();
let failed = false;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && step(`console.error: ${m.text()}`));
  await mkdir(artifacts, { recursive: true });

  step(`open ${base}/admin/`);
  await page.goto(`${base}/admin/`);
  await page.waitForURL(/\/admin\/login/, { timeout });
  await page.locator('#login-email').waitFor({ state: 'visible', timeout });
  check(await page.locator('#login-password').isVisible(), '#login-password not visible');
  check(await page.locator('#login-submit').isEnabled(), '#login-submit not enabled');
  await page.screenshot({ path: join(artifacts, 'login.png') });

  step('wrong password shows the API error');
  await signIn(page, 'nobody@example.com', 'wrong-password');
  const message = await expectText(page, '#login-error', (t) => t.length > 0, 'expected a message');
  step(`#login-error: ${message}`);
  await page.screenshot({ path: join(artifacts, 'login-error.png') });

  if (email && password) {
    step('sign in');
    await signIn(page, email, password);
    await page.locator('#shell').waitFor({ state: 'visible', timeout });
    await page.waitForURL(/\/admin\/flows$/, { timeout });
    await expectText(page, '#user-email', (t) => t === email, `expected ${email}`);
    await page.screenshot({ path: join(artifacts, 'shell.png') });

    for (const area of ['data', 'access', 'users', 'settings', 'flows']) {
      await page.click(`#nav-${area}`);
      await page.waitForURL(new RegExp(`/admin/${area}$`), { timeout });
      const current = await page.getAttribute(`#nav-${area}`, 'aria-current');
      check(current === 'page', `#nav-${area} should be aria-current=page`);
    }

    step('unknown route shows not-found');
    await page.goto(`${base}/admin/no-such-page`);
    await page.locator('#not-found').waitFor({ state: 'visible', timeout });

    step('sign out');
    await page.click('#sign-out');
    await page.waitForURL(/\/admin\/login$/, { timeout });

    step('guarded route redirects to sign-in and comes back');
    await page.goto(`${base}/admin/users`);
    await page.waitForURL(/\/admin\/login\?redirect=/, { timeout });
    await signIn(page, email, password);
    await page.waitForURL(/\/admin\/users$/, { timeout });
    await page.locator('#shell').waitFor({ state: 'visible', timeout });
  } else {
    step('SLUICE_ADMIN_EMAIL/SLUICE_ADMIN_PASSWORD not set: skipping the signed-in checks');
  }

  check(errors.length === 0, errors.join('\n'));
  step(`ok in ${Date.now() - started} ms`);
} catch (e) {
  failed = true;
  console.error(`[smoke] FAILED: ${e.message}`);
  for (const err of errors) console.error(`[smoke] ${err}`);
  const page = context.pages()[0];
  if (page) await page.screenshot({ path: join(artifacts, 'failure.png') }).catch(() => {});
} finally {
  await context.close();
  await rm(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
