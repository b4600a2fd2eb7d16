// Relations on the Data pages (issue 15 point 6), in headless Chromium against a real server:
//
//   1. "New collection" makes `authors`, then `articles` with a "Many to one" field `author`
//      linked to authors and "also list articles on authors": the field is typed like the
//      authors key (integer, special m2o, interface select-dropdown-m2o), the relation
//      exists with one_field `articles`, and authors has the o2m alias `articles`;
//   2. "Add field" on articles adds a second many-to-one (`reviewer`) without a list, and a
//      failing add (a field name already taken) shows the API's message in the dialog's
//      error box and links nothing;
//   3. a new article picks its author in the picker (search, choose; the picker shows the
//      author's name), and the articles table shows the author's name, not the key; with a
//      display template on authors the table shows the template;
//   4. the author's page lists the article (label and link) and another author's page shows
//      the empty state; the link opens the article's page, whose picker shows the author,
//      and "Clear" empties the field.
//
// Env: see tests/browser/lib.mjs. Uses names of its own (collections authors and articles).

import {
  check, api, base, tid, timeout, waitFor, waitText, clearToasts, openSignedIn, scenario,
} from './lib.mjs';

async function newCollection(page, name, rows) {
  await page.click('#nav-data');
  await page.click(tid('new-collection'));
  await page.fill(tid('collection-name'), name);
  for (const [i, row] of rows.entries()) {
    if (i > 0) await page.click(tid('add-field'));
    await page.fill(tid(`field-name-${i}`), row.name);
    await page.press(tid(`field-name-${i}`), 'Tab');
    if (row.type) await page.selectOption(tid(`field-type-${i}`), row.type);
    if (row.related) await page.selectOption(tid(`field-related-${i}`), row.related);
    if (row.list) await page.check(tid(`field-list-${i}`));
  }
  await page.click(tid('create-collection'));
  await page.waitForURL(new RegExp(`/admin/data/${name}$`), { timeout });
  await waitText(page, tid('collection-title'), (t) => t === name, 'the new collection opens');
  await clearToasts(page);
}

async function relationsOf(collection) {
  const all = await api('GET', '/relations');
  check(all.status === 200, `GET /relations: ${all.status} ${all.text}`);
  return all.json.data.filter((r) => r.collection === collection);
}

async function field(collection, name) {
  const fields = await api('GET', `/fields/${collection}`);
  check(fields.status === 200, `GET /fields/${collection}: ${fields.status} ${fields.text}`);
  return fields.json.data.find((f) => f.field === name);
}

/** Saves the item dialog and waits for it to close. */
async function saveItem(page) {
  await page.click(tid('item-save'));
  await page.locator(tid('item-dialog')).waitFor({ state: 'detached', timeout });
  await clearToasts(page);
}

