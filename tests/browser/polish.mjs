// Issue 12 points 5–8 and ui.md §4 items 28, 35 and 40, in Chromium at 1280 × 800:
// the sign-in card keeps its own style; the canvas does not crowd itself (readable fit zoom,
// the "off" banner above the cards, the first-step hint clear of the Success label, the
// palette saying what a click will do, new cards on free cells and in view); a condition that
// does not match reads as its Otherwise branch; the palette ranks names first and shows its
// texts whole; the runs list marks tests, shows µs, the end time and the call; the New-flow
// name is focused; toasts stay three at most, centred at the bottom; Tab after a click opens
// the palette ("req" + Enter adds a Web request with its Name focused); and the builder fits
// 1280 px with a 400 px inspector and a focus ring on every control Tab reaches.
//
// Env: see tests/browser/lib.mjs.

import {
  api, base, check, clickCard, openSignedIn, scenario, select, tid, timeout, waitFor, waitText,
} from './lib.mjs';

const box = (page, sel) => page.locator(sel).first().boundingBox({ timeout });
const touches = (a, b, gap = 0) => a.x < b.x + b.width + gap && b.x < a.x + a.width + gap
  && a.y < b.y + b.height + gap && b.y < a.y + a.height + gap;

/** A webhook flow made through the API as a Directus client would (a nested document). */
async function flow(name, operations, extra = {}) {
  const made = await api('POST', '/flows', {
    name, trigger: 'webhook', status: 'active', accountability: 'all',
    options: { method: 'POST' }, operations, ...extra,
  });
  check(made.status === 200, `flow ${name}: ${made.status} ${made.text}`);
  return made.json.data.id;
}

async function openBuilder(page, id) {
  await page.goto(`${base}/admin/flows/${id}`);
  await page.locator(tid('builder')).waitFor({ timeout });
  await page.locator(tid('card-$trigger')).waitFor({ timeout });
}

