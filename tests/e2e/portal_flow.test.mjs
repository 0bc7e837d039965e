// The portal's seed flow in a real browser against a real `schemaport serve`, the aws-emulator
// and a private PostgreSQL, driven by the visible labels of DESIGN §1. One browser session walks
// the flow in order; each step is its own test. Screenshots of each screen go to the artifacts
// (and to docs/img with SCHEMAPORT_UPDATE_DOC_IMAGES=1); axe checks each screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import {
  REGION, WORKGROUP, binDir, identities, launchBrowser, screenshot, startEmulator, startPostgres, startServer,
} from './harness.mjs';

const DATABASE = 'dev';
const ADMIN = { org: 'Acme Analytics', email: 'admin@acme.example', password: 'correct horse battery staple' };
const CONNECTION = 'acme-warehouse';

const FIXTURE = `
CREATE SCHEMA sales;
CREATE TABLE sales.orders (id bigint NOT NULL PRIMARY KEY, customer_id integer, campaign_id integer, amount numeric(12,2), ordered_at timestamp);
COMMENT ON TABLE sales.orders IS 'one row per order';
COMMENT ON COLUMN sales.orders.amount IS 'in EUR';
CREATE TABLE sales.customers (id integer NOT NULL, name varchar(200), email varchar(320));
CREATE VIEW sales.big_orders AS SELECT id, amount FROM sales.orders WHERE amount > 100;
CREATE SCHEMA marketing;
CREATE TABLE marketing.campaigns (id integer NOT NULL PRIMARY KEY, name varchar(100), budget numeric(10,2));
CREATE TABLE marketing.events (id bigint, campaign_id integer REFERENCES marketing.campaigns (id), at timestamp);
CREATE SCHEMA staging;
CREATE TABLE staging.tmp_load (line text);
CREATE TABLE staging.locked (x int);
GRANT USAGE ON SCHEMA sales, marketing, staging TO PUBLIC;
GRANT SELECT ON sales.orders, sales.customers, sales.big_orders, marketing.campaigns, marketing.events, staging.tmp_load TO PUBLIC;
`;

// `schemaport serve` arrives with the server issue; until this build has it, the flow is skipped.
const help = spawnSync(path.join(binDir, 'schemaport'), ['--help'], { encoding: 'utf8' });
const hasServe = /^\s+serve\b/m.test(help.stdout ?? '');
const skip = hasServe ? false : 'this build has no `schemaport serve` yet';

let pg;
let emu;
let server;
let browser;
let page;
const apiBodies = []; // every API response body the page received
const bodyReads = [];

before(async () => {
  if (skip) return;
  pg = await startPostgres();
  pg.sql('postgres', `CREATE DATABASE ${DATABASE}`);
  emu = await startEmulator(pg, DATABASE); // installs the emulator's catalog objects
  pg.sql(DATABASE, FIXTURE);
  server = await startServer(emu);
  browser = await launchBrowser();
  page = browser.page;
  page.on('response', (r) => {
    if (!new URL(r.url()).pathname.startsWith('/api/')) return;
    bodyReads.push(
      r.text().then(
        (t) => apiBodies.push(`${r.request().method()} ${r.url()}\n${t}`),
        () => {},
      ),
    );
  });
}, { timeout: 180000 });

after(async () => {
  await browser?.close();
  await server?.stop();
  await emu?.stop();
  await pg?.stop();
}, { timeout: 60000 });

// The steps depend on each other: once one fails, the rest fail at once instead of timing out.
let broken = '';
function flow(name, fn) {
  test(name, { skip }, async () => {
    if (broken) throw new Error(`skipped: an earlier step failed (${broken})`);
    try {
      await fn();
    } catch (e) {
      broken = name;
      throw e;
    }
  });
}

async function axe(name) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    serious.map((v) => `${name}: ${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`),
    [],
  );
}

const sidebar = (label) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true });
const step = (title) => page.locator('li.step', { has: page.locator('.step-title', { hasText: title }) });