await scenario('relations', async ({ page, step }) => {
  await openSignedIn(page);

  step('1. create authors, then articles with a many-to-one author listed on authors');
  await newCollection(page, 'authors', [{ name: 'name' }]);
  await newCollection(page, 'articles', [
    { name: 'title' },
    { name: 'author', type: 'm2o', related: 'authors', list: true },
  ]);
  const author = await field('articles', 'author');
  check(author && author.type === 'integer', `author is typed like the authors key: ${JSON.stringify(author)}`);
  check(author.meta?.special?.includes('m2o') && author.meta?.interface === 'select-dropdown-m2o',
    `author's meta: ${JSON.stringify(author.meta)}`);
  let rels = await relationsOf('articles');
  const rel = rels.find((r) => r.field === 'author');
  check(rel && rel.related_collection === 'authors', `the relation: ${JSON.stringify(rels)}`);
  check(rel.meta?.one_field === 'articles', `listed on authors: ${JSON.stringify(rel.meta)}`);
  const alias = await field('authors', 'articles');
  check(alias && alias.type === 'alias' && alias.schema === null, `the o2m alias on authors: ${JSON.stringify(alias)}`);

  step('2. "Add field" adds a second many-to-one; a taken name shows the API\'s error');
  await page.click(tid('add-field-open'));
  await page.fill(tid('add-field-name'), 'reviewer');
  await page.selectOption(tid('add-field-type'), 'm2o');
  await page.selectOption(tid('add-field-related'), 'authors');
  await page.click(tid('add-field-save'));
  await page.locator(tid('add-field-dialog')).waitFor({ state: 'detached', timeout });
  await clearToasts(page);
  rels = await relationsOf('articles');
  const reviewer = rels.find((r) => r.field === 'reviewer');
  check(reviewer && reviewer.related_collection === 'authors' && !reviewer.meta?.one_field,
    `reviewer links to authors without a list: ${JSON.stringify(rels)}`);
  check((await field('articles', 'reviewer'))?.type === 'integer', 'reviewer is an integer');

  await page.click(tid('add-field-open'));
  await page.fill(tid('add-field-name'), 'title');
  await page.selectOption(tid('add-field-type'), 'm2o');
  await page.selectOption(tid('add-field-related'), 'authors');
  await page.click(tid('add-field-save'));
  const shown = await waitText(page, `${tid('add-field-dialog')} ${tid('error-alert')}`,
    (t) => t.includes("Couldn't add field 'title' to 'articles'"), 'the error in the dialog');
  check(shown.length > "Couldn't add field 'title' to 'articles': ".length, `the API's message is shown: ${shown}`);
  check(!(await relationsOf('articles')).some((r) => r.field === 'title'), 'nothing linked after the failure');
  await page.click(`${tid('add-field-dialog')} .modal__footer .button:not(.button--primary)`);
  await page.locator(tid('add-field-dialog')).waitFor({ state: 'detached', timeout });

  step('3. an author through the form, another through the API');
  await page.goto(`${base}/admin/data/authors`);
  await page.click(tid('new-item'));
  await page.fill(tid('item-field-name'), 'Ada Lovelace');
  await saveItem(page);
  const ada = (await api('GET', '/items/authors?filter[name][_eq]=Ada Lovelace')).json.data[0];
  check(ada, 'Ada was created');
  const grace = (await api('POST', '/items/authors', { name: 'Grace Hopper' })).json.data;

  step('3. an article picks its author: search, choose, the picker shows the name');
  await page.goto(`${base}/admin/data/articles`);
  await page.click(tid('new-item'));
  await page.fill(tid('item-field-title'), 'Notes on the engine');
  await waitText(page, tid('m2o-author-label'), (t) => t === 'None', 'no author yet');
  await page.click(tid('m2o-author-choose'));
  await page.locator(tid(`m2o-author-option-${grace.id}`)).waitFor({ timeout });
  await page.fill(tid('m2o-author-search'), 'Ada');
  await page.locator(tid(`m2o-author-option-${grace.id}`)).waitFor({ state: 'detached', timeout });
  await page.click(tid(`m2o-author-option-${ada.id}`));
  await waitText(page, tid('m2o-author-label'), (t) => t.startsWith('Ada Lovelace'), 'the picker shows the chosen author');
  check(await page.locator(tid('m2o-author-list')).count() === 0, 'the list closes after a choice');
  await saveItem(page);
  const article = (await api('GET', '/items/articles?filter[title][_eq]=Notes on the engine')).json.data[0];
  check(article && article.author === ada.id, `the article points at Ada: ${JSON.stringify(article)}`);
  check(article.reviewer === null, 'the untouched reviewer stays empty');

  step('3. the table shows the author\'s name, then the display template');
  await waitText(page, `${tid('items-table')} ${tid('relation-cell')}`, (t) => t === 'Ada Lovelace', 'the label in the table');
  const patched = await api('PATCH', '/collections/authors', { meta: { display_template: '{{name}} (author)' } });
  check(patched.status === 200, `display template: ${patched.status} ${patched.text}`);
  await page.reload();
  await waitText(page, `${tid('items-table')} ${tid('relation-cell')}`, (t) => t === 'Ada Lovelace (author)', 'the template in the table');

  step('4. the author\'s page lists the article; another author\'s shows the empty state');
  await page.goto(`${base}/admin/data/authors`);
  await page.click(`${tid('item-row')}[data-id="${ada.id}"]`);
  await page.waitForURL(new RegExp(`/admin/data/authors/${ada.id}$`), { timeout });
  const link = page.locator(`${tid('o2m-articles')} ${tid(`o2m-item-${article.id}`)}`);
  await waitFor(async () => ((await link.textContent({ timeout: 1000 })) ?? '').trim() === 'Notes on the engine', 'the article in the list');
  await page.goto(`${base}/admin/data/authors/${grace.id}`);
  await page.locator(`${tid('o2m-articles')} ${tid('o2m-empty')}`).waitFor({ timeout });

  step('4. the list links to the article\'s page; Clear empties its author');
  await page.goto(`${base}/admin/data/authors/${ada.id}`);
  await link.click();
  await page.waitForURL(new RegExp(`/admin/data/articles/${article.id}$`), { timeout });
  await waitText(page, tid('m2o-author-label'), (t) => t.startsWith('Ada Lovelace (author)'), 'the article\'s picker shows its author');
  await page.click(tid('m2o-author-clear'));
  await waitText(page, tid('m2o-author-label'), (t) => t === 'None', 'cleared');
  await saveItem(page);
  await page.waitForURL(/\/admin\/data\/articles$/, { timeout });
  const after = (await api('GET', `/items/articles/${article.id}`)).json.data;
  check(after.author === null, `the author was cleared: ${JSON.stringify(after)}`);
});
