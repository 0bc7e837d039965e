// `schemaport mcp` driven by the official MCP TypeScript SDK as the client, over stdio.
// Started by tests/integration/mcp_stdio_test.cc, which prepares a store and passes:
//   SCHEMAPORT_BIN        the schemaport binary
//   SCHEMAPORT_DATA_DIR   the data dir of the prepared store
//   SCHEMAPORT_TOKEN      an API token of the org under test
//   OTHER_ORG_TOKEN       an API token of another org
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';

const env = process.env;
const clients = [];

async function connect(token) {
  const transport = new StdioClientTransport({
    command: env.SCHEMAPORT_BIN,
    args: ['mcp', '--data-dir', env.SCHEMAPORT_DATA_DIR],
    env: { SCHEMAPORT_TOKEN: token },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => (stderr += d));
  const client = new Client({ name: 'schemaport-test', version: '1.0.0' });
  clients.push(client);
  try {
    await client.connect(transport);
  } catch (e) {
    e.stderr = stderr;
    throw e;
  }
  return client;
}

// One session for the org under test, shared by the tests (as an assistant would hold it).
let shared;
function session() {
  shared ??= connect(env.SCHEMAPORT_TOKEN);
  return shared;
}

after(async () => {
  for (const c of clients) await c.close().catch(() => {});
});

async function call(client, name, args = {}) {
  const r = await client.callTool({ name, arguments: args });
  assert.equal(r.isError, false, JSON.stringify(r.content));
  const parsed = JSON.parse(r.content[0].text);
  assert.deepEqual(parsed, r.structuredContent);
  return parsed;
}

async function all(client, name, args) {
  const items = [];
  let cursor;
  let pages = 0;
  do {
    const page = await call(client, name, { ...args, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    cursor = page.next_cursor ?? undefined;
    if (cursor) assert.match(page.note, new RegExp(`call ${name} again`));
    pages++;
  } while (cursor && pages < 100);
  return { items, pages };
}

test('initializes with the current protocol and lists six read-only tools', async () => {
  const client = await session();
  assert.equal(client.getServerVersion().name, 'schemaport');
  assert.ok(client.getServerCapabilities().tools);
  assert.equal(LATEST_PROTOCOL_VERSION, '2025-11-25');
  const { tools } = await client.listTools();
  assert.deepEqual(
    tools.map((t) => t.name),
    ['list_databases', 'list_schemas', 'list_tables', 'describe_table', 'search_tables', 'list_relationships'],
  );
  for (const t of tools) {
    assert.equal(t.annotations.readOnlyHint, true);
    assert.equal(t.inputSchema.type, 'object');
  }
  await client.ping();
});

test('serves only the saved tables of the token\'s org, paged', async () => {
  const client = await session();
  const dbs = await call(client, 'list_databases');
  assert.deepEqual(dbs.items.map((d) => [d.database, d.connection, d.tables]), [['dev', 'tickit prod', 9]]);
  const schemas = await call(client, 'list_schemas', { database: 'dev' });
  assert.deepEqual(schemas.items.map((s) => s.schema), ['Odd "schema"', 'public']);
  const { items, pages } = await all(client, 'list_tables', { database: 'dev', limit: 2 });
  assert.equal(pages, 5);
  const names = items.map((t) => `${t.schema}.${t.table}`).sort();
  assert.deepEqual(names, [
    'Odd "schema".Ünïcode table',
    'public.category',
    'public.date',
    'public.event',
    'public.listing',
    'public.sales',
    'public.users',
    'public.venue',
    'public.web_visits',
  ]);
  const text = JSON.stringify(items);
  assert.ok(!text.includes('unsaved_secret'), 'an unsaved table was returned');
  assert.ok(!text.includes('other_org'), 'another org\'s table was returned');
  const sales = items.find((t) => t.table === 'sales');
  assert.equal(sales.role, 'fact');
});

test('describes a table with its keys and relationships', async () => {
  const client = await session();
  const sales = await call(client, 'describe_table', { database: 'dev', schema: 'public', table: 'sales' });
  assert.equal(sales.comment, 'one row per ticket sale');
  assert.deepEqual(sales.items.map((c) => c.name).slice(0, 3), ['salesid', 'listid', 'sellerid']);
  assert.equal(sales.items[0].primary_key, true);
  assert.ok(sales.keys.some((k) => k.kind === 'foreign_key' && k.references.table === 'event'));
  const declared = sales.relationships.filter((r) => r.status === 'declared').map((r) => r.to.table).sort();
  assert.deepEqual(declared, ['date', 'event', 'listing', 'users', 'users']);
  // web_visits has no declared keys: its relationships are inferred, with evidence. The test
  // stored decisions: eventid -> event accepted (a fact), user_id -> users rejected (not shown).
  const visits = await call(client, 'describe_table', { database: 'dev', schema: 'public', table: 'web_visits' });
  const accepted = visits.relationships.find((r) => r.from.columns[0] === 'eventid');
  assert.equal(accepted.status, 'accepted');
  assert.equal(accepted.to.table, 'event');
  assert.ok(accepted.confidence > 0 && accepted.confidence < 1);
  assert.ok(accepted.evidence.length > 0);
  assert.ok(!visits.relationships.some((r) => r.from.columns[0] === 'user_id'), 'a rejected relationship was described');
  const odd = await call(client, 'describe_table', { database: 'dev', schema: 'Odd "schema"', table: 'Ünïcode table' });
  assert.equal(odd.items[0].name, 'Mixed "Case" col');
});

test('searches names, comments and columns, and lists relationships', async () => {
  const client = await session();
  const venue = await call(client, 'search_tables', { query: 'venue' });
  assert.equal(venue.items[0].table, 'venue');
  assert.ok(venue.items.some((t) => t.table === 'event' && t.matched.includes('column name')));
  const byComment = await call(client, 'search_tables', { query: 'ticket sale' });
  assert.deepEqual(byComment.items.map((t) => t.table), ['sales']);
  const facts = await all(client, 'list_relationships', { status: 'facts', limit: 3 });
  assert.ok(facts.items.length >= 10);
  assert.ok(facts.items.every((r) => r.status === 'declared' || r.status === 'accepted'));
  assert.ok(facts.items.some((r) => r.status === 'accepted' && r.from.table === 'web_visits'));
  const rejected = await call(client, 'list_relationships', { status: 'rejected' });
  assert.deepEqual(rejected.items.map((r) => `${r.from.table}.${r.from.columns[0]}`), ['web_visits.user_id']);
  assert.ok(rejected.items.every((r) => r.evidence.length > 0));
  const shown = await all(client, 'list_relationships', {});
  assert.ok(!shown.items.some((r) => r.status === 'rejected'), 'rejected ones are listed by default');
});

test('bad arguments are tool errors that say what is wrong', async () => {
  const client = await session();
  let r = await client.callTool({ name: 'describe_table', arguments: { database: 'dev', schema: 'public' } });
  assert.equal(r.isError, true);
  assert.equal(r.content[0].text, 'table: required (a string)');
  r = await client.callTool({ name: 'list_tables', arguments: { database: 'dev', limit: 5000 } });
  assert.equal(r.isError, true);
  assert.match(r.content[0].text, /^limit: must be an integer from 1 to 200$/);
  r = await client.callTool({ name: 'describe_table', arguments: { database: 'dev', schema: 'public', table: 'unsaved_secret' } });
  assert.equal(r.isError, true);
  assert.match(r.content[0].text, /no saved table public\.unsaved_secret/);
  await assert.rejects(client.callTool({ name: 'drop_table', arguments: {} }), (e) => e.code === -32602);
});

test('another org\'s token sees only that org', async () => {
  const client = await connect(env.OTHER_ORG_TOKEN);
  const dbs = await call(client, 'list_databases');
  assert.deepEqual(dbs.items.map((d) => d.connection), ['other']);
  const tables = await call(client, 'list_tables', { database: 'dev' });
  assert.deepEqual(tables.items.map((t) => t.table), ['other_org_table']);
});

test('a wrong token is refused before the protocol starts', async () => {
  await assert.rejects(connect('not-a-token'), (e) => {
    assert.match(e.stderr ?? '', /SCHEMAPORT_TOKEN is not a valid API token/);
    return true;
  });
});
