// End-to-end test of the admin app in headless Debian Chromium with playwright-core
// (stack.md §4), against a real Sluice server. It is what issue 5's "Done when" asks:
//
//   sign in → create a collection through the Data form → build a three-step flow with a
//   condition by dragging cards from the palette and connecting handles (and removing a
//   connection) → save → reload and see it unchanged → move a card and leave through the
//   unsaved-changes dialog → test run with overlay → activate → trigger it over HTTP → find
//   the run and its step outputs in the Runs tab → Public on: anonymous call 200 → Public
//   off: 403 → a user's static token (Users page) triggers the flow once their role is
//   allowed, 403 when not, 401 once revoked → see the flow's created items in the
//   collection's table.
//
// Screenshots for the README: builder.png, run-detail.png, access.png in SLUICE_SCREENSHOTS.
//
//   SLUICE_BASE_URL=http://127.0.0.1:8055 SLUICE_ADMIN_EMAIL=admin@example.com \
//   SLUICE_ADMIN_PASSWORD=password node tests/browser/e2e.mjs
//
// Env: SLUICE_BASE_URL, SLUICE_ADMIN_EMAIL, SLUICE_ADMIN_PASSWORD (all required),
// SLUICE_EDITOR_EMAIL (a user whose role "Editor" is not an admin; the role steps are skipped
// without it),
// SLUICE_SCREENSHOTS (default docs/screenshots), SLUICE_ARTIFACTS (failure screenshot,
// default test-artifacts), CHROMIUM (default /usr/bin/chromium). The database must not have a
// collection named "orders" yet. Exits non-zero on the first failure.

import { join } from 'node:path';
import {
  base, email, password, editorEmail, shots, timeout, check, api, tid, waitFor, attr, waitAttr,
  text, waitText, center, drag, cell, expectCell, expectEdge, zoomFactor, canvasPoint, revealPoint, dropStep,
  connect, clearToasts, clickCard, select, scenario,
} from './lib.mjs';

