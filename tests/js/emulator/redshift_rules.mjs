// Where Redshift is not PostgreSQL, checked with the official SDK: materialized views as a view
// plus a backing table, datashare (consumer) databases, external tables of every database,
// keys any user can read, column grants, the statements Redshift refuses (leader-node-only and
// unsupported functions with compute-node tables; DDL of unsupported PostgreSQL features), and the
// Data API's limits: 64 KB rows, the result cap, pages bounded by rows and bytes, and request
// quotas per account and Region.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  ExecuteStatementCommand, DescribeStatementCommand, GetStatementResultCommand, ListStatementsCommand,
} from '@aws-sdk/client-redshift-data';
import { admin, clients, creds, check, database, cluster, expectError } from './lib.mjs';

const alice = clients(creds('alice')).data;
const where = { Database: database, ClusterIdentifier: cluster, DbUser: 'analyst' };

function superuser(sql) {
  return execFileSync(process.env.PSQL, ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' });
}

// Runs `sql` as `analyst`; returns the final description (FINISHED or FAILED).
async function run(sql) {
  const out = await alice.send(new ExecuteStatementCommand({ ...where, Sql: sql }));
  for (;;) {
    const d = await alice.send(new DescribeStatementCommand({ Id: out.Id, WaitTimeSeconds: 10 }));
    if (['FINISHED', 'FAILED', 'ABORTED'].includes(d.Status)) return d;
  }
}

async function rows(sql) {
  const d = await run(sql);
  assert.equal(d.Status, 'FINISHED', d.Error);
  const r = await alice.send(new GetStatementResultCommand({ Id: d.Id }));
  return r.Records.map((row) => row.map((f) => (f.isNull ? null : Object.values(f)[0])));
}

const refused = 'Specified types or functions (one per INFO message) not supported on Redshift tables.';

superuser(`
  DELETE FROM pg_catalog.emulator_materialized_views; DELETE FROM pg_catalog.emulator_table_keys;
  DELETE FROM pg_catalog.emulator_datashares; DELETE FROM pg_catalog.emulator_datashare_tables;
  DELETE FROM pg_catalog.emulator_datashare_columns; DELETE FROM pg_catalog.emulator_external_tables;
  DROP VIEW IF EXISTS sales.order_count; DROP TABLE IF EXISTS sales.mv_tbl__order_count__0, sales.partial, sales.wide_rows;
  SELECT pg_catalog.emulator_create_materialized_view('sales', 'order_count', 'SELECT count(*) AS n FROM sales.orders', 'analyst');
  INSERT INTO pg_catalog.emulator_table_keys VALUES ('sales', 'orders', 'id', true, 1), ('sales', 'orders', 'created', false, -2);
  INSERT INTO pg_catalog.emulator_datashares (share_name, consumer_database, producer_account, producer_namespace, share_acl)
    VALUES ('salesshare', 'sales_share', '210987654321', 'ns-1', 'analyst=U');
  INSERT INTO pg_catalog.emulator_datashare_tables (database_name, schema_name, table_name) VALUES ('sales_share', 'public', 'customers');
  INSERT INTO pg_catalog.emulator_external_tables (redshift_database_name, schemaname, tablename) VALUES ('other_db', 'spectrum', 'elsewhere');
  CREATE TABLE sales.partial (visible int, hidden int); GRANT SELECT (visible) ON sales.partial TO analyst;
  CREATE TABLE sales.wide_rows (id int, payload text);
  INSERT INTO sales.wide_rows SELECT i, repeat('x', 10000) FROM generate_series(1, 300) i;
  INSERT INTO sales.wide_rows VALUES (1000, repeat('y', 70000));
  GRANT SELECT ON sales.wide_rows TO analyst;
  DROP SCHEMA IF EXISTS ddl_rules CASCADE; CREATE SCHEMA ddl_rules AUTHORIZATION analyst;
`);

await check('a materialized view is a view (relkind v) with a backing table, listed by svv_mv_info', async () => {
  const kinds = await rows("select relname, relkind from pg_class where relname in ('order_count', 'mv_tbl__order_count__0') order by 1");
  assert.deepEqual(kinds, [['mv_tbl__order_count__0', 'r'], ['order_count', 'v']]);
  assert.deepEqual(await rows("select count(*) from pg_class where relkind = 'm'"), [[0]]);
  const mv = await rows('select trim(schema_name), trim(name), trim(user_name) from svv_mv_info');
  assert.deepEqual(mv, [['sales', 'order_count', 'analyst']]);
});

await check('datashare databases: svv_redshift_databases, svv_datashares, svv_redshift_tables', async () => {
  const dbs = await rows('select database_name, database_type from svv_redshift_databases order by 1');
  assert.deepEqual(dbs, [[database, 'local'], ['sales_share', 'shared']].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  const shares = await rows("select consumer_database, producer_account, producer_namespace from svv_datashares where share_type = 'INBOUND'");
  assert.deepEqual(shares, [['sales_share', '210987654321', 'ns-1']]);
  const t = await rows("select schema_name, table_name from svv_redshift_tables where database_name = 'sales_share'");
  assert.deepEqual(t, [['public', 'customers']]);
});

await check('svv_external_tables lists other databases\' external tables, with their database', async () => {
  const t = await rows('select redshift_database_name, tablename from svv_external_tables');
  assert.deepEqual(t, [['other_db', 'elsewhere']]);
});

await check('keys from svv_redshift_columns for any user; svv_table_info only for superusers', async () => {
  const k = await rows("select column_name, distkey, sortkey from svv_redshift_columns where table_name = 'orders' and (distkey or sortkey <> 0) order by 1");
  assert.deepEqual(k, [['created', false, -2], ['id', true, 1]]);
  assert.deepEqual(await rows('select count(*) from svv_table_info'), [[0]]);
});

await check('column grants: has_table_privilege says no, svv_column_privileges lists the column', async () => {
  assert.deepEqual(await rows("select has_table_privilege('sales.partial', 'select')"), [[false]]);
  const c = await rows("select namespace_name, relation_name, column_name, privilege_type from svv_column_privileges where relation_name = 'partial'");
  assert.deepEqual(c, [['sales', 'partial', 'visible', 'SELECT']]);
});

await check('leader-node-only functions run over catalog tables, fail with compute-node tables', async () => {
  assert.deepEqual(await rows("select has_schema_privilege('sales', 'usage') from pg_namespace where nspname = 'sales'"), [[true]]);
  const mixed = await run("select has_table_privilege('sales.orders', 'select'), id from sales.orders");
  assert.equal(mixed.Status, 'FAILED');
  assert.ok(mixed.Error.includes(refused), mixed.Error);
  const system = await run("select schema_name, has_schema_privilege(schema_name, 'usage') from svv_redshift_tables");
  assert.equal(system.Status, 'FAILED');
  assert.ok(system.Error.includes(refused), system.Error);
});

await check('unsupported PostgreSQL functions fail with compute-node tables, not on the leader node', async () => {
  const agg = await run('select string_agg(note, \',\') from sales.orders');
  assert.equal(agg.Status, 'FAILED');
  assert.ok(agg.Error.includes(refused), agg.Error);
  assert.deepEqual(await rows('select count(*) from generate_series(1, 3)'), [[3]]);
});

await check('DDL of unsupported PostgreSQL features fails with Redshift\'s message; CREATE TABLE runs', async () => {
  const created = await run('create table ddl_rules.parent (id int primary key, note varchar(20))');
  assert.equal(created.Status, 'FINISHED', created.Error);
  const unsupported = (what, feature) => `${what} is not supported by Amazon Redshift (unsupported PostgreSQL feature: ${feature}).`;
  const refusedDdl = [
    ['create sequence ddl_rules.ids', unsupported('CREATE SEQUENCE', 'Sequences')],
    ['create trigger keep before update on ddl_rules.parent for each row execute function suppress_redundant_updates_trigger()',
      unsupported('CREATE TRIGGER', 'Triggers')],
    ['create table ddl_rules.events (id int, at date) partition by range (at)', unsupported('PARTITION BY', 'Table partitioning')],
    ['create table ddl_rules.child (extra int) inherits (ddl_rules.parent)', unsupported('INHERITS', 'Inheritance')],
    ['create index parent_note on ddl_rules.parent (note)',
      'SQL command "create index parent_note on ddl_rules.parent (note)" not supported on Redshift tables.'],
  ];
  for (const [sql, message] of refusedDdl) {
    const d = await run(sql);
    assert.equal(d.Status, 'FAILED', sql);
    assert.equal(d.Error, `ERROR: ${message}`);
  }
  // Nothing was created; fixture setup straight on PostgreSQL is not refused.
  assert.deepEqual(await rows("select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where nspname = 'ddl_rules' and relkind <> 'i' order by 1"), [['parent']]);
  superuser('CREATE SEQUENCE ddl_rules.fixture_ids; DROP SEQUENCE ddl_rules.fixture_ids;');
});

await check('a result row over 64 KB fails the statement', async () => {
  const d = await run('select payload from sales.wide_rows where id = 1000');
  assert.equal(d.Status, 'FAILED');
  assert.ok(d.Error.includes('Packet for query is too large'), d.Error);
});

await check('a result over the configured cap fails the statement', async () => {
  // The harness caps results at 4 MB for this script (AWS: 500 MB); this one is 6 MB.
  const d = await run('select a.payload from sales.wide_rows a, sales.wide_rows b where a.id < 1000 and b.id <= 2');
  assert.equal(d.Status, 'FAILED');
  assert.ok(d.Error.includes('Database response exceeded size limit'), d.Error);
});

await check('result pages end at the byte bound before the row bound', async () => {
  const d = await run('select id, payload from sales.wide_rows where id < 1000 order by id');
  assert.equal(d.Status, 'FINISHED', d.Error);
  let pages = 0;
  let total = 0;
  let token;
  do {
    const r = await alice.send(new GetStatementResultCommand({ Id: d.Id, NextToken: token }));
    pages += 1;
    total += r.Records.length;
    assert.ok(r.Records.length < 300, `a page of ${r.Records.length} rows passed the 1 MB bound`);
    assert.ok(JSON.stringify(r.Records).length <= 1024 * 1024);
    token = r.NextToken;
  } while (token);
  assert.equal(total, 300);
  assert.ok(pages >= 3, `${pages} pages`);
});

await check('request quotas per account and Region answer ThrottlingException, then recover', async () => {
  const quotas = await admin('/quotas');
  assert.equal(quotas.rates_per_second.ListStatements, 3);
  assert.equal(quotas.rates_per_second.ExecuteStatement, 30);
  // No retries: the SDK must see the throttle. Alice and bob share the account's budget.
  const noRetry = { maxAttempts: 1 };
  const a = clients(creds('alice'), noRetry).data;
  const b = clients(creds('bob'), noRetry).data;
  // At 3 a second (one second of burst), 16 calls at once admit at most the burst plus what the
  // bucket refills while they run: bound it by the measured time, not by a guess of the speed.
  const calls = [];
  const started = Date.now();
  for (let i = 0; i < 16; i += 1) calls.push((i % 2 ? a : b).send(new ListStatementsCommand({})));
  const settled = await Promise.allSettled(calls);
  const seconds = (Date.now() - started) / 1000;
  const throttled = settled.filter((s) => s.status === 'rejected');
  const admitted = settled.length - throttled.length;
  assert.ok(throttled.length >= 1, `${throttled.length} of 16 calls throttled`);
  assert.ok(admitted <= 3 + Math.ceil(3 * seconds) + 1,
            `${admitted} calls admitted in ${seconds.toFixed(2)} s at 3 a second`);
  for (const t of throttled) assert.equal(t.reason.name, 'ThrottlingException', String(t.reason));
  await new Promise((r) => setTimeout(r, 1100));
  await a.send(new ListStatementsCommand({}));
  await expectError(Promise.reject(throttled[0].reason), 'ThrottlingException', 'Rate exceeded');
});

superuser('DROP VIEW sales.order_count; DROP TABLE sales.mv_tbl__order_count__0, sales.partial, sales.wide_rows; DELETE FROM pg_catalog.emulator_materialized_views;');
