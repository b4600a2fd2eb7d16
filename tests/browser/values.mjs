// The step inspector keeps every edit and offers values instead of typing (issue 12 §1, §3,
// §4; ui.md §4.17, §4.37), in headless Chromium against a real server:
//
//   1. typed values survive a click on another card without Tab — payload rows, a condition
//      rule's value, request headers — and no Leptos panic reaches the page;
//   4. after a test run, "Insert value" lists the call's body fields and earlier steps, a
//      picked value shows its preview ("→ 'a@b.c'"), a typo says "not found in last test
//      data"; the item payload is a form of the collection's fields;
//   17. Ctrl+S sends exactly one PATCH /flows/<id> and nothing to /operations but one GET;
//   (issue 14) a schedule trigger offers what to do with runs missed while the server was
//      down, skipping by default, and saves the choice in `options.missed`;
//   3. with the flow public, the Access tab lists the step that acts as the caller, which the
//      public may not run (anonymous call 403), and its fix makes the call work; the step
//      inspector says the same beside "Act as".
//
// Env: see tests/browser/lib.mjs. Uses names of its own (collection vals_subscribers).

import {
  check, api, tid, waitFor, waitAttr, text, waitText, clickCard, select, clearToasts,
  openSignedIn, newFlow, scenario,
  subscribersCollection,
} from './lib.mjs';

async function addAfter(page, key, handle, kind) {
  await page.click(tid(`handle-${key}-${handle}`));
  await page.locator(tid(`palette-${kind}`)).click();
}

async function ops(flowId) {
  return (await api('GET', `/operations?filter[flow][_eq]=${flowId}&limit=-1`)).json.data;
}

