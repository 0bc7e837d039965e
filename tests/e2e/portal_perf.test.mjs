// Browser-side benchmark of the Metadata tree with 10,000 tables (stubbed API, real built portal
// served under the server's CSP), plus axe and keyboard checks at that size. Figures are printed
// and written to the artifacts (docs/BENCHMARKS.md records them); nothing here asserts a time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import AxeBuilder from '@axe-core/playwright';
import { artifactsDir, distDir, launchBrowser, screenshot, serveStatic } from './harness.mjs';
import { bigCatalog, bigDataMap, routeFakeApi, tickitDataMap } from './fake_api.mjs';

let web;
let browser;
const figures = {};

before(async () => {
  web = await serveStatic(distDir());
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await web?.stop();
  figures.load_average = os.loadavg().map((x) => Math.round(x * 10) / 10);
  fs.mkdirSync(artifactsDir, { recursive: true });
  fs.writeFileSync(path.join(artifactsDir, 'portal-bench.json'), JSON.stringify(figures, null, 2));
  console.log(`portal bench: ${JSON.stringify(figures)}`);
});

const nextFrame = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));

test('10,000-table tree: first render, select all, search as you type (benchmark)', async () => {
  const { page, problems } = browser;
  const catalog = bigCatalog();
  assert.equal(catalog.table_count, 10000);
  await routeFakeApi(page, catalog);
  await page.goto(`${web.url}/metadata`);
  await page.getByRole('checkbox', { name: 'db0' }).waitFor();
  await page.waitForFunction(() => performance.getEntriesByName('sp:tree-painted').length > 0);
  figures.first_render_ms = await page.evaluate(() => {
    const a = performance.getEntriesByName('sp:catalog-received')[0].startTime;
    const b = performance.getEntriesByName('sp:tree-painted')[0].startTime;
    return Math.round((b - a) * 10) / 10;
  });
  // Only the rows in view are in the DOM.
  const rendered = await page.locator('.tree .row').count();
  assert.ok(rendered < 100, `${rendered} rows rendered`);

  // Select all over 10,000 tables, timed from the click to the next frame with the new count.
  figures.select_all_ms = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const box = document.getElementById('select-all');
        const t0 = performance.now();
        box.click();
        requestAnimationFrame(() => setTimeout(() => resolve(Math.round((performance.now() - t0) * 10) / 10), 0));
      }),
  );
  await assert.doesNotReject(page.getByText('10,000 of 10,000 tables selected').waitFor({ timeout: 5000 }));

  // Search as you type: one keystroke over 10,000 tables, to the next frame.
  const search = page.getByLabel('Search tables');
  await search.focus();
  figures.search_keystroke_ms = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const input = document.activeElement;
        const t0 = performance.now();
        input.value = 'table_0042';
        input.dispatchEvent(new Event('input', { bubbles: true }));
        requestAnimationFrame(() => setTimeout(() => resolve(Math.round((performance.now() - t0) * 10) / 10), 0));
      }),
  );
  await page.getByRole('checkbox', { name: 'table_0042' }).first().waitFor();
  // every schema row of both databases shows its one match
  assert.equal(await page.locator('.tree .row.level-3').count() > 0, true);
  await search.fill('');
  await nextFrame(page);
  assert.deepEqual(problems, []);
});

