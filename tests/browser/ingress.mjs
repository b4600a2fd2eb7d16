// Issue 16 point 5 in Chromium: a webhook flow gets a GitHub signature check in the trigger
// panel's "Security and limits" (preset, masked secret, save); "Send a signed test call"
// answers 200 with the signature header it sent; a tampered call sent from here (a correct
// signature of another body) is refused 401 INVALID_SIGNATURE and appears on the Refused tab
// as "Bad signature" with its count chip; after a reload the secret is nowhere in the page,
// only "saved — type to replace", and the API reads it back as the mask. Then a call refused
// by a rate limit, with its body kept, is replayed from the Refused tab and opens as a run.
//
// Env: see tests/browser/lib.mjs.

import { createHmac } from 'node:crypto';
import { join } from 'node:path';

import {
  api, artifacts, base, check, clearToasts, openSignedIn, scenario, text, tid, timeout, waitFor,
  waitText,
} from './lib.mjs';

const MASK = '**********';
const PUBLIC_POLICY = 'abf8a154-5b1c-4a46-ac9c-7300570f4f17';

await scenario('ingress', async ({ page, step }) => {
  const secret = `gh-secret-${Math.random().toString(36).slice(2, 10)}`;
  const flow = await api('POST', '/flows', {
    name: 'Signed hook', trigger: 'webhook', status: 'active', accountability: 'all',
    options: { method: 'POST', async: false },
    operations: [
      { key: 'shape', operation: 'transform', options: { json: { action: '{{$trigger.body.action}}' } } },
    ],
  });
  check(flow.status === 200, `flow: ${flow.status} ${flow.text}`);
  const id = flow.json.data.id;
  // Providers call without a token: the flow is public, so the signature is what guards it.
  const grant = await api('POST', '/permissions', {
    policy: PUBLIC_POLICY, collection: 'directus_flows', action: 'trigger',
    permissions: { id: { _eq: id } }, fields: ['*'],
  });
  check(grant.status === 200, `public grant: ${grant.status} ${grant.text}`);

  await openSignedIn(page);
  await page.goto(`${base}/admin/flows/${id}?select=trigger`);
  await page.locator(tid('trigger-inspector')).waitFor({ timeout });
  const panel = page.locator(tid('security-limits'));
  check(!(await panel.evaluate((d) => d.open)), 'Security and limits starts collapsed when nothing is set');
  await page.click(tid('security-limits-toggle'));
  await page.selectOption(tid('signature-preset'), 'github');
  check(await page.locator(tid('signature-secret')).getAttribute('type') === 'password', 'the secret is masked');
  await page.fill(tid('signature-secret'), secret);
  await page.click(tid('signature-secret-toggle'));
  check(await page.locator(tid('signature-secret')).getAttribute('type') === 'text', 'Show reveals the secret');
  await page.click(tid('signature-secret-toggle'));
  await waitText(page, tid('signed-test-hint'), (t) => t.startsWith('Save'), 'the test call asks to save first');
  check(await page.locator(tid('signed-test')).isDisabled(), 'the test call waits for the save');
  // The stored draft (kept for crash recovery) never holds the typed secret.
  await page.waitForTimeout(1300);
  const stored = await page.evaluate(() => Object.keys(localStorage).map((k) => localStorage.getItem(k)).join('\n'));
  check(stored.includes('"preset":"github"'), 'the draft is stored for recovery');
  check(!stored.includes(secret), 'the stored draft does not hold the secret');
  step('GitHub preset and secret typed; the draft kept without the secret');

  await page.click(tid('save'));
  await waitText(page, tid('save-state'), (t) => t === 'All changes saved', 'saved without a mismatch');
  await page.locator(tid('signature-secret-saved')).waitFor({ timeout });
  const saved = await api('GET', `/flows/${id}`);
  check(saved.json?.data?.options?.signature?.preset === 'github', `saved preset: ${saved.text}`);
  check(saved.json.data.options.signature.secret === MASK, `the API conceals the secret: ${saved.text}`);

  await waitFor(async () => !(await page.locator(tid('signed-test')).isDisabled()), 'the test call is enabled once saved');
  await page.click(tid('signed-test'));
  await waitText(page, tid('signed-test-status'), (t) => t === '200', 'the signed test call answers 200');
  check(/chip--ok/.test(await page.locator(tid('signed-test-status')).getAttribute('class')), 'a 2xx answer is green');
  const sent = await text(page, tid('signed-test-headers'));
  check(/x-hub-signature-256/i.test(sent) && sent.includes('sha256='), `the signature header sent is shown: ${sent}`);
  await page.screenshot({ path: join(artifacts, 'ingress-trigger-panel.png') });
  step('signed test call: 200 with X-Hub-Signature-256');

  // A tampered call: the signature is right for another body.
  const signed = JSON.stringify({ action: 'closed' });
  const body = JSON.stringify({ action: 'opened' });
  const signature = `sha256=${createHmac('sha256', secret).update(signed).digest('hex')}`;
  const res = await fetch(`${base}/flows/trigger/${id}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': signature, 'X-GitHub-Event': 'ping' },
    body,
  });
  const answer = await res.json().catch(() => null);
  check(res.status === 401 && answer?.errors?.[0]?.extensions?.code === 'INVALID_SIGNATURE',
    `tampered call: ${res.status} ${JSON.stringify(answer)}`);
  // The same signature over the body it was made for is accepted (the secret is right).
  const good = await fetch(`${base}/flows/trigger/${id}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': signature }, body: signed,
  });
  check(good.status === 200, `correctly signed call: ${good.status} ${await good.text()}`);
  step('tampered call refused 401 INVALID_SIGNATURE; the correctly signed one accepted');

  await page.click(tid('see-refused'));
  await page.waitForURL(/\/refused$/, { timeout });
  await waitFor(async () => (await page.locator(tid('refused-row')).count()) === 1, 'one refused call listed');
  const row = page.locator(tid('refused-row')).first();
  check((await row.locator(tid('refused-reason')).textContent()).trim() === 'Bad signature', 'the reason reads "Bad signature"');
  check((await row.locator(tid('refused-status')).textContent()).trim() === '401', 'the answer was 401');
  const chip = page.locator(`${tid('refused-reason-chip')}[data-reason="invalid_signature"]`);
  await chip.waitFor({ timeout });
  check((await chip.locator(tid('refused-reason-count')).textContent()).trim() === '1', 'the chip counts one');
  check((await chip.textContent()).includes('Bad signature'), 'the chip names the reason in words');
  await chip.click();
  await page.waitForURL(/reason=invalid_signature/, { timeout });
  await waitFor(async () => (await chip.getAttribute('aria-pressed')) === 'true', 'the chip filters the list');
  await waitFor(async () => (await page.locator(tid('refused-row')).count()) === 1, 'still one call for the reason');
  check((await page.locator(tid('refused-replay')).count()) === 0, 'a bad signature cannot be replayed');
  await page.locator(tid('refused-row')).first().locator('td').first().click();
  await page.locator(tid('refused-detail')).waitFor({ timeout });
  await waitText(page, tid('refused-explanation'), (t) => t.includes('signature did not match'), 'the drawer explains the reason');
  const headers = await text(page, tid('refused-headers'));
  check(/x-hub-signature-256/i.test(headers) && !headers.includes(signature.slice(7)), `the signature is redacted: ${headers}`);
  await page.screenshot({ path: join(artifacts, 'ingress-refused.png') });
  await page.keyboard.press('Escape');
  await page.locator(tid('refused-detail')).waitFor({ state: 'detached', timeout });
  step('Refused tab: "Bad signature", count chip 1, filter, details with redacted headers');

  // After a reload the secret is nowhere in the page: the field is empty and says it is saved.
  await page.goto(`${base}/admin/flows/${id}?select=trigger`);
  await page.locator(tid('security-limits')).waitFor({ timeout });
  check(await page.locator(tid('security-limits')).evaluate((d) => d.open), 'the section opens when a check is set');
  await page.locator(tid('signature-secret-saved')).waitFor({ timeout });
  check(await page.locator(tid('signature-secret')).getAttribute('placeholder') === 'saved — type to replace', 'saved — type to replace');
  check(await page.locator(tid('signature-secret')).inputValue() === '', 'the field is empty');
  const html = await page.content();
  check(!html.includes(secret), 'the secret is not in the page');
  const storage = await page.evaluate(() => Object.keys(localStorage).map((k) => localStorage.getItem(k)).join('\n'));
  check(!storage.includes(secret), 'the secret is not in local storage');
  // Another edit saves the mask back, which keeps the secret: the signed test still passes.
  await page.fill(tid('rate-limit-points'), '100');
  await page.click(tid('save'));
  await waitText(page, tid('save-state'), (t) => t === 'All changes saved', 'the rate limit saved');
  const after = await api('GET', `/flows/${id}`);
  const limit = after.json?.data?.options?.rateLimit ?? {};
  check(limit.points === 100 && limit.duration === '1m' && limit.by === 'ip', `rate limit saved: ${after.text}`);
  check(after.json.data.options.signature.secret === MASK, 'the secret is still concealed');
  await page.click(tid('signed-test'));
  await waitText(page, tid('signed-test-status'), (t) => t === '200', 'the kept secret still signs');
  step('after reload: only the mask; saving other options keeps the secret');

  // Replay: one call a minute, refused bodies kept; the second call is refused and replayed.
  const limited = await api('POST', '/flows', {
    name: 'One a minute', trigger: 'webhook', status: 'active', accountability: 'all',
    options: { method: 'POST', rateLimit: { points: 1, duration: '1m', by: 'global' }, keepRefusedBodies: true },
    operations: [{ key: 'echo', operation: 'transform', options: { json: { n: '{{$trigger.body.n}}' } } }],
  });
  check(limited.status === 200, `limited flow: ${limited.status} ${limited.text}`);
  const lid = limited.json.data.id;
  const calls = [];
  for (const n of [1, 2]) calls.push((await api('POST', `/flows/trigger/${lid}`, { n })).status);
  check(JSON.stringify(calls) === '[200,429]', `the second call is rate limited: ${calls}`);
  await page.goto(`${base}/admin/flows/${lid}/refused`);
  await waitFor(async () => (await page.locator(tid('refused-row')).count()) === 1, 'the limited call is listed');
  check((await text(page, tid('refused-reason'))) === 'Rate limited', 'it reads "Rate limited"');
  await clearToasts(page);
  await page.click(tid('refused-replay'));
  await page.locator(tid('confirm-dialog')).waitFor({ timeout });
  await page.click(tid('confirm-ok'));
  await waitText(page, tid('toasts'), (t) => t.includes('Queued again'), 'the replay is queued');
  await page.click(tid('toast-action'));
  await page.waitForURL(/\/runs\/\d+$/, { timeout });
  await page.locator(tid('run-detail')).waitFor({ timeout });
  await waitFor(async () => {
    const runs = (await api('GET', `/runs?filter[flow][_eq]=${lid}&filter[status][_eq]=success&limit=-1`)).json?.data ?? [];
    return runs.length === 2;
  }, 'the replay ran');
  step('a rate-limited call replayed from the Refused tab and opened as a run');
});
