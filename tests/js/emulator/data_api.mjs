// redshift-data operations through the official SDK: replies parse, paginators walk all pages,
// errors surface as the SDK's named exception classes. The harness configures page sizes of
// 2 result rows, 2 listed statements and 3 metadata items.
import assert from 'node:assert/strict';
import {
  ExecuteStatementCommand, BatchExecuteStatementCommand, DescribeStatementCommand,
  GetStatementResultCommand, GetStatementResultV2Command, CancelStatementCommand,
  ListStatementsCommand, ListDatabasesCommand, ListSchemasCommand, ListTablesCommand,
  DescribeTableCommand, ListSessionsCommand,
  paginateGetStatementResult, paginateGetStatementResultV2, paginateListStatements,
  paginateListDatabases, paginateListSchemas, paginateListTables, paginateDescribeTable,
  paginateListSessions,
} from '@aws-sdk/client-redshift-data';
import { clients, creds, check, expectError, admin, database, workgroup, cluster } from './lib.mjs';

const alice = clients(creds('alice')).data;
const bob = clients(creds('bob')).data;
// Most calls run as the provisioned cluster's DbUser `analyst`, who holds the fixture's GRANTs.
const where = { Database: database, ClusterIdentifier: cluster, DbUser: 'analyst' };

async function run(client, input) {
  const out = await client.send(new ExecuteStatementCommand({ ...where, ...input }));
  return waitDone(client, out.Id);
}

async function waitDone(client, id) {
  for (;;) {
    const d = await client.send(new DescribeStatementCommand({ Id: id, WaitTimeSeconds: 10 }));
    if (['FINISHED', 'FAILED', 'ABORTED'].includes(d.Status)) return d;
  }
}

async function all(paginator, key) {
  const items = [];
  let pages = 0;
  for await (const page of paginator) {
    pages += 1;
    items.push(...page[key]);
  }
  return { items, pages };
}

await check('ExecuteStatement + DescribeStatement fill the statement fields', async () => {
  const out = await alice.send(new ExecuteStatementCommand({ ...where, Sql: 'select id from sales.orders', StatementName: 'orders-ids' }));
  assert.match(out.Id, /^[a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}$/);
  assert.ok(out.CreatedAt instanceof Date);
  assert.equal(out.Database, database);
  assert.equal(out.ClusterIdentifier, cluster);
  assert.equal(out.DbUser, 'analyst');
  const d = await waitDone(alice, out.Id);
  assert.equal(d.Status, 'FINISHED');
  assert.equal(d.QueryString, 'select id from sales.orders');
  assert.equal(d.HasResultSet, true);
  assert.equal(d.ResultRows, 5);
  assert.ok(d.ResultSize > 0);
  assert.ok(d.Duration > 0);
  assert.ok(d.RedshiftPid > 0);
  assert.ok(d.UpdatedAt instanceof Date);
});

await check('GetStatementResult types fields and fills ColumnMetadata', async () => {
  const d = await run(alice, { Sql: 'select id, amount, note, created, paid, ratio, data, big from sales.orders where id = 1' });
  const r = await alice.send(new GetStatementResultCommand({ Id: d.Id }));
  assert.equal(r.TotalNumRows, 1);
  const [row] = r.Records;
  assert.deepEqual(row[0], { longValue: 1 });
  assert.deepEqual(row[1], { stringValue: '10.50' });
  assert.deepEqual(row[2], { stringValue: 'first' });
  assert.deepEqual(row[3], { stringValue: '2024-01-02' });
  assert.deepEqual(row[4], { booleanValue: true });
  assert.deepEqual(row[5], { doubleValue: 0.25 });
  assert.deepEqual(Buffer.from(row[6].blobValue).toString(), 'abc');
  assert.ok(row[7].longValue !== undefined);
  const meta = Object.fromEntries(r.ColumnMetadata.map((c) => [c.name, c]));
  assert.equal(meta.id.typeName, 'int4');
  assert.equal(meta.id.nullable, 0);
  assert.equal(meta.id.isSigned, true);
  assert.equal(meta.id.schemaName, 'sales');
  assert.equal(meta.id.tableName, 'orders');
  assert.equal(meta.amount.typeName, 'numeric');
  assert.equal(meta.amount.precision, 10);
  assert.equal(meta.amount.scale, 2);
  assert.equal(meta.note.typeName, 'varchar');
  assert.equal(meta.note.precision, 50);
  assert.equal(meta.note.nullable, 1);
  assert.equal(meta.note.isCaseSensitive, true);
  assert.equal(meta.big.typeName, 'int8');
});

