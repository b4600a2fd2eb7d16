// Shared kit of the browser tests (headless Debian Chromium through playwright-core, stack.md
// §4): the environment, one `scenario()` runner that launches the browser, collects page
// errors, screenshots a failure and exits with the right code, the API helper for assertions
// and webhook calls outside the browser, and the page helpers the builder tests use (cards,
// handles, cells, drags).
//
// Env: SLUICE_BASE_URL, SLUICE_ADMIN_EMAIL, SLUICE_ADMIN_PASSWORD (required),
// SLUICE_EDITOR_EMAIL (optional), SLUICE_SCREENSHOTS (default docs/screenshots),
// SLUICE_ARTIFACTS (failure screenshots, default test-artifacts), CHROMIUM (default
// /usr/bin/chromium).

import { createRequire } from 'node:module';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(new URL('../../tools/package.json', import.meta.url));
const { chromium } = require('playwright-core');

export const base = (process.env.SLUICE_BASE_URL ?? '').replace(/\/+$/, '');
export const email = process.env.SLUICE_ADMIN_EMAIL;
export const password = process.env.SLUICE_ADMIN_PASSWORD;
export const editorEmail = process.env.SLUICE_EDITOR_EMAIL;
export const shots = process.env.SLUICE_SCREENSHOTS ?? 'docs/screenshots';
export const artifacts = process.env.SLUICE_ARTIFACTS ?? 'test-artifacts';
export const timeout = 15_000;
const flags = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

// ---- HTTP helpers (API assertions and webhook calls outside the browser) ----
let adminToken = null;
/** The admin's access token (after `scenario` signed in through the API). */
export const token = () => adminToken;
export async function api(method, path, body, bearer = adminToken, headers = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (bearer) h.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(base + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  return { status: res.status, json, text, headers: res.headers };
}

// ---- page helpers ----
export const tid = (id) => `[data-testid="${id}"]`;
export async function waitFor(fn, what, ms = timeout) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e.message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}
export async function attr(page, selector, name) {
  return page.locator(selector).first().getAttribute(name, { timeout });
}
export async function waitAttr(page, selector, name, value) {
  await waitFor(async () => (await page.locator(selector).first().getAttribute(name)) === value,
    `${selector} [${name}=${value}]`);
}
export async function text(page, selector) {
  const el = page.locator(selector).first();
  await el.waitFor({ state: 'attached', timeout });
  return ((await el.textContent()) ?? '').trim();
}
export async function waitText(page, selector, predicate, what) {
  return waitFor(async () => {
    const t = ((await page.locator(selector).first().textContent({ timeout: 1000 })) ?? '').trim();
    return predicate(t) ? t : false;
  }, `${selector}: ${what}`);
}
export async function center(page, selector) {
  const box = await page.locator(selector).first().boundingBox({ timeout });
  check(box, `${selector} has no box`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}
/** Presses the mouse at `from`, moves in steps to `to`, releases. */
export async function drag(page, from, to) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 6, from.y + 3, { steps: 2 });
  await page.mouse.move(to.x, to.y, { steps: 12 });
  await page.mouse.up();
}
export async function cell(page, key) {
  const sel = tid(`card-${key}`);
  return [Number(await attr(page, sel, 'data-x')), Number(await attr(page, sel, 'data-y'))];
}
export async function expectCell(page, key, x, y) {
  await waitFor(async () => {
    const [cx, cy] = await cell(page, key);
    return cx === x && cy === y;
  }, `card ${key} at (${x}, ${y})`);
}
export async function expectEdge(page, from, handle, to) {
  await waitAttr(page, tid(`edge-${from}-${handle}`), 'data-to', to);
}
export async function zoomFactor(page) {
  return Number((await text(page, tid('zoom-level'))).replace(/[^0-9.]/g, '')) / 100;
}
/** Client point of a content point on the canvas (content px, at the current zoom and scroll). */
export async function canvasPoint(page, cx, cy) {
  const canvas = page.locator(tid('canvas'));
  const box = await canvas.boundingBox();
  const { left, top } = await canvas.evaluate((el) => ({ left: el.scrollLeft, top: el.scrollTop }));
  const z = await zoomFactor(page);
  return { x: box.x + cx * z - left, y: box.y + cy * z - top };
}
/** Scrolls the canvas so that a content point is in the middle of its view. */
export async function revealPoint(page, cx, cy) {
  const z = await zoomFactor(page);
  await page.locator(tid('canvas')).evaluate((el, [x, y]) => {
    el.scrollLeft = Math.max(0, x - el.clientWidth / 2);
    el.scrollTop = Math.max(0, y - el.clientHeight / 2);
  }, [cx * z, cy * z]);
}
/** Drags a palette entry so that the new card's top-left lands on cell (x, y). */
export async function dropStep(page, kind, x, y) {
  // The drop puts the card's corner 40 px left of and 20 px above the pointer (content px).
  const to = await canvasPoint(page, 40 + (x - 1) * 20 + 40, 40 + (y - 1) * 20 + 20);
  await page.locator(tid(`palette-${kind}`)).scrollIntoViewIfNeeded();
  await drag(page, await center(page, tid(`palette-${kind}`)), to);
}
export async function connect(page, fromKey, handle, toKey) {
  await drag(page, await center(page, tid(`handle-${fromKey}-${handle}`)), await center(page, tid(`card-${toKey}`)));
}
/** Closes the toasts (so screenshots show the page). */
export async function clearToasts(page) {
  await page.evaluate(() => document.querySelectorAll('.toast__close').forEach((b) => b.click()));
  await page.locator('.toast').first().waitFor({ state: 'detached', timeout: 2000 }).catch(() => {});
}
/** Clicks a card's header (selects it). */
export async function clickCard(page, key) {
  await page.locator(tid(`card-${key}`)).first().scrollIntoViewIfNeeded();
  const c = await center(page, `${tid(`card-${key}`)} .fb-card__header`);
  await page.mouse.click(c.x, c.y);
}
/** Selects a step's card; waits for the step inspector. */
export async function select(page, key) {
  await clickCard(page, key);
  await page.locator(tid('step-inspector')).waitFor({ timeout });
}
/** Creates (through the API) a collection `name` with an auto-numbered id, a required `email`
 * and an optional `name`: what the newcomer and value scenarios store into. */