test('10,000-table tree: keyboard navigation and axe', async () => {
  const { page } = browser;
  await page.getByRole('checkbox', { name: 'db0' }).focus();
  await page.keyboard.press('ArrowDown'); // schema_00
  await page.keyboard.press('ArrowRight'); // expand it
  await page.keyboard.press('ArrowRight'); // first table
  await page.keyboard.press('ArrowDown');
  const focused = await page.evaluate(() => document.activeElement?.labels?.[0]?.textContent);
  assert.equal(focused, 'table_0001');
  await page.keyboard.press('Space'); // unselect it (select-all had selected everything)
  await page.getByText('9,999 of 10,000 tables selected').waitFor();
  await page.keyboard.press('End');
  await nextFrame(page);
  const last = await page.evaluate(() => document.activeElement?.labels?.[0]?.textContent);
  assert.equal(last, 'schema_24');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.evaluate(() => document.activeElement?.labels?.[0]?.textContent), 'db1');
  await page.keyboard.press('Home');
  await screenshot(page, 'metadata-10000');
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`), []);
});

test('Data Map with 10,000 saved tables: first render, one page in the DOM, search, diagram (benchmark)', async () => {
  const page = await browser.context.newPage();
  const map = bigDataMap();
  assert.equal(map.tables.length, 10000);
  await routeFakeApi(page, bigCatalog({ databases: 1, schemas: 1, tables: 1 }), map);
  await page.goto(`${web.url}/data-map`);
  await page.waitForFunction(() => performance.getEntriesByName('sp:datamap-painted').length > 0);
  figures.datamap_first_render_ms = await page.evaluate(() => {
    const a = performance.getEntriesByName('sp:datamap-received')[0].startTime;
    const b = performance.getEntriesByName('sp:datamap-painted')[0].startTime;
    return Math.round((b - a) * 10) / 10;
  });
  // One page of tables, collapsed, and a diagram capped at its 60 best connected tables.
  assert.equal(await page.locator('li.dm-table').count(), 50);
  await page.getByText('Tables 1–50 of 10,000 (page 1 of 200)').waitFor();
  assert.equal(await page.locator('.diagram-svg g.box').count(), 60);
  assert.ok((await page.locator('*').count()) < 4000, 'DOM stays the size of one page');

  // One keystroke in the search over 10,000 tables, to the next frame.
  const search = page.getByLabel('Search saved tables');
  await search.focus();
  figures.datamap_search_keystroke_ms = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const input = document.activeElement;
        const t0 = performance.now();
        input.value = 'table_0042';
        input.dispatchEvent(new Event('input', { bubbles: true }));
        requestAnimationFrame(() => setTimeout(() => resolve(Math.round((performance.now() - t0) * 10) / 10), 0));
      }),
  );
  await page.getByText('50 of 10,000 tables match').waitFor();
  await search.fill('');

  // Paging: the next page of 50, the focus back on the list's heading.
  await page.getByRole('button', { name: 'Next page' }).click();
  await page.getByText('Tables 51–100 of 10,000 (page 2 of 200)').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Tables');
  assert.equal(await page.locator('li.dm-table').first().getAttribute('data-table'), 'db0.schema_00.table_0050');

  // An inferred relationship accepted from the diagram's text alternative.
  const list = page.getByRole('list', { name: 'Relationships in this schema' });
  const first = list.locator('li.rel-inferred').first();
  const text = await first.locator('.rel-text').innerText();
  await first.getByRole('button', { name: /^Accept/ }).click();
  await list.locator('li.rel', { has: page.locator('.rel-text', { hasText: text }) }).getByText('inferred, accepted').waitFor();
  await page.getByText('3,000 relationships: 1,000 declared, 1,999 inferred to review, 1 accepted, 0 rejected').waitFor();

  // Keyboard: the diagram is one tab stop; arrows walk its tables.
  await page.getByRole('img', { name: /^Diagram of schema db0\.schema_00: 60 tables/ }).focus();
  await page.keyboard.press('ArrowRight');
  assert.match(await page.locator('.diagram-status').innerText(), /^schema_00\.table_0000, fact/);
  await page.getByRole('heading', { name: 'Diagram', exact: true }).scrollIntoViewIfNeeded();
  await screenshot(page, 'data-map-10000');
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`), []);
  assert.deepEqual(browser.problems, []);
  await page.close();
});

test('Data Map diagram of a TICKIT-shaped schema: layers, solid and dashed edges, rejected hidden (stub API)', async () => {
  const page = await browser.context.newPage();
  await routeFakeApi(page, bigCatalog({ databases: 1, schemas: 1, tables: 1 }), tickitDataMap());
  await page.goto(`${web.url}/data-map`);
  const diagram = page.getByRole('img', { name: 'Diagram of schema dev.tickit: 8 tables, 10 relationships drawn' });
  await diagram.waitFor();
  // 11 relationships: 6 declared and 1 accepted solid, 3 inferred dashed, 1 rejected not drawn
  assert.equal(await page.locator('.diagram-svg path.edge-fact').count(), 7);
  assert.equal(await page.locator('.diagram-svg path.edge-inferred').count(), 3);
  // sales references listing, which references event: each a layer below the other
  const box = (name) => page.locator('.diagram-svg g.box').filter({ has: page.locator('text.box-title', { hasText: new RegExp(`^${name}$`) }) });
  const y = async (name) => Number((await box(name).getAttribute('transform')).match(/^translate\(\S+ (\S+)\)$/)[1]);
  assert.ok((await y('sales')) < (await y('listing')) && (await y('listing')) < (await y('event')));
  await diagram.focus();
  await page.keyboard.press('ArrowRight');
  assert.match(await page.locator('.diagram-status').innerText(), /^tickit\.sales, fact/);
  await page.getByRole('heading', { name: 'Diagram', exact: true }).evaluate((e) => e.scrollIntoView({ block: 'start' }));
  await screenshot(page, 'data-map-tickit');
  assert.deepEqual(browser.problems, []);
  await page.close();
});

test('built portal size (gzip -9)', () => {
  const dir = distDir();
  let raw = 0;
  let gz = 0;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const b = fs.readFileSync(p);
        raw += b.length;
        gz += zlib.gzipSync(b, { level: 9 }).length;
      }
    }
  };
  walk(dir);
  figures.portal_bytes = raw;
  figures.portal_gzip_bytes = gz;
  assert.ok(raw > 0);
});