async function fillConnection({ key, secret, name = CONNECTION }) {
  await page.getByLabel('Connection name').fill(name);
  await page.getByLabel('Access Key ID').fill(key);
  await page.getByLabel('Secret Key').fill(secret);
  await page.getByLabel('Region').fill(REGION);
  await page.getByLabel('Serverless', { exact: true }).check();
  await page.getByLabel('Workgroup').fill(WORKGROUP);
  await page.getByLabel('Database', { exact: true }).fill(DATABASE);
}

async function testConnection() {
  await page.getByRole('button', { name: 'Test Connection' }).click();
  await page.getByRole('region', { name: 'Test results' }).waitFor({ timeout: 60000 });
}

flow('setup: the first admin with the printed setup token', async () => {
  await page.goto(server.url);
  await page.getByLabel('Setup token').waitFor();
  await screenshot(page, 'setup');
  await axe('setup');
  await page.getByLabel('Setup token').fill(server.setupToken);
  await page.getByLabel('Organization').fill(ADMIN.org);
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Set up' }).click();
  await sidebar('Connect').waitFor();
  for (const label of ['Connect', 'Metadata', 'Data Map', 'Settings']) assert.ok(await sidebar(label).isVisible(), label);
});

flow('log out and log in', async () => {
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  await screenshot(page, 'login');
  await axe('login');
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill('wrong password!');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').innerText(), /Request ID: \S+/);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await sidebar('Connect').waitFor();
});

flow('Connect > Data Store > Redshift: inline validation before anything is sent', async () => {
  await sidebar('Connect').click();
  await page.getByRole('group', { name: 'Data Store' }).getByLabel('Redshift').check();
  let sent = 0;
  const count = (r) => void (r.url().includes('/api/v1/connections') && r.method() === 'POST' && ++sent);
  page.on('request', count);
  await page.getByLabel('Access Key ID').fill('akia-not-a-key');
  await page.getByLabel('Region').fill('moon-1');
  await page.getByLabel('Role ARN').fill('arn:aws:iam::123:user/x');
  await page.getByRole('button', { name: 'Test Connection' }).click();
  await page.getByText('Access Key ID: must be 16 to 128 upper-case letters and digits').waitFor();
  await page.getByText('Region: is not an AWS Region name such as us-east-1').waitFor();
  await page.getByText('Role ARN: is not an IAM role ARN').waitFor();
  await page.getByText('Workgroup: is required').waitFor();
  assert.equal(await page.getByLabel('Access Key ID').getAttribute('aria-invalid'), 'true');
  await page.getByLabel('Provisioned', { exact: true }).check();
  await page.getByLabel('Cluster identifier').fill('9-bad--name');
  await page.getByText('Cluster identifier: use 1 to 63 lower-case letters').waitFor();
  assert.ok(await page.getByLabel('Database user').isVisible());
  await page.getByLabel('Role ARN').fill('');
  page.off('request', count);
  assert.equal(sent, 0, 'nothing was sent while the form was invalid');
});

flow('a wrong secret key fails the Credentials valid step', async () => {
  await fillConnection({ key: identities.alice.key, secret: 'wrong/Secret+Key0000000000000000000000000' });
  await testConnection();
  const s = step('Credentials valid');
  assert.equal(await s.getAttribute('data-status'), 'failed');
  assert.match(await s.innerText(), /Failed/);
});

flow('a user without redshift-serverless:GetCredentials sees the step naming it', async () => {
  await fillConnection({ key: identities.bob.key, secret: identities.bob.secret });
  await testConnection();
  const s = step('Temporary credentials allowed');
  assert.equal(await s.getAttribute('data-status'), 'failed');
  assert.match(await s.innerText(), /redshift-serverless:GetCredentials/);
  assert.ok(await s.getByRole('button', { name: /Copy the fix/ }).isVisible());
  assert.equal(await step('Credentials valid').getAttribute('data-status'), 'ok');
  await s.scrollIntoViewIfNeeded();
  await screenshot(page, 'connect-test-failed');
});