await scenario('values', async ({ page, step }) => {
  step('a collection with a required email');
  await subscribersCollection('vals_subscribers');

  await openSignedIn(page);
  const flowId = await newFlow(page, 'Values');

  step('a Create items step: its payload is a form of the collection\'s fields');
  await addAfter(page, '$trigger', 'resolve', 'item-create');
  await page.locator(tid('step-inspector')).waitFor();
  await page.selectOption('#opt-collection', 'vals_subscribers');
  await page.locator(tid('payload-row-email')).waitFor();
  check(await page.locator(tid('payload-row-name')).count() === 1, 'a row per field');
  check(await page.locator(tid('payload-row-id')).count() === 0, 'no row for the auto-numbered id');

  step('1. a typed value survives clicking another card without Tab');
  await page.click(tid('payload-email'));
  await page.keyboard.type('typed@example.com');
  await clickCard(page, '$trigger');
  await page.locator(tid('trigger-inspector')).waitFor();
  await select(page, 'item_create');
  check(await page.inputValue(tid('payload-email')) === 'typed@example.com', 'the payload row kept its value');

  await addAfter(page, 'item_create', 'resolve', 'condition');
  await select(page, 'condition');
  // The condition starts with one rule: replace its value by typing, then click away.
  await page.click(tid('rule-0-value'));
  await page.keyboard.press('Control+a');
  await page.keyboard.type('open');
  await clickCard(page, 'item_create');
  await page.locator(tid('payload-row-email')).waitFor();
  await select(page, 'condition');
  check(await page.inputValue(tid('rule-0-value')) === 'open', `the rule kept its value: ${await page.inputValue(tid('rule-0-value'))}`);

  await addAfter(page, 'condition', 'reject', 'request');
  await select(page, 'request');
  await page.click(tid('field-headers-add'));
  await page.click(tid('field-headers-key-0'));
  await page.keyboard.type('X-Token');
  await page.click(tid('field-headers-value-0'));
  await page.keyboard.type('abc');
  await clickCard(page, 'condition');
  await page.locator(tid('condition-builder')).waitFor();
  await select(page, 'request');
  check(await page.inputValue(tid('field-headers-key-0')) === 'X-Token', 'the header name was kept');
  check(await page.inputValue(tid('field-headers-value-0')) === 'abc', 'the header value was kept');

  step('ui.md §4.23: a duplicate key says who has it, Save refuses, the banner clears when fixed');
  await page.fill(tid('step-name'), 'Send mail');
  await waitFor(async () => (await page.inputValue(tid('step-key'))) === 'send_mail', 'the key follows the name');
  // The later of two steps with one key carries the problem.
  await page.fill(tid('step-key'), 'item_create');
  await waitText(page, tid('step-key-error'), (t) => t.includes("Already used by 'Create items'"), 'the inline message');
  check(await page.locator('[data-state*="invalid"]').count() > 0, 'the card is marked invalid');
  await page.keyboard.press('Control+s');
  await waitText(page, '.fb-builder__error', (t) => t.includes('Already used by'), 'Save refuses with the message');
  await page.fill(tid('step-key'), 'send_mail');
  await page.locator('.fb-builder__error').waitFor({ state: 'detached' });
  // The request step was only here for the headers and the key: remove it again.
  await select(page, 'send_mail');
  await page.click(tid('step-delete'));
  await clearToasts(page);

  step('17. Ctrl+S sends one PATCH /flows/<id> (then one GET)');
  const calls = [];
  const onRequest = (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/flows') || u.pathname.startsWith('/operations')) calls.push(`${r.method()} ${u.pathname}`);
  };
  page.on('request', onRequest);
  await page.keyboard.press('Control+s');
  await waitText(page, tid('save-state'), (t) => t === 'All changes saved', 'saved');
  page.off('request', onRequest);
  const patches = calls.filter((c) => c.startsWith('PATCH'));
  check(patches.length === 1 && patches[0] === `PATCH /flows/${flowId}`, `one PATCH of the flow: ${calls.join(', ')}`);
  check(!calls.some((c) => c.includes('/operations') && !c.startsWith('GET')), `no operation writes: ${calls.join(', ')}`);
  check(calls.filter((c) => c.startsWith('GET')).length === 1, `then one GET: ${calls.join(', ')}`);
  const saved = await ops(flowId);
  check(saved.length === 2, `two steps saved: ${saved.map((o) => o.key)}`);
  const create = saved.find((o) => o.key === 'item_create');
  check(create.options.payload.email === 'typed@example.com', `payload saved: ${JSON.stringify(create.options)}`);

  step('4. after a test run, values are picked and previewed');
  await page.click(tid('toggle-test'));
  await page.fill(tid('test-body-input'), '{"email": "a@b.c", "name": "Ann"}');
  await page.click(tid('run-test'));
  await waitText(page, tid('test-status'), (t) => t.length > 0, 'the test answered');
  await page.click(tid('toggle-test'));
  await select(page, 'item_create');
  await page.fill(tid('payload-email'), '');
  await page.click(tid('pick-payload-email'));
  await page.locator(tid('pick-payload-email-list')).waitFor();
  const listed = await text(page, tid('pick-payload-email-list'));
  check(listed.includes('email') && listed.includes("'a@b.c'"), `the picker lists the call's body with its values: ${listed}`);
  await page.click(tid('pick-payload-email-$trigger.body.email'));
  await waitFor(async () => (await page.inputValue(tid('payload-email'))) === '{{ $trigger.body.email }}', 'the picked value is inserted');
  await waitText(page, tid('preview-payload-email'), (t) => t === "→ 'a@b.c'", 'the preview shows the value');
  await page.fill(tid('payload-name'), '{{ $trigger.body.nmae }}');
  await waitText(page, tid('preview-payload-name'), (t) => t.includes('not found in last test data'), 'a typo is not found');
  await page.click(tid('payload-mode-json'));
  const payload = JSON.parse(await page.inputValue(tid('field-payload')));
  check(payload.email === '{{ $trigger.body.email }}', `the JSON view shows the form's payload: ${JSON.stringify(payload)}`);
  await page.click(tid('payload-mode-form'));

  // ui.md §4.37: a Log message after the test.
  await addAfter(page, 'item_create', 'reject', 'log');
  await select(page, 'log');
  await page.click(tid('pick-message'));
  const logList = await text(page, tid('pick-message-list'));
  check(logList.includes('item_create'), `earlier steps are offered: ${logList}`);
  await page.click(tid('pick-message-$trigger.body.email'));
  await waitText(page, tid('preview-message'), (t) => t === "→ 'a@b.c'", 'the log message preview');
  // A condition rule's path is picked too (no braces).
  await select(page, 'condition');
  await page.click(tid('rule-0-pick'));
  await page.click(tid('rule-0-pick-$trigger.body.name'));
  await waitFor(async () => (await page.inputValue(tid('rule-0-path'))) === '$trigger.body.name', 'the rule path is picked');
  await page.keyboard.press('Control+s');
  await waitText(page, tid('save-state'), (t) => t === 'All changes saved', 'saved');

  step('3. public by another way: the Access tab lists the step the public may not run');
  const activated = await api('PATCH', `/flows/${flowId}`, { status: 'active' });
  check(activated.status === 200, `activate: ${activated.text}`);
  const actAs = async (permissions) => {
    const op = (await ops(flowId)).find((o) => o.key === 'item_create');
    const r = await api('PATCH', `/operations/${op.id}`, { options: { ...op.options, permissions } });
    check(r.status === 200, `set Act as: ${r.text}`);
  };
  // name "open" passes the condition after the step (its rule was picked above).
  const anonymous = (email) => api('POST', `/flows/trigger/${flowId}`, { email, name: 'open' }, null);
  const stored = async (email) => (await api('GET', `/items/vals_subscribers?filter[email][_eq]=${email}`)).json.data.length;
  await page.click(tid('tab-access'));
  await page.locator(tid('public-card')).waitFor();
  check(await page.locator(tid('blocked-steps')).count() === 0, 'nothing is listed while only admins may call');
  // Granted outside this tab (a policy page, the API): the tab shows what it breaks.
  const g = await api('POST', '/permissions', { policy: 'abf8a154-5b1c-4a46-ac9c-7300570f4f17', collection: 'directus_flows', action: 'trigger', permissions: { id: { _eq: flowId } } });
  check(g.status === 200, `public grant: ${g.text}`);
  await page.reload();
  await page.locator(tid('blocked-item_create')).waitFor();
  const why = await text(page, tid('blocked-item_create'));
  check(why.includes("Public (not signed in) may not create items in 'vals_subscribers'"), `the reason: ${why}`);
  const refused = await anonymous('p1@b.c');
  check(await stored('p1@b.c') === 0, `before the fix the public call stores nothing: ${refused.status} ${refused.text}`);
  await page.click(tid('blocked-fix-item_create'));
  await page.locator(tid('blocked-steps')).waitFor({ state: 'detached' });
  const fixed = (await ops(flowId)).find((o) => o.key === 'item_create');
  check(fixed.options.permissions === '$full', `the step acts with full access: ${JSON.stringify(fixed.options)}`);
  const ok = await anonymous('p2@b.c');
  check(ok.status === 200 && await stored('p2@b.c') === 1, `after the fix the public call works: ${ok.status} ${ok.text}`);

  step('3. switching Public on names the step and gives it full access');
  await clearToasts(page);
  await page.click('#public-switch');
  await waitAttr(page, '#public-switch', 'aria-checked', 'false');
  await actAs('$trigger');
  await page.reload();
  await page.locator(tid('public-card')).waitFor();
  await page.click('#public-switch');
  const question = await text(page, tid('confirm-dialog'));
  check(question.includes("'Create items'") && question.includes('full access'), `the question names the step: ${question}`);
  await page.click(tid('confirm-ok'));
  await waitAttr(page, '#public-switch', 'aria-checked', 'true');
  await waitFor(async () => (await ops(flowId)).find((o) => o.key === 'item_create').options.permissions === '$full', 'full access set with Public on');
  const ok2 = await anonymous('p3@b.c');
  check(ok2.status === 200 && await stored('p3@b.c') === 1, `the public call works at once: ${ok2.status} ${ok2.text}`);

  if (await page.locator(tid('role-Editor')).count() > 0) {
    step('3. granting a role lists the step that role may not run');
    await page.click('#public-switch');
    await waitAttr(page, '#public-switch', 'aria-checked', 'false');
    await actAs('$trigger');
    await page.reload();
    await page.locator(tid('role-Editor')).waitFor();
    await page.click(`${tid('role-Editor')} input`);
    await page.locator(tid('blocked-item_create')).waitFor();
    const roleWhy = await text(page, tid('blocked-item_create'));
    check(roleWhy.includes("Role 'Editor'") && roleWhy.includes('may not create items'), `the role's reason: ${roleWhy}`);
    await page.click(tid('blocked-fix-all'));
    await page.locator(tid('blocked-steps')).waitFor({ state: 'detached' });
    check((await ops(flowId)).find((o) => o.key === 'item_create').options.permissions === '$full', 'switched to full access');
  }

  step('3. the step inspector says the same beside "Act as"');
  await page.click(tid('tab-build'));
  await select(page, 'item_create');
  check(await page.locator(tid('act-as-warning')).count() === 0, 'no warning with full access');
  await page.selectOption('#opt-permissions', '$trigger');
  const warning = await text(page, tid('act-as-warning'));
  check(warning.includes('may not create items') && (warning.includes('Public') || warning.includes("Role 'Editor'")), `the inspector warns: ${warning}`);
  await page.click(tid('act-as-full'));
  await waitFor(async () => (await page.inputValue('#opt-permissions')) === '$full', 'the inspector fix');
  check(await page.locator(tid('act-as-warning')).count() === 0, 'the warning is gone');

  step('issue 14: a schedule flow says what happens to its runs missed while the server was down');
  await clickCard(page, '$trigger');
  await page.locator(tid('trigger-inspector')).waitFor();
  await page.click(tid('trigger-type-schedule'));
  await page.click(tid('confirm-ok'));
  await page.locator(tid('trigger-missed')).waitFor();
  check(await page.inputValue('#trigger-cron') === '0 0 9 * * *', 'the schedule default');
  check(await page.inputValue(tid('trigger-missed')) === 'skip', 'skipping them is the default');
  await page.selectOption(tid('trigger-missed'), 'all');
  await page.keyboard.press('Control+s');
  await waitText(page, tid('save-state'), (t) => t === 'All changes saved', 'saved');
  const scheduled = (await api('GET', `/flows/${flowId}`)).json.data;
  check(scheduled.trigger === 'schedule' && scheduled.options.missed === 'all', `saved: ${scheduled.trigger} ${JSON.stringify(scheduled.options)}`);
});
