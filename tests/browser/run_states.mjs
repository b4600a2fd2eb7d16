// Issue 13 point 6 in Chromium: the runs list filters by every status — queued, running,
// retrying, failed, succeeded — and shows each run's attempt and duplicate deliveries; the
// drawer of a run that has not ended says so instead of claiming it failed.
//
// One async flow makes every state: "fail" throws (its retry, an hour away, is queued: the
// first attempt shows as retrying, the second as queued), "slow" sleeps (running while the
// page is checked), anything else succeeds; a repeat with the same Idempotency-Key is a
// duplicate counted on its run.
//
// Env: see tests/browser/lib.mjs.

import {
  api, base, check, openSignedIn, scenario, text, tid, timeout, waitFor, waitText,
} from './lib.mjs';

await scenario('run_states', async ({ page, step }) => {
  const flow = await api('POST', '/flows', {
    name: 'States', trigger: 'webhook', status: 'active', accountability: 'all',
    options: { method: 'POST', async: true, retry: { attempts: 2, delay: '1h', on: ['throw'] } },
    operations: [
      { key: 'fails', operation: 'condition', resolve: 'stop', reject: 'slows',
        options: { filter: { $trigger: { body: { mode: { _eq: 'fail' } } } } } },
      { key: 'stop', operation: 'throw-error', options: { status: '500', code: 'BROKEN', message: 'asked to fail' } },
      { key: 'slows', operation: 'condition', resolve: 'wait', reject: 'done',
        options: { filter: { $trigger: { body: { mode: { _eq: 'slow' } } } } } },
      { key: 'wait', operation: 'sleep', options: { milliseconds: 12000 } },
      { key: 'done', operation: 'transform', options: { json: { ok: true } } },
    ],
  });
  check(flow.status === 200, `flow: ${flow.status} ${flow.text}`);
  const id = flow.json.data.id;
  const call = (mode, headers = {}) => api('POST', `/flows/trigger/${id}`, { mode }, undefined, headers);
  for (const r of [await call('slow'), await call('fail'), await call('ok'),
    await call('ok', { 'Idempotency-Key': 'order-1' }), await call('ok', { 'Idempotency-Key': 'order-1' })]) {
    check(r.status === 202, `call: ${r.status} ${r.text}`);
  }
  const runs = async () => (await api('GET', `/runs?filter[flow][_eq]=${id}&limit=-1`)).json.data;
  // slow running; fail retrying + its queued second attempt; ok and the keyed ok succeeded.
  await waitFor(async () => {
    const s = (await runs()).map((r) => r.status).sort().join(',');
    return s === 'queued,retrying,running,success,success';
  }, 'every state reached through the API');

  await openSignedIn(page);
  await page.goto(`${base}/admin/flows/${id}/runs`);
  const rows = () => page.locator(tid('run-row'));
  const statuses = async () => (await rows().evaluateAll((els) => els.map((e) => e.dataset.status))).sort().join(',');
  await waitFor(async () => (await statuses()) === 'queued,retrying,running,success,success', 'All lists all five runs');

  // Running first: the slow run sleeps for a few seconds only.
  await page.click(tid('runs-running'));
  await waitFor(async () => (await statuses()) === 'running', 'Running keeps the running run');
  check(page.url().endsWith('?status=running'), `the filter is in the address: ${page.url()}`);
  check((await text(page, `${tid('run-row')} .run-status`)).includes('Running'), 'labelled Running');
  step('Running: the sleeping run, in the address');

  await page.click(tid('runs-queued'));
  await waitFor(async () => (await statuses()) === 'queued', 'Queued keeps the waiting retry');
  check((await text(page, tid('run-attempt'))) === 'Attempt 2', 'the queued run is the second attempt');
  const due = await text(page, `${tid('run-row')} td:nth-child(2)`);
  check(due === 'in 1 h', `the retry is due in an hour: "${due}"`);
  // Its drawer: not ended, so neither failed nor a duration.
  await rows().first().locator('a').first().click();
  await waitText(page, tid('run-status'), (t) => t.includes('Queued'), 'the drawer says Queued');
  check((await text(page, tid('run-attempts'))) === '2', 'the drawer shows the attempt');
  await page.locator(tid('run-unfinished')).waitFor({ timeout });
  step('Queued: the retry waiting its turn, due in 1 h, attempt 2, its drawer says it has not ended');

  await page.goto(`${base}/admin/flows/${id}/runs?status=retrying`);
  await waitFor(async () => (await statuses()) === 'retrying', 'Retrying keeps the failed first attempt');
  // That attempt has ended (another follows): it has a duration and its steps.
  check(!(await text(page, `${tid('run-row')} td:nth-child(4)`)).includes('—'), 'the failed attempt has a duration');
  await rows().first().locator('a').first().click();
  await waitText(page, tid('run-status'), (t) => t.includes('Retrying'), 'the drawer says Retrying');
  await page.locator(tid('run-step-stop')).waitFor({ timeout });
  await page.keyboard.press('Escape');
  await waitFor(async () => (await page.locator(tid('run-title')).count()) === 0, 'Escape closes the drawer');
  step('Retrying: the first attempt another follows, with its duration and steps');

  await page.click(tid('runs-success'));
  await waitFor(async () => (await statuses()) === 'success,success', 'Succeeded keeps both successes');
  await waitFor(async () => (await page.locator(tid('run-duplicates')).count()) === 1, 'one run shows a duplicate');
  check((await text(page, tid('run-duplicates'))) === '1 duplicate', 'the repeat is counted on its run');
  step('Succeeded: two runs, the keyed one with 1 duplicate');

  await page.click(tid('runs-failed'));
  await waitText(page, '.empty-state', (t) => t.includes('No failed runs'), 'no dead letter yet');
  await page.click(tid('runs-all'));
  await waitFor(async () => (await rows().count()) === 5, 'All lists them again');
  check(!page.url().includes('status='), 'All clears the filter');
  step('Failed: none yet; All: all five');
});