flow('Test Connection passes every step, Save Connection lists it', async () => {
  await fillConnection({ key: identities.alice.key, secret: identities.alice.secret });
  await testConnection();
  for (const title of ['Credentials valid', 'Data API allowed', 'Temporary credentials allowed', 'Database reachable', 'Catalog readable', 'SELECT granted on at least one table']) {
    assert.equal(await step(title).getAttribute('data-status'), 'ok', title);
  }
  assert.match(await step('Credentials valid').innerText(), /IAM:alice/);
  await step('SELECT granted on at least one table').scrollIntoViewIfNeeded();
  await screenshot(page, 'connect');
  await axe('connect');
  await page.getByRole('button', { name: 'Save Connection' }).click();
  await page.getByText(`Saved “${CONNECTION}”`).waitFor();
  await page.getByRole('cell', { name: CONNECTION, exact: true }).waitFor();
});

flow('editing keeps the secret when left empty; delete asks, naming the connection', async () => {
  await page.getByRole('button', { name: `Edit ${CONNECTION}` }).click();
  const secret = page.getByLabel('Secret Key');
  assert.equal(await secret.inputValue(), '');
  assert.match(await secret.getAttribute('placeholder'), /Set/);
  await page.getByRole('button', { name: 'Test Connection' }).click(); // unchanged: tests the saved connection
  await page.getByRole('region', { name: 'Test results' }).waitFor({ timeout: 60000 });
  assert.equal(await step('Catalog readable').getAttribute('data-status'), 'ok');
  await page.getByRole('button', { name: 'Save Connection' }).click();
  await page.getByText(`Updated “${CONNECTION}”`).waitFor();
  await page.getByRole('button', { name: `Delete ${CONNECTION}` }).click();
  const dialog = page.getByRole('alertdialog');
  assert.match(await dialog.innerText(), new RegExp(`Delete the connection “${CONNECTION}”`));
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('cell', { name: CONNECTION, exact: true }).waitFor();
});

flow('Metadata: fetch, select by the tree and by a pattern, save; only the selection is saved', async () => {
  await sidebar('Metadata').click();
  await page.getByText('No metadata fetched yet').waitFor();
  await page.getByRole('button', { name: 'Fetch Metadata' }).click();
  await page.getByLabel('Search tables').waitFor({ timeout: 60000 });
  // badges
  const bigOrders = page.locator('.row', { has: page.getByLabel('big_orders', { exact: true }) });
  assert.match(await bigOrders.innerText(), /view/);
  const locked = page.locator('.row', { has: page.getByLabel('locked', { exact: true }) });
  assert.match(await locked.innerText(), /no SELECT/);
  // by the tree
  await page.getByRole('checkbox', { name: 'orders', exact: true }).check();
  // by a pattern
  await page.getByLabel('Include').fill(`${DATABASE}.marketing`);
  await page.getByText('Patterns match 2 tables').waitFor();
  await page.getByText('3 of 7 tables selected').waitFor();
  // search as you type
  await page.getByLabel('Search tables').fill('camp');
  assert.equal(await page.locator('.tree .row.level-3').count(), 1);
  await page.getByLabel('Search tables').fill('');
  await screenshot(page, 'metadata');
  await axe('metadata');
  await page.getByRole('button', { name: 'Save Metadata' }).click();
  await page.getByText('Metadata saved.').waitFor({ timeout: 60000 });
  const saved = page.getByRole('region', { name: 'Saved tables' });
  const savedText = await saved.innerText();
  for (const t of ['dev.sales.orders', 'dev.marketing.campaigns', 'dev.marketing.events']) assert.match(savedText, new RegExp(t.replace(/\./g, '\\.')));
  for (const t of ['customers', 'big_orders', 'tmp_load', 'locked']) assert.doesNotMatch(savedText, new RegExp(`\\.${t}\\b`));
  await saved.getByText('numeric(12,2)').first().waitFor();
  // Read again: the columns load after the list (savedText may say "Loading columns…").
  assert.match(await saved.innerText(), /amount/);
  await screenshot(page, 'metadata-saved');
});