await check('NULLs come back as isNull', async () => {
  const d = await run(alice, { Sql: 'select note, created from sales.orders where id = 2' });
  const r = await alice.send(new GetStatementResultCommand({ Id: d.Id }));
  assert.deepEqual(r.Records[0], [{ isNull: true }, { isNull: true }]);
});

await check('paginateGetStatementResult walks every page of 2 rows', async () => {
  const d = await run(alice, { Sql: 'select id from sales.orders order by id' });
  const first = await alice.send(new GetStatementResultCommand({ Id: d.Id }));
  assert.equal(first.Records.length, 2);
  assert.ok(first.NextToken);
  const { items, pages } = await all(paginateGetStatementResult({ client: alice }, { Id: d.Id }), 'Records');
  assert.equal(pages, 3);
  assert.deepEqual(items.map((r) => r[0].longValue), [1, 2, 3, 4, 5]);
});

await check('named parameters are bound as values', async () => {
  const d = await run(alice, {
    Sql: 'select id, note from sales.orders where id = :id or note = :note order by id',
    Parameters: [{ name: 'id', value: '1' }, { name: 'note', value: "comma, \"quote\"" }],
  });
  assert.equal(d.Status, 'FINISHED', d.Error);
  assert.deepEqual(d.QueryParameters, [{ name: 'id', value: '1' }, { name: 'note', value: 'comma, "quote"' }]);
  const r = await alice.send(new GetStatementResultCommand({ Id: d.Id }));
  assert.deepEqual(r.Records.map((x) => x[0].longValue), [1, 3]);
  await expectError(alice.send(new ExecuteStatementCommand({ ...where, Sql: 'select :missing' })), 'ValidationException');
});

await check('ResultFormat CSV is read with GetStatementResultV2 and its paginator', async () => {
  const out = await alice.send(new ExecuteStatementCommand({ ...where, Sql: 'select id, note from sales.orders order by id', ResultFormat: 'CSV' }));
  const d = await waitDone(alice, out.Id);
  assert.equal(d.ResultFormat, 'CSV');
  const { items, pages } = await all(paginateGetStatementResultV2({ client: alice }, { Id: out.Id }), 'Records');
  assert.equal(pages, 3);
  const csv = items.map((r) => r.CSVRecords).join('');
  assert.equal(csv, 'id,note\n1,first\n2,\n3,"comma, ""quote"""\n4,"line\nbreak"\n5,ünïcødé ✓\n');
  await expectError(alice.send(new GetStatementResultCommand({ Id: out.Id })), 'ValidationException');
});

await check('FAILED statements carry PostgreSQL error text', async () => {
  const d = await run(alice, { Sql: 'select * from no_such_table' });
  assert.equal(d.Status, 'FAILED');
  assert.equal(d.Error, 'ERROR: relation "no_such_table" does not exist');
  await expectError(alice.send(new GetStatementResultCommand({ Id: d.Id })), 'ResourceNotFoundException');
});

