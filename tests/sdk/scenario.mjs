// The official JavaScript SDK (`@directus/sdk`, pinned in tools/package.json) against a running
// Sluice: log in (json mode), create a collection, build a webhook flow from a flow and its
// operations, trigger it, read what it made and its run log, relate two collections, create
// items nested, read them with relational fields and deep, refresh and log out. Exits 0 when
// every step answers as Directus would, 1 with a message otherwise.
//
//   SLUICE_BASE_URL=http://127.0.0.1:8055 SLUICE_ADMIN_EMAIL=… SLUICE_ADMIN_PASSWORD=… \
//     node tests/sdk/scenario.mjs
//
// Run by tests/api/sdk.rs against a fresh test server (SQLite or PostgreSQL).

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../tools/package.json', import.meta.url));
const {
  createDirectus,
  authentication,
  rest,
  createCollection,
  createField,
  createRelation,
  createItem,
  readRelationByCollection,
  createFlow,
  createOperation,
  updateFlow,
  triggerFlow,
  readItems,
  readActivities,
  readRevisions,
  readMe,
} = require('@directus/sdk');

const url = (process.env.SLUICE_BASE_URL ?? '').replace(/\/+$/, '');
const email = process.env.SLUICE_ADMIN_EMAIL;
const password = process.env.SLUICE_ADMIN_PASSWORD;
if (!url || !email || !password) {
  console.error('scenario: set SLUICE_BASE_URL, SLUICE_ADMIN_EMAIL and SLUICE_ADMIN_PASSWORD');
  process.exit(2);
}

let step = 'start';
const log = (msg) => console.log(`scenario: ${msg}`);

/** Retries `check` (returning a value or undefined) for up to 10 s: run logs are written off the request path. */
async function eventually(what, check) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not seen within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The Directus error an SDK call threw, as text. */
function describe(err) {
  if (err && typeof err === 'object' && 'errors' in err) {
    const status = err.response?.status;
    return `HTTP ${status}: ${JSON.stringify(err.errors)}`;
  }
  return err?.stack ?? String(err);
}