// The Data Map of the saved tables: marketing.events -> marketing.campaigns is a declared foreign
// key; sales.orders (campaign_id) -> marketing.campaigns (id) is inferred from the name and type.
const DECLARED = 'marketing.events (campaign_id) → marketing.campaigns (id)';
const INFERRED = 'sales.orders (campaign_id) → marketing.campaigns (id)';
const tableItem = (name) => page.locator(`li[data-table="${name}"]`);
const relItem = (scope, text) => scope.locator('li.rel', { has: page.locator('.rel-text', { hasText: text }) });
const dataMapJson = async () => {
  const id = (await page.getByLabel('Connection', { exact: true }).inputValue()) || '';
  const r = await page.request.get(`${server.url}/api/v1/connections/${encodeURIComponent(id)}/datamap`);
  assert.equal(r.status(), 200);
  return r.json();
};

flow('Data Map: saved tables by schema with columns, keys and comments', async () => {
  await sidebar('Data Map').click();
  await page.getByRole('heading', { name: 'dev.sales' }).waitFor();
  await page.getByRole('heading', { name: 'dev.marketing' }).waitFor();
  await page.getByText('one row per order').waitFor();
  await page.getByText('in EUR').waitFor();
  await page.getByText('2 relationships: 1 declared, 1 inferred to review, 0 accepted, 0 rejected').waitFor();
  const campaigns = tableItem('dev.marketing.campaigns');
  await campaigns.getByRole('cell', { name: 'budget' }).waitFor();
  const idRow = campaigns.getByRole('row', { name: /^id\b/ });
  assert.match(await idRow.innerText(), /PK/);
  assert.match(await campaigns.innerText(), /Suggested: (fact|dimension|lookup)/);
  await screenshot(page, 'data-map');
  await axe('data-map');
});

flow('Data Map: a declared relationship is a fact; an inferred one is accepted, cleared and rejected', async () => {
  const events = tableItem('dev.marketing.events');
  const declared = relItem(events, DECLARED);
  assert.match(await declared.innerText(), /declared/);
  assert.equal(await declared.getByRole('button', { name: /^Accept/ }).count(), 0, 'no decision on a declared relationship');

  const orders = tableItem('dev.sales.orders');
  const inferred = relItem(orders, INFERRED);
  assert.match(await inferred.innerText(), /inferred, \d+% confidence/);
  assert.ok((await inferred.locator('.evidence li').count()) > 0, 'evidence shown');
  await inferred.getByRole('button', { name: /^Accept/ }).click();
  await inferred.getByText('inferred, accepted').waitFor();
  assert.equal(await inferred.getByRole('button', { name: /^Accept/ }).getAttribute('aria-pressed'), 'true');
  await page.getByText('2 relationships: 1 declared, 0 inferred to review, 1 accepted, 0 rejected').waitFor();
  assert.equal((await dataMapJson()).relationships.find((r) => r.from.name === 'orders').status, 'accepted');

  await inferred.getByRole('button', { name: /^Clear the decision/ }).click();
  await inferred.getByText(/inferred, \d+% confidence/).waitFor();
  await inferred.getByRole('button', { name: /^Reject/ }).click();
  await inferred.getByText('inferred, rejected').waitFor();
  const saved = await dataMapJson();
  assert.equal(saved.relationships.find((r) => r.from.name === 'orders').status, 'rejected');
  assert.deepEqual(saved.counts, { tables: 3, relationships: 2, declared: 1, inferred: 0, accepted: 0, rejected: 1 });
});

flow('Data Map: a table role is overridden and returned to the suggestion', async () => {
  const orders = tableItem('dev.sales.orders');
  const role = orders.getByLabel('Role', { exact: true });
  const suggested = (await dataMapJson()).tables.find((t) => t.name === 'orders').suggested_role;
  const other = suggested === 'lookup' ? 'dimension' : 'lookup';
  await role.selectOption(other);
  await orders.getByText(`Set by you: ${other}`).waitFor();
  let t = (await dataMapJson()).tables.find((x) => x.name === 'orders');
  assert.deepEqual([t.role, t.role_overridden], [other, true]);
  await role.selectOption('auto');
  await orders.getByText(`Suggested: ${suggested}`).waitFor();
  t = (await dataMapJson()).tables.find((x) => x.name === 'orders');
  assert.deepEqual([t.role, t.role_overridden], [suggested, false]);
});