export async function subscribersCollection(name) {
  const made = await api('POST', '/collections', {
    collection: name,
    schema: {},
    fields: [
      { field: 'id', type: 'integer', schema: { is_primary_key: true, has_auto_increment: true } },
      { field: 'email', type: 'string', schema: { is_nullable: false }, meta: { required: true } },
      { field: 'name', type: 'string' },
    ],
  });
  check(made.status === 200, `collection ${name}: ${made.status} ${made.text}`);
}
/** Fills the sign-in form and submits it. */
export async function signIn(page, user = email, pass = password) {
  await page.fill('#login-email', user);
  await page.fill('#login-password', pass);
  await page.click('#login-submit');
}
/** Opens the app, signs in as the admin and waits for the flows list. */
export async function openSignedIn(page) {
  await page.goto(`${base}/admin/`);
  await page.waitForURL(/\/admin\/login/, { timeout });
  await signIn(page);
  await page.locator('#shell').waitFor({ timeout });
  await page.waitForURL(/\/admin\/flows$/, { timeout });
}
/** Creates a flow through the New-flow dialog and waits for its builder; returns its id. */
export async function newFlow(page, name) {
  await page.click('#nav-flows');
  await page.click(tid('new-flow'));
  await page.fill(tid('new-flow-name'), name);
  await page.click(tid('new-flow-create'));
  await page.waitForURL(/\/admin\/flows\/[0-9a-f-]{36}/, { timeout });
  await page.locator(tid('builder')).waitFor({ timeout });
  return page.url().match(/flows\/([0-9a-f-]{36})/)[1];
}

/**
 * Runs one browser scenario: `body({ page, context, step, errors, dialogs })`. Signs in to the
 * API first (see `token()`), launches Chromium at 1280 × 800, fails on any `pageerror` (a
 * Leptos panic is one), screenshots a failure to `<artifacts>/<name>-failure.png` and exits the
 * process with 0 or 1.
 */
export async function scenario(name, body) {
  if (!base || !email || !password) {
    console.error('set SLUICE_BASE_URL, SLUICE_ADMIN_EMAIL and SLUICE_ADMIN_PASSWORD');
    process.exit(2);
  }
  const started = Date.now();
  const step = (msg) => console.log(`[${name} ${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
  const errors = [];
  const dialogs = [];
  const profile = await mkdtemp(join(tmpdir(), `sluice-${name}-`));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: flags,
    viewport: { width: 1280, height: 800 },
  });
  let failed = false;
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && step(`console.error: ${m.text()}`));
  page.on('dialog', (d) => {
    dialogs.push(d.type());
    d.accept();
  });
  try {
    await mkdir(shots, { recursive: true });
    await mkdir(artifacts, { recursive: true });
    const login = await api('POST', '/auth/login', { email, password, mode: 'json' }, null);
    check(login.status === 200, `API login failed: ${login.text}`);
    adminToken = login.json.data.access_token;
    await body({ page, context, step, errors, dialogs });
    check(errors.length === 0, errors.join('\n'));
    step(`ok in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (e) {
    failed = true;
    console.error(`[${name}] FAILED: ${e.stack ?? e.message}`);
    for (const err of errors) console.error(`[${name}] ${err}`);
    await page.screenshot({ path: join(artifacts, `${name}-failure.png`) }).catch(() => {});
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}