await check('BatchExecuteStatement runs in one transaction with sub-statements', async () => {
  await run(alice, { Sql: 'create table if not exists batch_t (x int)' });
  const ok = await alice.send(new BatchExecuteStatementCommand({ ...where, Sqls: ['insert into batch_t values (1)', 'insert into batch_t values (2)', 'select count(*) from batch_t'] }));
  const d = await waitDone(alice, ok.Id);
  assert.equal(d.Status, 'FINISHED');
  assert.equal(d.SubStatements.length, 3);
  assert.deepEqual(d.SubStatements.map((s) => s.Id), [1, 2, 3].map((n) => `${ok.Id}:${n}`));
  const count = await alice.send(new GetStatementResultCommand({ Id: `${ok.Id}:3` }));
  assert.equal(count.Records[0][0].longValue, 2);
  const bad = await alice.send(new BatchExecuteStatementCommand({ ...where, Sqls: ['insert into batch_t values (3)', 'select 1/0'] }));
  const failed = await waitDone(alice, bad.Id);
  assert.equal(failed.Status, 'FAILED');
  assert.equal(failed.SubStatements[1].Status, 'FAILED');
  assert.equal(failed.SubStatements[1].Error, 'ERROR: division by zero');
  const after = await run(alice, { Sql: 'select count(*) from batch_t' });
  const n = await alice.send(new GetStatementResultCommand({ Id: after.Id }));
  assert.equal(n.Records[0][0].longValue, 2, 'the failed batch was rolled back');
});