flow('Data Map: the diagram draws the schema, is reachable by keyboard and has its relationships as text', async () => {
  await page.getByLabel('Schema', { exact: true }).selectOption('dev.marketing');
  const diagram = page.getByRole('img', { name: /^Diagram of schema dev\.marketing: 2 tables, 1 relationship drawn/ });
  await diagram.waitFor();
  assert.equal(await page.locator('.diagram-svg path.edge').count(), 1, 'the declared relationship; the rejected one is not drawn');
  assert.equal(await page.locator('.diagram-svg path.edge-fact').count(), 1);
  await diagram.focus();
  await page.keyboard.press('ArrowRight');
  assert.match(await page.locator('.diagram-status').innerText(), /^marketing\.(campaigns|events), /);
  const list = page.getByRole('list', { name: 'Relationships in this schema' });
  assert.match(await list.innerText(), new RegExp(DECLARED.replace(/[().]/g, '\\$&')));
  assert.match(await list.innerText(), /inferred, rejected/); // the cross-schema one touches campaigns
  await page.getByRole('heading', { name: 'Diagram', exact: true }).scrollIntoViewIfNeeded();
  await screenshot(page, 'data-map-diagram');
  await axe('data-map-diagram');
});

flow('Data Map: the four downloads and how to connect an assistant', async () => {
  const downloads = page.getByRole('region', { name: 'Downloads' });
  const expected = { 'Catalog JSON': /json/, 'dbt sources YAML': /yaml/, DDL: /sql/, Markdown: /markdown/ };
  for (const [label, type] of Object.entries(expected)) {
    const href = await downloads.getByRole('link', { name: label, exact: true }).getAttribute('href');
    const r = await page.request.get(new URL(href, server.url).toString());
    assert.equal(r.status(), 200, label);
    assert.match(r.headers()['content-type'], type, label);
    assert.match(r.headers()['content-disposition'], /^attachment; filename="[^"]+"$/, label);
    const body = await r.text();
    assert.match(body, /campaigns/, label);
    if (label === 'Catalog JSON') assert.equal(JSON.parse(body).relationships.length, 2);
    if (label === 'DDL') assert.match(body, /REFERENCES/); // the declared key
  }
  const assistant = page.getByRole('region', { name: 'Connect an assistant' });
  const text = await assistant.innerText();
  assert.match(text, /schemaport mcp/);
  assert.match(text, /SCHEMAPORT_TOKEN/);
  const config = JSON.parse(await assistant.locator('pre').nth(1).innerText());
  assert.deepEqual(config.mcpServers.schemaport.args.slice(0, 1), ['mcp']);
  assert.equal(config.mcpServers.schemaport.env.SCHEMAPORT_TOKEN, '<your API token>');
});

flow('Refresh marks new, removed and changed tables and keeps the selection', async () => {
  pg.sql(
    DATABASE,
    `CREATE TABLE marketing.leads (id int, email varchar(320));
     CREATE TABLE sales.refunds (id int, order_id bigint);
     DROP TABLE marketing.events;
     ALTER TABLE sales.orders ADD COLUMN discount numeric(5,2);
     GRANT SELECT ON marketing.leads, sales.refunds TO PUBLIC;`,
  );
  await sidebar('Metadata').click();
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.getByText('Refreshed.').waitFor({ timeout: 60000 });
  const show = page.getByLabel('Show', { exact: true });
  await show.selectOption('new');
  const rowOf = (name) => page.locator('.tree .row', { has: page.getByLabel(name, { exact: true }) });
  await rowOf('leads').waitFor();
  assert.match(await rowOf('leads').innerText(), /new/);
  assert.match(await rowOf('refunds').innerText(), /new/);
  await show.selectOption('removed');
  assert.match(await rowOf('events').innerText(), /removed/);
  await show.selectOption('changed');
  assert.match(await rowOf('orders').innerText(), /changed/);
  await screenshot(page, 'metadata-refresh');
  await show.selectOption('all');
  // the earlier selection is kept; the new table matching the Include pattern joins it
  assert.ok(await page.getByRole('checkbox', { name: 'orders', exact: true }).isChecked());
  assert.ok(await page.getByRole('checkbox', { name: 'campaigns', exact: true }).isChecked());
  assert.ok(await page.getByRole('checkbox', { name: 'leads', exact: true }).isChecked());
  assert.ok(!(await page.getByRole('checkbox', { name: 'refunds', exact: true }).isChecked()));
  assert.ok(!(await page.getByRole('checkbox', { name: 'customers', exact: true }).isChecked()));
});

