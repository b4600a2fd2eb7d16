// Issue 13 point 6 in Chromium: two calls fail, the flow is fixed, "Replay failed" on the runs
// list (after its question) queues both again and says so, and "Run again" in a run's drawer
// queues that one call again; the replays run against the fixed flow and are listed as runs.
//
// Env: see tests/browser/lib.mjs.

import {
  api, base, check, openSignedIn, scenario, tid, timeout, waitFor, waitText,
} from './lib.mjs';

await scenario('replay', async ({ page, step }) => {
  const made = await api('POST', '/collections', {
    collection: 'replayed', schema: {},
    fields: [
      { field: 'id', type: 'integer', schema: { is_primary_key: true, has_auto_increment: true } },
      { field: 'note', type: 'string' },
    ],
  });
  check(made.status === 200, `collection: ${made.status} ${made.text}`);
  const flow = await api('POST', '/flows', {
    name: 'Picky', trigger: 'webhook', status: 'active', accountability: 'all', options: { method: 'POST' },
    operations: [
      { key: 'check', operation: 'condition', options: { filter: { $trigger: { body: { note: { _eq: 'fine' } } } } } },
      { key: 'save', operation: 'item-create', options: { collection: 'replayed', payload: { note: '{{$trigger.body.note}}' } } },
    ],
  });
  check(flow.status === 200, `flow: ${flow.status} ${flow.text}`);
  const id = flow.json.data.id;
  for (const note of ['a', 'b']) await api('POST', `/flows/trigger/${id}`, { note });
  const notes = async () => ((await api('GET', '/items/replayed?limit=-1')).json.data ?? []).map((r) => r.note).sort();
  check((await notes()).length === 0, 'both calls failed');
  // Fix the flow: every note passes now.
  const ops = await api('GET', `/operations?filter[flow][_eq]=${id}&filter[key][_eq]=check`);
  await api('PATCH', `/operations/${ops.json.data[0].id}`, { options: { filter: { $trigger: { body: { note: { _nnull: true } } } } } });

  await openSignedIn(page);
  await page.goto(`${base}/admin/flows/${id}/runs`);
  await waitFor(async () => (await page.locator(tid('run-row')).count()) === 2, 'two failed runs listed');
  await page.click(tid('runs-replay-failed'));
  await page.locator(tid('confirm-dialog')).waitFor({ timeout });
  await page.click(tid('confirm-ok'));
  await waitText(page, tid('toasts'), (t) => t.includes('Queued 2 runs again'), 'the toast says how many were queued');
  await waitFor(async () => JSON.stringify(await notes()) === '["a","b"]', 'the replays ran against the fixed flow');
  await page.click(tid('runs-refresh'));
  await waitFor(async () => (await page.locator(tid('run-row')).count()) === 4, 'the replays are listed as runs');
  step('Replay failed: 2 queued, both ran, 4 runs listed');

  // Run again from a run's drawer (the oldest, a failed one).
  await page.locator(tid('run-row')).last().locator('a').first().click();
  await page.locator(tid('run-again')).waitFor({ timeout });
  await page.click(tid('run-again'));
  await page.locator(tid('confirm-dialog')).waitFor({ timeout });
  await page.click(tid('confirm-ok'));
  await waitText(page, tid('toasts'), (t) => t.includes('Queued 1 run again'), 'Run again says it queued the run');
  await waitFor(async () => JSON.stringify(await notes()) === '["a","a","b"]', 'the call ran once more');
  step('Run again: queued and ran');
});