await check('CancelStatement aborts a running statement', async () => {
  const out = await alice.send(new ExecuteStatementCommand({ ...where, Sql: 'select pg_sleep(60)' }));
  for (;;) {
    const d = await alice.send(new DescribeStatementCommand({ Id: out.Id }));
    if (d.Status === 'STARTED') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const c = await alice.send(new CancelStatementCommand({ Id: out.Id }));
  assert.equal(c.Status, true);
  const d = await waitDone(alice, out.Id);
  assert.equal(d.Status, 'ABORTED');
  await expectError(alice.send(new CancelStatementCommand({ Id: out.Id })), 'ValidationException');
});

await check('WaitTimeSeconds on ExecuteStatement returns the final status', async () => {
  const out = await alice.send(new ExecuteStatementCommand({ ...where, Sql: 'select 1', WaitTimeSeconds: 10 }));
  assert.equal(out.Status, 'FINISHED');
  assert.equal(out.HasResultSet, true);
});

await check('ClientToken makes ExecuteStatement idempotent', async () => {
  const a = await alice.send(new ExecuteStatementCommand({ ...where, Sql: 'select 2', ClientToken: 'token-1' }));
  const b = await alice.send(new ExecuteStatementCommand({ ...where, Sql: 'select 2', ClientToken: 'token-1' }));
  assert.equal(a.Id, b.Id);
});

await check('only the identity that ran a statement can see it', async () => {
  const d = await run(alice, { Sql: 'select 1' });
  await expectError(bob.send(new DescribeStatementCommand({ Id: d.Id })), 'ResourceNotFoundException');
  await expectError(bob.send(new GetStatementResultCommand({ Id: d.Id })), 'ResourceNotFoundException');
  const bobs = await bob.send(new ListStatementsCommand({}));
  assert.ok(!bobs.Statements.some((s) => s.Id === d.Id));
});

await check('paginateListStatements walks all pages with filters', async () => {
  const { items, pages } = await all(paginateListStatements({ client: alice }, {}), 'Statements');
  assert.ok(items.length >= 15, `only ${items.length}`);
  assert.ok(pages >= 8);
  assert.equal(new Set(items.map((s) => s.Id)).size, items.length);
  const named = await alice.send(new ListStatementsCommand({ StatementName: 'orders-' }));
  assert.equal(named.Statements.length, 1);
  assert.equal(named.Statements[0].QueryString, 'select id from sales.orders');
  const failed = await all(paginateListStatements({ client: alice }, { Status: 'FAILED' }), 'Statements');
  assert.ok(failed.items.every((s) => s.Status === 'FAILED'));
  const batches = items.filter((s) => s.IsBatchStatement);
  assert.ok(batches.length >= 2 && batches.every((s) => s.QueryStrings.length >= 2));
});

await check('sessions: keep-alive, reuse by SessionId, ListSessions', async () => {
  const first = await alice.send(new ExecuteStatementCommand({ ...where, Sql: 'create temp table session_t as select 41 as v', SessionKeepAliveSeconds: 60 }));
  assert.ok(first.SessionId);
  assert.equal((await waitDone(alice, first.Id)).Status, 'FINISHED');
  const second = await alice.send(new ExecuteStatementCommand({ Sql: 'select v + 1 from session_t', SessionId: first.SessionId }));
  const d = await waitDone(alice, second.Id);
  assert.equal(d.Status, 'FINISHED', d.Error);
  assert.equal(d.SessionId, first.SessionId);
  const r = await alice.send(new GetStatementResultCommand({ Id: second.Id }));
  assert.equal(r.Records[0][0].longValue, 42);
  const { items } = await all(paginateListSessions({ client: alice }, {}), 'Sessions');
  const s = items.find((x) => x.SessionId === first.SessionId);
  assert.equal(s.Status, 'AVAILABLE');
  assert.equal(s.Database, database);
  assert.equal(s.DbUser, 'analyst');
  await expectError(alice.send(new ExecuteStatementCommand({ Sql: 'select 1', SessionId: first.SessionId, ClusterIdentifier: cluster })), 'ValidationException');
  await expectError(bob.send(new ExecuteStatementCommand({ Sql: 'select 1', SessionId: first.SessionId })), 'ResourceNotFoundException');
  const listed = await bob.send(new ListSessionsCommand({}));
  assert.equal(listed.Sessions.length, 0);
});

await check('ListDatabases / ListSchemas / ListTables page as AWS does', async () => {
  const dbs = await alice.send(new ListDatabasesCommand({ ...where }));
  assert.deepEqual(dbs.Databases, [database]);
  const schemas = await all(paginateListSchemas({ client: alice }, { ...where }), 'Schemas');
  assert.ok(schemas.items.includes('sales') && schemas.items.includes('marketing') && schemas.items.includes('public'));
  assert.ok(schemas.pages >= 2);
  const sales = await alice.send(new ListSchemasCommand({ ...where, SchemaPattern: 'sal%' }));
  assert.deepEqual(sales.Schemas, ['sales']);
  const tables = await all(paginateListTables({ client: alice }, { ...where, SchemaPattern: 'sales' }), 'Tables');
  assert.deepEqual(tables.items, [
    { schema: 'sales', name: 'big_orders', type: 'VIEW' },
    { schema: 'sales', name: 'orders', type: 'TABLE' },
    { schema: 'sales', name: 'restricted', type: 'TABLE' },
  ]);
  const dbsCluster = await alice.send(new ListDatabasesCommand({ Database: database, ClusterIdentifier: cluster, DbUser: 'analyst' }));
  assert.deepEqual(dbsCluster.Databases, [database]);
  const one = await alice.send(new ListTablesCommand({ ...where, SchemaPattern: 'sales', TablePattern: 'ord%', MaxResults: 1 }));
  assert.equal(one.Tables.length, 1);
});

await check('DescribeTable pages at most 500 columns', async () => {
  const first = await alice.send(new DescribeTableCommand({ ...where, Schema: 'public', Table: 'wide' }));
  assert.equal(first.ColumnList.length, 500);
  assert.equal(first.TableName, 'wide');
  assert.ok(first.NextToken);
  const { items, pages } = await all(paginateDescribeTable({ client: alice }, { ...where, Schema: 'public', Table: 'wide' }), 'ColumnList');
  assert.equal(pages, 2);
  assert.equal(items.length, 620);
  assert.equal(items[619].name, 'c620');
  const orders = await alice.send(new DescribeTableCommand({ ...where, Schema: 'sales', Table: 'orders' }));
  const amount = orders.ColumnList.find((c) => c.name === 'amount');
  assert.equal(amount.typeName, 'numeric');
  assert.equal(amount.precision, 10);
  assert.equal(amount.scale, 2);
  assert.equal(amount.nullable, 0);
});

await check('validation errors use ValidationException', async () => {
  await expectError(alice.send(new ExecuteStatementCommand({ Database: database, WorkgroupName: workgroup, ClusterIdentifier: cluster, Sql: 'select 1' })), 'ValidationException');
  await expectError(alice.send(new ExecuteStatementCommand({ Database: database, Sql: 'select 1' })), 'ValidationException');
  await expectError(alice.send(new ExecuteStatementCommand({ ...where, Sql: `select '${'x'.repeat(110 * 1024)}'` })), 'ValidationException', '100kB');
  await expectError(alice.send(new ExecuteStatementCommand({ ...where, Sql: 'select 1', ResultFormat: 'XML' })), 'ValidationException');
  await expectError(alice.send(new DescribeStatementCommand({ Id: '00000000-0000-4000-8000-000000000000' })), 'ResourceNotFoundException');
  // Checked against the botocore model, as the service does.
  await expectError(alice.send(new DescribeStatementCommand({ Id: 'x', WaitTimeSeconds: 31 })), 'ValidationException', "'waitTimeSeconds'");
  await expectError(alice.send(new ExecuteStatementCommand({ ...where, Sql: 'select 1', StatementName: 'x'.repeat(2049) })), 'ValidationException', "'statementName'");
  await expectError(alice.send(new ExecuteStatementCommand({ Database: database, WorkgroupName: 'no-such-wg', Sql: 'select 1' })), 'ResourceNotFoundException');
  assert.equal(workgroup, 'analytics');
});

await check('results are dropped after the retention time and idle sessions close', async () => {
  const d = await run(alice, { Sql: 'select 1' });
  const s = await alice.send(new ExecuteStatementCommand({ ...where, Sql: 'select 1', SessionKeepAliveSeconds: 60 }));
  await waitDone(alice, s.Id);
  const day = 24 * 60 * 60 + 60;
  await admin('/clock', 'PUT', { offset_seconds: day });
  try {
    const later = clients(creds('alice'), { systemClockOffset: day * 1000 }).data;
    // The emulator sweeps once a second; wait (bounded) for it.
    let gone = false;
    for (let i = 0; i < 100 && !gone; i += 1) {
      try {
        await later.send(new DescribeStatementCommand({ Id: d.Id }));
        await new Promise((r) => setTimeout(r, 100));
      } catch (e) {
        assert.equal(e.name, 'ResourceNotFoundException');
        gone = true;
      }
    }
    assert.ok(gone, 'statement still described after the retention time');
    const sessions = await later.send(new ListSessionsCommand({ SessionId: s.SessionId }));
    assert.ok(sessions.Sessions.length === 0 || sessions.Sessions[0].Status === 'CLOSED', JSON.stringify(sessions.Sessions));
    await expectError(later.send(new ExecuteStatementCommand({ Sql: 'select 1', SessionId: s.SessionId })), 'ResourceNotFoundException');
  } finally {
    await admin('/clock', 'PUT', { offset_seconds: 0 });
  }
});

await check('concurrent statements all finish with their own results', async () => {
  const outs = await Promise.all(Array.from({ length: 24 }, (_, i) =>
    alice.send(new ExecuteStatementCommand({ ...where, Sql: 'select :n::int * 2 as doubled', Parameters: [{ name: 'n', value: String(i) }] }))));
  const results = await Promise.all(outs.map(async (o) => {
    await waitDone(alice, o.Id);
    return (await alice.send(new GetStatementResultCommand({ Id: o.Id }))).Records[0][0].longValue;
  }));
  assert.deepEqual(results, Array.from({ length: 24 }, (_, i) => i * 2));
});