flow('Data Map after a new save: the relationship of a dropped table is marked removed, decisions survive', async () => {
  await page.getByRole('button', { name: 'Save Metadata' }).click();
  await page.getByText('Metadata saved.').waitFor({ timeout: 60000 });
  await sidebar('Data Map').click();
  const removed = page.getByRole('region', { name: 'Removed since the previous save' });
  await removed.waitFor();
  const item = relItem(removed, DECLARED);
  assert.match(await item.innerText(), /removed/);
  assert.match(await page.locator('p.counts').innerText(), /since the previous save: \d+ new, \d+ changed, 1 removed/);
  assert.equal(await tableItem('dev.marketing.events').count(), 0, 'the dropped table left the map');
  assert.match(await relItem(tableItem('dev.sales.orders'), INFERRED).innerText(), /inferred, rejected/);
  const filter = page.getByLabel('Relationships', { exact: true });
  await filter.selectOption('changes');
  await tableItem('dev.sales.orders').waitFor({ state: 'detached' }); // none of its relationships changed
  await filter.selectOption('all');
  await tableItem('dev.sales.orders').waitFor();
});

flow('Settings: API token shown once, users, audit log', async () => {
  await sidebar('Settings').click();
  await page.getByRole('heading', { name: 'API tokens' }).waitFor();
  await page.getByLabel('Token name').fill('ci');
  await page.getByRole('button', { name: 'Create token' }).click();
  await page.getByText('Copy it now: it will not be shown again.').waitFor();
  await page.getByRole('button', { name: 'Done' }).click();
  await page.getByRole('cell', { name: 'ci', exact: true }).waitFor();
  await page.getByLabel("New user's email").fill('member@acme.example');
  await page.getByLabel('Initial password').fill('another long password');
  await page.getByRole('button', { name: 'Add user' }).click();
  await page.getByText('Added member@acme.example.').waitFor();
  await page.getByRole('heading', { name: 'Audit log' }).waitFor();
  await screenshot(page, 'settings');
  await axe('settings');
});

flow('an expired session returns to login and back to where the user was', async () => {
  await sidebar('Data Map').click();
  await page.getByRole('heading', { name: 'dev.sales' }).waitFor();
  await page.waitForLoadState('networkidle'); // the columns are loaded: nothing in flight
  await page.context().clearCookies();
  await sidebar('Metadata').click();
  await page.getByText('Your session has ended').waitFor();
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Metadata', level: 1 }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/metadata');
});

flow('the secret key appears nowhere: DOM, storage, network responses', async () => {
  await Promise.all(bodyReads);
  const secret = identities.alice.secret;
  for (const where of ['/connect', '/metadata', '/data-map', '/settings']) {
    await sidebar({ '/connect': 'Connect', '/metadata': 'Metadata', '/data-map': 'Data Map', '/settings': 'Settings' }[where]).click();
    await page.waitForLoadState('networkidle');
    const dom = await page.evaluate(() => document.documentElement.outerHTML + [...document.querySelectorAll('input,textarea')].map((e) => e.value).join('\n'));
    assert.ok(!dom.includes(secret), `secret in the DOM of ${where}`);
  }
  const storage = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  assert.ok(!storage.includes(secret), 'secret in web storage');
  await Promise.all(bodyReads);
  assert.ok(apiBodies.length > 20, `${apiBodies.length} API responses seen`);
  const leaks = apiBodies.filter((b) => b.includes(secret));
  assert.deepEqual(leaks.map((b) => b.split('\n')[0]), []);
  assert.deepEqual(browser.problems, [], 'console errors or CSP violations');
});