await scenario('e2e', async ({ page, step, dialogs }) => {

  // ---------------------------------------------------------------- sign in
  step('sign in');
  await page.goto(`${base}/admin/`);
  await page.waitForURL(/\/admin\/login/, { timeout });
  await page.fill('#login-email', email);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.locator('#shell').waitFor({ timeout });
  await page.waitForURL(/\/admin\/flows$/, { timeout });

  // ---------------------------------------------------------------- a collection
  step('create the "orders" collection through the Data form');
  await page.click('#nav-data');
  await page.click(tid('new-collection'));
  await page.fill(tid('collection-name'), 'orders');
  await page.fill(tid('field-name-0'), 'status');
  await page.press(tid('field-name-0'), 'Tab');
  await page.click(tid('add-field'));
  await page.fill(tid('field-name-1'), 'total');
  await page.press(tid('field-name-1'), 'Tab');
  await page.selectOption(tid('field-type-1'), 'float');
  await page.click(tid('create-collection'));
  await page.waitForURL(/\/admin\/data\/orders$/, { timeout });
  await waitText(page, tid('collection-title'), (t) => t === 'orders', 'collection title');
  const fields = await api('GET', '/fields/orders');
  const names = fields.json.data.map((f) => f.field).sort().join(',');
  check(names === 'id,status,total', `fields of orders: ${names}`);

  // ---------------------------------------------------------------- a new flow
  step('create a flow and open the builder');
  await page.click('#nav-flows');
  await page.click(tid('new-flow'));
  await page.fill(tid('new-flow-name'), 'Paid orders');
  await page.click(tid('new-flow-create'));
  await page.waitForURL(/\/admin\/flows\/[0-9a-f-]{36}/, { timeout });
  const flowId = page.url().match(/flows\/([0-9a-f-]{36})/)[1];
  await page.locator(tid('builder')).waitFor({ timeout });
  await waitAttr(page, tid('card-$trigger'), 'data-x', '1');
  check(await attr(page, tid('card-$trigger'), 'data-y') === '1', 'trigger at y 1');
  await page.locator(tid('trigger-inspector')).waitFor({ timeout });
  const hook = `${base}/flows/trigger/${flowId}`;
  check(await text(page, tid('webhook-url')) === hook, 'the webhook URL is shown');
  check(await attr(page, tid('trigger-method-POST'), 'aria-checked') === 'true', 'POST is the default method');
  const curl = await text(page, tid('curl'));
  check(curl.includes('-X POST') && curl.includes(hook), `curl command: ${curl}`);
  check(await attr(page, '#flow-active', 'aria-checked') === 'false', 'new flows start inactive');
  const palette = await page.locator('.fb-palette__item').count();
  const enabled = await page.locator('.fb-palette__item:not([disabled])').count();
  check(palette === 16 && enabled === 16, `the palette offers every operation type (${enabled}/${palette})`);

  // ---------------------------------------------------------------- drag three steps in
  step('zoom out and drag Condition, Create items and Log from the palette');
  for (let i = 0; i < 3; i++) await page.click('[aria-label="Zoom out"]');
  await waitText(page, tid('zoom-level'), (t) => t === '58 %', 'zoom 58 %');
  await dropStep(page, 'condition', 19, 1);
  await expectCell(page, 'condition', 19, 1);
  await dropStep(page, 'item-create', 37, 1);
  await expectCell(page, 'item_create', 37, 1);
  await dropStep(page, 'log', 37, 17);
  await expectCell(page, 'log', 37, 17);
  check((await attr(page, tid('card-log'), 'data-state')).includes('orphan'), 'an unconnected card is an orphan');

  step('name and configure the steps in the inspector');
  await select(page, 'condition');
  await page.fill(tid('step-name'), 'Check payment');
  await waitFor(async () => (await page.inputValue(tid('step-key'))) === 'check_payment', 'key follows the name');
  await page.fill(tid('rule-0-path'), '$trigger.body.status');
  await page.press(tid('rule-0-path'), 'Tab');
  await page.selectOption(tid('rule-0-op'), '_eq');
  await page.fill(tid('rule-0-value'), 'paid');
  await page.press(tid('rule-0-value'), 'Tab');
  const conditionJson = await page.inputValue(tid('condition-json'));
  check(JSON.parse(conditionJson).$trigger.body.status._eq === 'paid', `condition JSON: ${conditionJson}`);

  await select(page, 'item_create');
  await page.fill(tid('step-name'), 'Save order');
  await page.selectOption('#opt-collection', 'orders');
  await page.selectOption('#opt-permissions', '$full');
  await page.click(tid('payload-mode-json'));
  await page.fill(tid('field-payload'), '{{ $trigger.body }}');

  await select(page, 'log');
  await page.fill(tid('step-name'), 'Log unpaid');
  await page.fill(tid('field-message'), 'Not paid: {{ $trigger.body.status }}');

  step('connect the handles by dragging, and remove a connection');
  await connect(page, '$trigger', 'resolve', 'check_payment');
  await expectEdge(page, '$trigger', 'resolve', 'check_payment');
  await connect(page, 'check_payment', 'resolve', 'save_order');
  await expectEdge(page, 'check_payment', 'resolve', 'save_order');
  // A wrong connection, then take it away with the × on the edge.
  await connect(page, 'save_order', 'reject', 'log_unpaid');
  await expectEdge(page, 'save_order', 'reject', 'log_unpaid');
  const del = page.locator(`${tid('edge-save_order-reject')} ${tid('edge-delete')}`);
  const [mx, my] = (await del.getAttribute('transform')).match(/-?[\d.]+/g).map(Number);
  await revealPoint(page, mx, my);
  const mid = await canvasPoint(page, mx, my);
  await page.mouse.move(mid.x, mid.y);
  await del.waitFor({ state: 'visible', timeout });
  await page.mouse.click(mid.x, mid.y);
  await page.locator(tid('edge-save_order-reject')).waitFor({ state: 'detached', timeout });
  check((await attr(page, tid('card-log_unpaid'), 'data-state')).includes('orphan'), 'log is unconnected again');
  await connect(page, 'check_payment', 'reject', 'log_unpaid');
  await expectEdge(page, 'check_payment', 'reject', 'log_unpaid');
  check(!(await attr(page, tid('card-log_unpaid'), 'data-state')).includes('orphan'), 'log is connected');
  await waitText(page, tid('save-state'), (t) => /unsaved change/.test(t), 'unsaved changes are marked');

  step('an unconnected failure path whose failure the caller gets as an HTTP error is marked');
  check((await page.locator('[data-testid^="answers-error-"]').count()) === 0, 'no failure path answers with an error by default');
  await clickCard(page, '$trigger');
  await page.locator(tid('trigger-inspector')).waitFor({ timeout });
  await page.check(tid('error-on-reject'));
  await page.locator(tid('answers-error-save_order')).waitFor({ timeout });
  check((await page.locator(tid('answers-error-log_unpaid')).count()) === 1, "the log step's open failure path is marked");
  check((await page.locator(tid('answers-error-check_payment')).count()) === 0, 'a connected failure path is not');
  await page.uncheck(tid('error-on-reject'));
  await page.locator(tid('answers-error-save_order')).waitFor({ state: 'detached', timeout });

  // ---------------------------------------------------------------- save and reload
  step('save');
  await page.click(tid('save'));
  await waitText(page, tid('save-state'), (t) => t === 'All changes saved', 'saved');
  const ops = (await api('GET', `/operations?filter[flow][_eq]=${flowId}`)).json.data;
  const byKey = Object.fromEntries(ops.map((o) => [o.key, o]));
  check(ops.length === 3, `3 operations saved, got ${ops.length}`);
  check(byKey.check_payment.resolve === byKey.save_order.id, 'condition → save on success');
  check(byKey.check_payment.reject === byKey.log_unpaid.id, 'condition → log on failure');
  check(byKey.save_order.options.collection === 'orders' && byKey.save_order.options.permissions === '$full', 'item-create options');
  const flowRow = (await api('GET', `/flows/${flowId}`)).json.data;
  check(flowRow.operation === byKey.check_payment.id, 'the flow starts at the condition');

  step('reload and see it unchanged');
  await page.reload();
  await page.locator(tid('builder')).waitFor({ timeout });
  await expectCell(page, 'check_payment', 19, 1);
  await expectCell(page, 'save_order', 37, 1);
  await expectCell(page, 'log_unpaid', 37, 17);
  await expectEdge(page, '$trigger', 'resolve', 'check_payment');
  await expectEdge(page, 'check_payment', 'resolve', 'save_order');
  await expectEdge(page, 'check_payment', 'reject', 'log_unpaid');
  check(await page.locator('.fb-edge').count() === 3, 'exactly three connections');
  await waitText(page, tid('save-state'), (t) => t === 'All changes saved', 'nothing unsaved after reload');
  await select(page, 'check_payment');
  check(await page.inputValue(tid('rule-0-value')) === 'paid', 'the rule survived the reload');

  step('move a card (snaps to cells) and leave through the unsaved-changes dialog');
  const z = await zoomFactor(page);
  await page.locator(tid('card-log_unpaid')).scrollIntoViewIfNeeded();
  const from = await center(page, `${tid('card-log_unpaid')} .fb-card__header`);
  await drag(page, from, { x: from.x + 47 * z, y: from.y + 12 * z });
  await expectCell(page, 'log_unpaid', 39, 18);
  await waitText(page, tid('save-state'), (t) => t === '● 1 unsaved change', 'one unsaved change');
  await page.click(tid('tab-runs'));
  await page.locator(tid('unsaved-dialog')).waitFor({ timeout });
  await page.click(tid('unsaved-keep'));
  check(/\/admin\/flows\/[0-9a-f-]{36}(\?.*)?$/.test(page.url()), 'Keep editing stays in the builder');
  await page.click(tid('tab-runs'));
  await page.click(tid('unsaved-save'));
  await page.waitForURL(/\/runs/, { timeout });
  const moved = (await api('GET', `/operations/${byKey.log_unpaid.id}`)).json.data;
  check(moved.position_x === 39 && moved.position_y === 18, `moved position saved: ${moved.position_x},${moved.position_y}`);
  await page.click(tid('tab-build'));
  await page.locator(tid('builder')).waitFor({ timeout });
  await expectCell(page, 'log_unpaid', 39, 18);

  step('an unsaved edit survives a reload (leave prompt, then restore), then Discard');
  await select(page, 'log_unpaid');
  await page.fill(tid('field-message'), 'Unpaid order: {{ $trigger.body.status }}');
  await waitText(page, tid('save-state'), (t) => t === '● 1 unsaved change', 'one unsaved change');
  await page.waitForTimeout(1300); // the draft is stored at most once a second
  await page.reload(); // the beforeunload prompt is accepted by the dialog handler
  check(dialogs.includes('beforeunload'), `the browser asked before leaving (dialogs: ${dialogs})`);
  await page.locator(tid('restore-banner')).waitFor({ timeout });
  await page.click(tid('restore-draft'));
  await waitText(page, tid('save-state'), (t) => t === '● 1 unsaved change', 'restored as unsaved');
  await select(page, 'log_unpaid');
  check((await page.inputValue(tid('field-message'))).startsWith('Unpaid order'), 'the restored edit is back');
  await page.click(tid('discard'));
  await page.click(tid('confirm-ok'));
  await waitText(page, tid('save-state'), (t) => t === 'All changes saved', 'discarded');
  check((await page.inputValue(tid('field-message'))).startsWith('Not paid'), 'discard brings back the saved message');

  // ---------------------------------------------------------------- test run
  step('test run from the builder');
  await page.click(tid('toggle-test'));
  await page.fill(tid('test-body-input'), '{"status": "paid", "total": 5}');
  await page.click(tid('run-test'));
  await waitText(page, tid('test-status'), (t) => t === '200', 'test answered 200');
  await waitText(page, `${tid('card-save_order')} ${tid('test-badge')}`, (t) => t.startsWith('✓'), 'save ran');
  await waitText(page, `${tid('card-log_unpaid')} ${tid('test-badge')}`, (t) => t === 'Not run', 'log did not run');
  check((await attr(page, tid('card-check_payment'), 'data-state')).includes('ran-success'), 'condition ran');

  // ---------------------------------------------------------------- activate and call
  step('activate and trigger over HTTP');
  await page.click('#flow-active');
  await waitAttr(page, '#flow-active', 'aria-checked', 'true');
  await waitFor(async () => (await api('GET', `/flows/${flowId}`)).json.data.status === 'active', 'flow active');
  await page.click(tid('toggle-test'));
  await select(page, 'check_payment');
  await clearToasts(page);
  await page.screenshot({ path: join(shots, 'builder.png') });
  const paid = await api('POST', `/flows/trigger/${flowId}`, { status: 'paid', total: 42 });
  check(paid.status === 200, `paid call: ${paid.status} ${paid.text}`);
  const draft = await api('POST', `/flows/trigger/${flowId}`, { status: 'draft', total: 1 });
  check(draft.status === 200, `draft call: ${draft.status} ${draft.text}`);

  // ---------------------------------------------------------------- runs
  step('find the runs and their step outputs');
  await page.click(tid('tab-runs'));
  await page.locator(tid('runs-table')).waitFor({ timeout });
  await waitFor(async () => (await page.locator(tid('run-row')).count()) >= 3, 'three runs listed');
  // Newest first: the draft call, then the paid call, then the test run.
  await page.locator(tid('run-row')).nth(1).click();
  await page.locator(tid('run-detail')).waitFor({ timeout });
  await waitText(page, tid('run-title'), (t) => t.includes('Succeeded'), 'run status');
  check(await text(page, tid('run-http')) === '200', 'HTTP 200 shown');
  check((await text(page, tid('run-body'))).includes('42'), 'the request body is shown');
  check((await text(page, tid('run-headers'))).includes('hidden'), 'the authorization header is hidden');
  const saved = await text(page, `${tid('run-step-save_order')} ${tid('run-step-output')}`);
  check(/\d/.test(saved), `save step output: ${saved}`);
  check((await text(page, tid('run-step-log_unpaid'))).includes('Not run'), 'the untaken step is listed as not run');
  check((await text(page, tid('run-accountability'))).includes(email), 'ran as the admin');
  await clearToasts(page);
  await page.screenshot({ path: join(shots, 'run-detail.png') });
  await page.keyboard.press('Escape');
  await page.locator(tid('run-detail')).waitFor({ state: 'detached', timeout });
  await page.click(tid('runs-failed'));
  await page.waitForURL(/status=failed/, { timeout });
  await waitFor(async () => (await page.locator('text=No failed runs').count()) > 0, 'no failed runs');

  // ---------------------------------------------------------------- a static token
  let editorToken = null;
  if (editorEmail) {
    step('Users: generate a static token for the editor (shown once)');
    await page.click('#nav-users');
    const row = tid(`user-${editorEmail}`);
    await page.locator(row).waitFor({ timeout });
    await page.click(`${row} ${tid('generate-token')}`);
    await page.locator(tid('token-dialog')).waitFor({ timeout });
    editorToken = await text(page, tid('token-value'));
    check(/^[a-z0-9]{32}$/.test(editorToken), `token shown once: ${editorToken}`);
    await page.click(`${tid('token-dialog')} >> text=Done`);
    await waitText(page, row, (t) => t.includes('Set'), 'the token is marked as set');
    const no = await api('POST', `/flows/trigger/${flowId}`, { status: 'draft' }, editorToken);
    check(no.status === 403, `editor before any grant: ${no.status}`);
  }

  // ---------------------------------------------------------------- access
  step('public access on: anonymous call 200');
  await page.goto(`${base}/admin/flows/${flowId}/access`);
  await page.locator(tid('public-card')).waitFor({ timeout });
  await waitFor(async () => (await attr(page, '#public-switch', 'aria-checked')) === 'false', 'not public at first');
  const before = await api('POST', `/flows/trigger/${flowId}`, { status: 'paid', total: 6 }, null);
  check(before.status === 403, `anonymous before: ${before.status}`);
  await page.click('#public-switch');
  await page.locator(tid('confirm-dialog')).waitFor({ timeout });
  await page.click(tid('confirm-ok'));
  await waitAttr(page, '#public-switch', 'aria-checked', 'true');
  const anon = await api('POST', `/flows/trigger/${flowId}`, { status: 'paid', total: 7 }, null);
  check(anon.status === 200, `anonymous call with public on: ${anon.status} ${anon.text}`);
  await page.click(tid('try-anonymous'));
  await waitText(page, tid('anonymous-result'), (t) => t.includes('200'), 'Try as anonymous → 200');

  const editor = `${tid('role-Editor')} input[type=checkbox]`;
  if (editorToken) {
    step('the Editor role may trigger the flow');
    check(!(await page.locator(editor).isChecked()), 'Editor not allowed at first');
    await page.locator(editor).check();
    await waitFor(async () => page.locator(editor).isChecked(), 'Editor checked');
    await waitFor(async () => (await page.locator('.toast', { hasText: 'Editor can trigger' }).count()) > 0, 'the grant is confirmed');
    check(await page.locator(`${tid('role-Administrator')} input`).isDisabled(), 'administrators are always allowed');
  }
  await clearToasts(page);
  await page.screenshot({ path: join(shots, 'access.png') });

  step('public access off: anonymous call 403');
  await page.click('#public-switch');
  await waitAttr(page, '#public-switch', 'aria-checked', 'false');
  const denied = await api('POST', `/flows/trigger/${flowId}`, { status: 'paid', total: 8 }, null);
  check(denied.status === 403 && denied.json?.errors?.[0]?.extensions?.code === 'FORBIDDEN', `anonymous call with public off: ${denied.status} ${denied.text}`);
  await page.click(tid('try-anonymous'));
  await waitText(page, tid('anonymous-result'), (t) => t.includes('403'), 'Try as anonymous → 403');

  if (editorToken) {
    step('the editor\'s token: 200 while the role is allowed, 403 after, 401 once revoked');
    const yes = await api('POST', `/flows/trigger/${flowId}`, { status: 'draft' }, editorToken);
    check(yes.status === 200, `editor token with the role allowed: ${yes.status} ${yes.text}`);
    await page.locator(editor).uncheck();
    await waitFor(async () => (await api('POST', `/flows/trigger/${flowId}`, { status: 'draft' }, editorToken)).status === 403, 'editor token → 403');
    await page.click('#nav-users');
    await page.click(`${tid(`user-${editorEmail}`)} ${tid('revoke-token')}`);
    await page.click(tid('confirm-ok'));
    await waitFor(async () => (await api('GET', '/users/me', undefined, editorToken)).status === 401, 'revoked token → 401');
  }

  // ---------------------------------------------------------------- the data the flow made
  step('see the created items in the collection table');
  await page.click('#nav-data');
  await page.click(tid('collection-orders'));
  await page.locator(tid('items-table')).waitFor({ timeout });
  const tableText = await text(page, tid('items-table'));
  for (const total of ['42', '7', '5']) check(tableText.includes(total), `items table shows total ${total}: ${tableText}`);
  check(!tableText.includes('draft'), 'the unpaid call created nothing');
  await page.click(tid('sort-total'));
  await waitFor(async () => (await page.locator(`${tid('item-row')} >> nth=0`).textContent()).includes('5'), 'sorted by total');

});