await scenario('polish', async ({ page, step }) => {
  // ---- point 5: the sign-in card has its padding and its footnote ----
  await page.goto(`${base}/admin/login`);
  await page.locator('#login-submit').waitFor({ timeout });
  const card = await page.locator('.login__card').evaluate((el) => {
    const s = getComputedStyle(el);
    return { padding: parseFloat(s.paddingTop), left: el.getBoundingClientRect().left };
  });
  check(card.padding >= 24, `the sign-in card has its padding (${card.padding}px)`);
  const button = await box(page, '#login-submit');
  const cardBox = await box(page, '.login__card');
  check(button.x >= cardBox.x + 16 && button.x + button.width <= cardBox.x + cardBox.width - 16,
    'the sign-in button sits inside the card');
  await openSignedIn(page);
  step('point 5: sign-in card styled by its own rules');

  // ---- point 8: the New-flow dialog focuses its name field ----
  await page.click(tid('new-flow'));
  await page.locator(tid('new-flow-name')).waitFor({ timeout });
  await waitFor(() => page.evaluate(() => document.activeElement?.dataset?.testid === 'new-flow-name'),
    'the name field focused');
  await page.keyboard.press('Escape');
  step('point 8: New-flow name focused');

  // ---- point 6: a long flow fits at a readable zoom and scrolls ----
  const long = await flow('Long chain', Array.from({ length: 9 }, (_, i) => ({
    key: `step_${i + 1}`, name: `Step ${i + 1}`, operation: 'transform', options: { json: { n: i } },
  })), { status: 'inactive' });
  await openBuilder(page, long);
  const zoom = Number((await page.locator(tid('zoom-level')).textContent()).replace(/[^0-9]/g, ''));
  check(zoom >= 80, `opening a long flow fits at a readable zoom (${zoom} %)`);
  const scrolls = await page.locator(tid('canvas')).evaluate((el) => el.scrollWidth > el.clientWidth);
  check(scrolls, 'the rest of a long flow is reached by scrolling');
  // The flow is off: the banner sits above the canvas, over no card.
  const banner = await box(page, '.fb-canvas-banner');
  const canvasBox = await box(page, tid('canvas'));
  check(banner.y + banner.height <= canvasBox.y + 1, 'the "flow is off" banner is above the canvas');
  for (const key of ['$trigger', 'step_1', 'step_2']) {
    const header = await box(page, `${tid(`card-${key}`)} .fb-card__header`);
    check(!touches(banner, header), `the banner covers no card header (${key})`);
  }
  step(`point 6: fit at ${zoom} %, banner above the cards`);

  // ---- ui.md 40: 1280 × 800, 400 px inspector, no page scroll, focus rings ----
  await clickCard(page, 'step_1');
  const inspector = await box(page, '.fb-inspector');
  check(Math.round(inspector.width) === 400, `the inspector is 400 px (${inspector.width})`);
  const pageScroll = await page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);
  check(pageScroll <= 0, `no horizontal page scroll (${pageScroll} px)`);
  check(await page.locator(tid('flow-title')).isVisible(), 'the header shows');
  // Keyboard only from the top: every control Tab reaches shows a focus ring, and Tab goes on
  // past the cards (it opens the palette only after a click on a card).
  await page.evaluate(() => document.activeElement?.blur());
  const wanted = ['flow-active', 'toggle-test', 'step-name', 'palette-search', 'canvas', 'card-$trigger', 'card-step_1', 'card-step_2'];
  const reached = new Set();
  for (let i = 0; i < 150 && !wanted.every((w) => reached.has(w)); i += 1) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const s = getComputedStyle(el);
      const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
      return { id: el.dataset.testid || el.id || el.getAttribute('aria-label') || el.tagName, ring };
    });
    if (!f) continue;
    check(f.ring, `a visible focus ring on ${f.id}`);
    reached.add(f.id);
  }
  for (const want of wanted) {
    check(reached.has(want), `Tab reaches ${want} (reached: ${[...reached].join(', ')})`);
  }
  step(`ui.md 40: 400 px inspector, ${reached.size} controls by Tab, each with a ring`);

  // ---- ui.md 35: after a click, Tab opens the palette; "req" + Enter adds a Web request ----
  await clickCard(page, 'step_1');
  await page.keyboard.press('Tab');
  await waitFor(() => page.evaluate(() => document.activeElement?.id === 'palette-search'), 'the palette search focused');
  await waitText(page, tid('palette-target'), (t) => t.includes("after 'Step 1' on success"), 'the palette says where');
  await page.keyboard.type('req');
  // "req" finds Web request before the steps that only mention a request.
  const first = await page.locator(`${tid('palette-list')} .fb-palette__item`).first().getAttribute('data-testid');
  check(first === 'palette-request', `"req" ranks Web request first (got ${first})`);
  await page.keyboard.press('Enter');
  await page.locator(tid('card-request')).waitFor({ timeout });
  await waitFor(() => page.evaluate(() => document.activeElement?.id === 'step-name'), 'the new step\'s Name focused');
  const to = await page.locator(tid('edge-step_1-resolve')).getAttribute('data-to');
  check(to === 'request', `Web request connected on Success of step_1 (data-to=${to})`);
  step('ui.md 35: Tab, "req", Enter → Web request after step_1, Name focused');

  // ---- point 6: a palette click says what it will do, lands on a free cell, in view ----
  await page.keyboard.press('Escape');
  await clickCard(page, 'step_9');
  await waitText(page, tid('palette-target'), (t) => t.includes("after 'Step 9' on success"),
    'before the click, the palette says the step goes after step_9');
  await page.click(tid('palette-log'));
  await page.locator(tid('card-log')).waitFor({ timeout });
  await waitFor(async () => {
    const c = await box(page, tid('card-log'));
    const v = await box(page, tid('canvas'));
    return c.x >= v.x && c.x + c.width <= v.x + v.width + 1 && c.y >= v.y && c.y + c.height <= v.y + v.height + 1;
  }, 'the new card scrolled fully into view (not under the inspector)');
  const logBox = await box(page, tid('card-log'));
  for (const other of ['step_9', 'step_8', 'request']) {
    check(!touches(logBox, await box(page, tid(`card-${other}`))), `the new card touches no other card (${other})`);
  }
  step('point 6: palette click announced, new card on a free cell and in view');

  // ---- point 6: the first-step hint is clear of the Success label ----
  const empty = await flow('Empty', []);
  await openBuilder(page, empty);
  await clickCard(page, '$trigger');
  const hint = await box(page, '.fb-card__first-hint');
  const label = await box(page, `${tid('card-$trigger')} .fb-handle--resolve .fb-handle__label`);
  check(hint && label && !touches(hint, label), 'the "Add the first step" hint is not under the Success label');
  // The target line and its Cancel keep their space ("on successCancel").
  const target = await box(page, `${tid('palette-target')} span`);
  const cancel = await box(page, `${tid('palette-target')} button`);
  check(cancel.x >= target.x + target.width + 4 || cancel.y >= target.y + target.height,
    'the palette target text and Cancel are apart');
  // The palette's texts are whole: no description cut, the search placeholder unclipped.
  const cut = await page.locator('.fb-palette__desc').evaluateAll((els) => els
    .filter((el) => el.scrollHeight > el.clientHeight + 1).map((el) => el.textContent));
  check(cut.length === 0, `palette descriptions are readable in full (cut: ${cut.join(' | ')})`);
  const clipped = await page.locator(tid('palette-search')).evaluate((el) => {
    const s = getComputedStyle(el);
    const ctx = document.createElement('canvas').getContext('2d');
    ctx.font = `${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
    const room = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight) - 20;
    return ctx.measureText(el.placeholder).width > room;
  });
  check(!clipped, 'the search placeholder is not clipped');
  step('point 6/8: hint clear, palette texts whole');

  // ---- point 7: a condition that does not match is its Otherwise branch, not a failure ----
  const branchy = await flow('Paid or not', [
    { key: 'is_paid', operation: 'condition', options: { filter: { $trigger: { body: { status: { _eq: 'paid' } } } } },
      resolve: 'thanks', reject: 'remind' },
    { key: 'thanks', operation: 'transform', options: { json: { ok: true } }, resolve: null },
    { key: 'remind', operation: 'transform', options: { json: { ok: false } }, resolve: null },
  ]);
  await openBuilder(page, branchy);
  await page.click(tid('toggle-test'));
  await page.fill(tid('test-body-input'), '{"status": "unpaid"}');
  await page.click(tid('run-test'));
  await waitText(page, `${tid('card-is_paid')} ${tid('test-badge')}`, (t) => t.includes('Otherwise'), 'the condition card says Otherwise');
  const badgeClass = await page.locator(`${tid('card-is_paid')} ${tid('test-badge')}`).getAttribute('class');
  check(!badgeClass.includes('failure'), `the Otherwise badge is not a failure (${badgeClass})`);
  check((await page.locator(`${tid('card-is_paid')} ${tid('test-badge')}`).textContent()).includes('↳'), 'Otherwise is shown as a branch');
  const state = await page.locator(tid('card-is_paid')).getAttribute('data-state');
  check(state.includes('ran-otherwise') && !state.includes('ran-failure'), `card state ${state}`);
  // A real call, then the run detail.
  const call = await api('POST', `/flows/trigger/${branchy}`, { status: 'unpaid' });
  check(call.status === 200, `the call answers the Otherwise branch: ${call.status} ${call.text}`);
  await page.goto(`${base}/admin/flows/${branchy}/runs`);
  await page.locator(tid('run-row')).first().waitFor({ timeout });
  await page.locator(tid('run-row')).first().locator('a').first().click();
  await page.locator(tid('run-step-is_paid')).waitFor({ timeout });
  const detail = await page.locator(`${tid('run-step-is_paid')} ${tid('run-step-status')}`).textContent();
  check(detail.includes('Otherwise'), `run detail: the condition took Otherwise (${detail})`);
  check(await page.locator(`${tid('run-step-is_paid')} .alert--error`).count() === 0, 'no red error for a branch');
  check((await page.locator(tid('run-call')).textContent()).includes(`/flows/trigger/${branchy}`), 'the call reads /flows/trigger/<id>');
  await page.keyboard.press('Escape');
  step('point 7: Otherwise on the card, in the test and in the run detail');

  // ---- ui.md 28 and point 8: the runs list ----
  const runs = await flow('Three calls', [
    { key: 'check', operation: 'condition', options: { filter: { $trigger: { body: { ok: { _eq: true } } } } }, reject: 'stop' },
    { key: 'done', operation: 'transform', options: { json: { done: true } }, resolve: null },
    { key: 'stop', operation: 'throw-error', options: { status: '422', code: 'INVALID_PAYLOAD', message: 'not ok' } },
  ]);
  for (const ok of [true, false, true]) {
    await api('POST', `/flows/trigger/${runs}`, { ok });
    await new Promise((r) => setTimeout(r, 30));
  }
  await page.goto(`${base}/admin/flows/${runs}/runs`);
  await waitFor(async () => (await page.locator(tid('run-row')).count()) === 3, 'three runs listed');
  const heads = await page.locator(`${tid('runs-table')} th`).allTextContents();
  for (const h of ['Status', 'Duration', 'Caller', 'HTTP', 'Ended at', 'Call']) {
    check(heads.some((x) => x.includes(h)), `the runs list has a "${h}" column (${heads.join(', ')})`);
  }
  const rows = await page.locator(tid('run-row')).allTextContents();
  check(rows[1].includes('Failed') && rows[1].includes('422'), `newest first, the failing call in the middle: ${rows[1]}`);
  check(rows.every((r) => r.includes(`/flows/trigger/${runs}`)), 'each row shows the call as /flows/trigger/<id>');
  check(rows.every((r) => !r.includes('0.0 ms')), 'no sub-millisecond duration rounded to 0.0 ms');
  check(rows.every((r) => /\d+ µs|< 1 µs|\d+ ms|\d+\.\d s/.test(r)), `durations are honest: ${rows.join(' | ')}`);
  await page.click(tid('runs-failed'));
  await waitFor(async () => (await page.locator(tid('run-row')).count()) === 1, 'the Failed filter shows one row');
  check(page.url().includes('status=failed'), `the URL keeps the filter (${page.url()})`);
  // A test run is listed too, marked as a test.
  const tested = await api('POST', `/flows/${runs}/test`, { body: { ok: true } });
  check(tested.status === 200, `test run: ${tested.status}`);
  await page.click(tid('runs-all'));
  await page.click(tid('runs-refresh'));
  await waitFor(async () => (await page.locator(tid('run-row')).count()) === 4, 'four runs with the test');
  const newest = page.locator(tid('run-row')).first();
  check(await newest.locator(tid('run-test-badge')).count() === 1, 'the test run is marked "Test"');
  check((await newest.textContent()).includes('Test run'), 'its call reads "Test run"');
  check(await page.locator(tid('run-test-badge')).count() === 1, 'only the test run is marked');
  step('ui.md 28 / point 8: runs list with Ended at, call, µs, filter in the URL, tests marked');

  // ---- point 8: toasts stay three at most, centred at the bottom ----
  await openBuilder(page, long);
  for (const key of ['step_2', 'step_3', 'step_4', 'step_5', 'step_6']) {
    await select(page, key);
    await page.locator(tid('step-delete')).click();
  }
  const toasts = await page.locator('.toast').count();
  check(toasts >= 1 && toasts <= 3, `at most three toasts (${toasts})`);
  const stack = await box(page, '.toasts');
  check(Math.abs(stack.x + stack.width / 2 - 640) <= 2, `toasts centred (${stack.x + stack.width / 2})`);
  check(stack.y + stack.height >= 700, 'toasts at the bottom');
  await select(page, 'step_7');
  for (const sel of [tid('save'), tid('discard'), tid('step-delete'), tid('step-name')]) {
    check(!touches(await box(page, sel), stack), `toasts do not cover ${sel}`);
  }
  step(`point 8: ${toasts} toasts, centred at the bottom`);
});