async function main() {
  const client = createDirectus(url).with(authentication('json')).with(rest());

  step = 'login';
  const auth = await client.login(email, password);
  assert.equal(typeof auth.access_token, 'string', 'login: access_token');
  assert.equal(typeof auth.refresh_token, 'string', 'login: refresh_token');
  assert.equal(typeof auth.expires, 'number', 'login: expires');
  const me = await client.request(readMe({ fields: ['id', 'email'] }));
  assert.equal(me.email, email, 'readMe after login');
  log(`logged in as ${me.email}`);

  step = 'createCollection';
  const collection = await client.request(
    createCollection({
      collection: 'sdk_orders',
      schema: {},
      meta: { icon: 'shopping_cart' },
      fields: [
        { field: 'customer', type: 'string' },
        { field: 'total', type: 'float' },
        { field: 'source', type: 'string' },
      ],
    }),
  );
  assert.equal(collection.collection, 'sdk_orders', 'createCollection answer');

  step = 'createFlow';
  const flow = await client.request(
    createFlow({
      name: 'SDK orders',
      status: 'active',
      trigger: 'webhook',
      accountability: 'all',
      options: { method: 'POST', async: false, return: '$last' },
    }),
  );
  assert.match(flow.id, /^[0-9a-f-]{36}$/, 'createFlow: id');
  assert.equal(flow.trigger, 'webhook', 'createFlow: trigger');

  step = 'createOperation';
  // The last operation first, so the first can point at it.
  const answer = await client.request(
    createOperation({
      flow: flow.id,
      key: 'answer',
      type: 'transform',
      position_x: 37,
      position_y: 1,
      options: { json: { created: '{{save}}', customer: '{{$trigger.body.customer}}' } },
    }),
  );
  const save = await client.request(
    createOperation({
      flow: flow.id,
      key: 'save',
      type: 'item-create',
      position_x: 19,
      position_y: 1,
      resolve: answer.id,
      options: {
        collection: 'sdk_orders',
        payload: { customer: '{{$trigger.body.customer}}', total: '{{$trigger.body.total}}', source: 'sdk' },
      },
    }),
  );
  assert.equal(save.resolve, answer.id, 'createOperation: resolve');

  step = 'updateFlow';
  const updated = await client.request(updateFlow(flow.id, { operation: save.id }));
  assert.equal(updated.operation, save.id, 'updateFlow: first operation');

  step = 'triggerFlow POST';
  // The SDK unwraps `{"data": …}`, so it sees the flow's return value.
  const result = await client.request(triggerFlow('POST', flow.id, { customer: 'c-1', total: 12.5 }));
  assert.equal(result.customer, 'c-1', 'triggerFlow: customer');
  assert.equal(result.created.length, 1, 'triggerFlow: created keys');
  const key = result.created[0];

  step = 'triggerFlow GET';
  const echo = await client.request(
    createFlow({
      name: 'SDK echo',
      status: 'active',
      trigger: 'webhook',
      accountability: null,
      options: { method: 'GET' },
    }),
  );
  const echoOp = await client.request(
    createOperation({
      flow: echo.id,
      key: 'echo',
      type: 'transform',
      position_x: 19,
      position_y: 1,
      options: { json: { q: '{{$trigger.query.q}}', method: '{{$trigger.method}}' } },
    }),
  );
  await client.request(updateFlow(echo.id, { operation: echoOp.id }));
  const echoed = await client.request(triggerFlow('GET', echo.id, { q: 'hello' }));
  assert.deepEqual(echoed, { q: 'hello', method: 'GET' }, 'triggerFlow GET');

  step = 'readItems';
  const items = await client.request(
    readItems('sdk_orders', {
      fields: ['id', 'customer', 'total', 'source'],
      filter: { customer: { _eq: 'c-1' } },
      sort: ['-id'],
    }),
  );
  assert.deepEqual(items, [{ id: key, customer: 'c-1', total: 12.5, source: 'sdk' }], 'readItems');

  step = 'readActivities';
  const activity = await eventually('run activity', async () => {
    const rows = await client.request(
      readActivities({
        filter: { collection: { _eq: 'directus_flows' }, item: { _eq: flow.id }, action: { _eq: 'run' } },
        sort: ['-id'],
      }),
    );
    return rows.length > 0 ? rows : undefined;
  });
  assert.equal(activity.length, 1, 'one run');
  assert.equal(activity[0].user, me.id, 'run activity: user');

  step = 'readRevisions';
  const revisions = await client.request(
    readRevisions({
      filter: { collection: { _eq: 'directus_flows' }, item: { _eq: flow.id }, activity: { _eq: activity[0].id } },
      fields: ['id', 'activity', 'data'],
    }),
  );
  assert.equal(revisions.length, 1, 'one revision for the run');

  step = 'readRevisions through activity';
  // What the Data Studio's logs panel asks: the flow's run revisions filtered and expanded
  // through their activity.
  const logs = await client.request(
    readRevisions({
      filter: {
        collection: { _eq: 'directus_flows' },
        item: { _eq: flow.id },
        activity: { action: { _eq: 'run' } },
      },
      fields: ['id', 'activity.action', 'activity.timestamp', 'activity.user.email', 'data'],
      sort: ['-id'],
      limit: 10,
    }),
  );
  assert.equal(logs.length, 1, 'revisions through activity');
  assert.equal(logs[0].activity.action, 'run', 'revision activity.action');
  assert.equal(logs[0].activity.user.email, email, 'revision activity.user.email');
  const run = revisions[0].data;
  assert.deepEqual(
    run.steps.map((s) => [s.key, s.status]),
    [
      ['save', 'resolve'],
      ['answer', 'resolve'],
    ],
    'run steps',
  );
  assert.deepEqual(run.data.answer, { created: [key], customer: 'c-1' }, 'run data');
  assert.equal(run.data.$trigger.headers.authorization, '--redacted--', 'run log redaction');

  step = 'relations';
  await client.request(
    createCollection({
      collection: 'sdk_customers',
      schema: {},
      fields: [{ field: 'name', type: 'string' }],
    }),
  );
  await client.request(
    createField('sdk_orders', { field: 'buyer', type: 'integer', meta: { special: ['m2o'], interface: 'select-dropdown-m2o' } }),
  );
  await client.request(
    createField('sdk_customers', { field: 'orders', type: 'alias', meta: { special: ['o2m'], interface: 'list-o2m' } }),
  );
  const relation = await client.request(
    createRelation({
      collection: 'sdk_orders',
      field: 'buyer',
      related_collection: 'sdk_customers',
      schema: { on_delete: 'SET NULL' },
      meta: { one_field: 'orders' },
    }),
  );
  assert.equal(relation.related_collection, 'sdk_customers', 'createRelation answer');
  const relations = await client.request(readRelationByCollection('sdk_orders'));
  assert.ok(relations.some((r) => r.field === 'buyer' && r.meta?.one_field === 'orders'), 'readRelationByCollection');

  step = 'nested createItem';
  const customer = await client.request(
    createItem(
      'sdk_customers',
      {
        name: 'Ada',
        orders: [
          { customer: 'c-2', total: 3, source: 'nested' },
          { customer: 'c-3', total: 9, source: 'nested' },
        ],
      },
      { fields: ['id', 'name', 'orders'] },
    ),
  );
  assert.equal(customer.name, 'Ada', 'nested create: parent');
  assert.equal(customer.orders.length, 2, 'nested create: children keys');

  step = 'readItems relational';
  const withBuyer = await client.request(
    readItems('sdk_orders', {
      fields: ['customer', 'buyer.name'],
      filter: { buyer: { name: { _eq: 'Ada' } } },
      sort: ['customer'],
    }),
  );
  assert.deepEqual(
    withBuyer,
    [
      { customer: 'c-2', buyer: { name: 'Ada' } },
      { customer: 'c-3', buyer: { name: 'Ada' } },
    ],
    'readItems with buyer.name',
  );
  const deep = await client.request(
    readItems('sdk_customers', {
      fields: ['name', 'orders.customer', 'orders.total'],
      deep: { orders: { _sort: ['-total'], _limit: 1 } },
    }),
  );
  assert.deepEqual(deep, [{ name: 'Ada', orders: [{ customer: 'c-3', total: 9 }] }], 'readItems with deep');

  step = 'refresh';
  const oldRefresh = auth.refresh_token;
  const refreshed = await client.refresh();
  assert.equal(typeof refreshed.access_token, 'string', 'refresh: access_token');
  assert.notEqual(refreshed.refresh_token, oldRefresh, 'refresh: a new refresh token');
  const again = await client.request(readMe({ fields: ['email'] }));
  assert.equal(again.email, email, 'readMe after refresh');

  step = 'logout';
  await client.logout();
  // The session is gone: its refresh token no longer works.
  const res = await fetch(new URL('/auth/refresh', url), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refresh_token: refreshed.refresh_token, mode: 'json' }),
  });
  assert.equal(res.status, 401, 'refresh after logout');
  const body = await res.json();
  assert.equal(body.errors?.[0]?.extensions?.code, 'INVALID_CREDENTIALS', 'refresh after logout: code');
  log('all steps passed');
}

try {
  await main();
  process.exit(0);
} catch (err) {
  console.error(`scenario failed at ${step}: ${describe(err)}`);
  process.exit(1);
}
