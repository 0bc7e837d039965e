// Redshift catalog objects installed by the emulator, fed by fixtures the superuser declares
// (late-binding view columns, external schemas/tables/columns, datashare objects), and
// SHOW enable_case_sensitive_identifier.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { ExecuteStatementCommand, DescribeStatementCommand, GetStatementResultCommand, DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-redshift-data';
import { clients, creds, check, database, cluster } from './lib.mjs';

const alice = clients(creds('alice')).data;

function superuser(sql) {
  execFileSync(process.env.PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' });
}

async function query(sql) {
  // As `analyst`, who has USAGE on schema sales: SVV_* views show what the user may access.
  const out = await alice.send(new ExecuteStatementCommand({ Database: database, ClusterIdentifier: cluster, DbUser: 'analyst', Sql: sql }));
  let d;
  for (;;) {
    d = await alice.send(new DescribeStatementCommand({ Id: out.Id, WaitTimeSeconds: 10 }));
    if (['FINISHED', 'FAILED', 'ABORTED'].includes(d.Status)) break;
  }
  assert.equal(d.Status, 'FINISHED', d.Error);
  const r = await alice.send(new GetStatementResultCommand({ Id: out.Id }));
  return {
    columns: r.ColumnMetadata.map((c) => c.name),
    rows: r.Records.map((row) => row.map((f) => (f.isNull ? null : Object.values(f)[0]))),
  };
}

superuser(`
  DELETE FROM pg_catalog.emulator_late_binding_view_cols; DELETE FROM pg_catalog.emulator_external_schemas;
  DELETE FROM pg_catalog.emulator_external_tables; DELETE FROM pg_catalog.emulator_external_columns;
  DELETE FROM pg_catalog.emulator_datashare_tables; DELETE FROM pg_catalog.emulator_datashare_columns;
  INSERT INTO pg_catalog.emulator_late_binding_view_cols VALUES ('public', 'lbv', 'a', 'integer', 1), ('public', 'lbv', 'b', 'character varying(10)', 2);
  INSERT INTO pg_catalog.emulator_external_schemas (schemaname, databasename, esoptions) VALUES ('spectrum', 'ext_db', '{"IAM_ROLE":"arn:aws:iam::123456789012:role/spectrum"}');
  INSERT INTO pg_catalog.emulator_external_tables (redshift_database_name, schemaname, tablename, location, input_format) VALUES (current_database(), 'spectrum', 'events', 's3://bucket/events/', 'org.apache.hadoop.mapred.TextInputFormat');
  INSERT INTO pg_catalog.emulator_external_columns (redshift_database_name, schemaname, tablename, columnname, external_type, columnnum) VALUES (current_database(), 'spectrum', 'events', 'id', 'int', 1), (current_database(), 'spectrum', 'events', 'payload', 'string', 2);
  INSERT INTO pg_catalog.emulator_datashare_tables VALUES ('shared_db', 'public', 'partners', 'TABLE', NULL, 'from a datashare');
  INSERT INTO pg_catalog.emulator_datashare_columns (database_name, schema_name, table_name, column_name, ordinal_position, data_type) VALUES ('shared_db', 'public', 'partners', 'partner_id', 1, 'integer');
`);

await check('pg_get_late_binding_view_cols() with a column definition list', async () => {
  const r = await query('select * from pg_get_late_binding_view_cols() cols(view_schema name, view_name name, col_name name, col_type varchar, col_num int)');
  assert.deepEqual(r.columns, ['view_schema', 'view_name', 'col_name', 'col_type', 'col_num']);
  assert.deepEqual(r.rows, [['public', 'lbv', 'a', 'integer', 1], ['public', 'lbv', 'b', 'character varying(10)', 2]]);
});

await check('svv_external_schemas / tables / columns', async () => {
  const s = await query('select schemaname, databasename from svv_external_schemas');
  assert.deepEqual(s.rows, [['spectrum', 'ext_db']]);
  const t = await query('select * from svv_external_tables');
  assert.deepEqual(t.columns, ['redshift_database_name', 'schemaname', 'tablename', 'tabletype', 'location', 'input_format', 'output_format', 'serialization_lib', 'serde_parameters', 'compressed', 'parameters']);
  assert.equal(t.rows[0][2], 'events');
  const c = await query('select columnname, external_type, columnnum from svv_external_columns order by columnnum');
  assert.deepEqual(c.rows, [['id', 'int', 1], ['payload', 'string', 2]]);
});

await check('ListTables and DescribeTable include external tables', async () => {
  const where = { Database: database, ClusterIdentifier: cluster, DbUser: 'analyst' };
  const t = await alice.send(new ListTablesCommand({ ...where, SchemaPattern: 'spectrum' }));
  assert.deepEqual(t.Tables, [{ schema: 'spectrum', name: 'events', type: 'EXTERNAL TABLE' }]);
  const d = await alice.send(new DescribeTableCommand({ ...where, Schema: 'spectrum', Table: 'events' }));
  assert.deepEqual(d.ColumnList.map((c) => [c.name, c.typeName]), [['id', 'int'], ['payload', 'string']]);
});

await check('svv_redshift_tables / columns hold local and datashare objects', async () => {
  const t = await query("select database_name, schema_name, table_name, table_type, remarks from svv_redshift_tables where table_name in ('orders', 'partners') order by 1");
  assert.deepEqual(t.rows, [[database, 'sales', 'orders', 'TABLE', 'Orders placed'], ['shared_db', 'public', 'partners', 'TABLE', 'from a datashare']]);
  const c = await query("select column_name, data_type from svv_redshift_columns where table_name = 'partners'");
  assert.deepEqual(c.rows, [['partner_id', 'integer']]);
});

await check('svv_tables, svv_columns, svv_all_columns, svv_table_info', async () => {
  const t = await query("select table_schema, table_name, table_type from svv_tables where table_schema in ('sales', 'spectrum') order by 1, 2");
  assert.deepEqual(t.rows, [['sales', 'big_orders', 'VIEW'], ['sales', 'orders', 'BASE TABLE'], ['sales', 'restricted', 'BASE TABLE'], ['spectrum', 'events', 'EXTERNAL TABLE']]);
  const c = await query("select column_name, data_type, is_nullable, character_maximum_length, numeric_precision, numeric_scale from svv_columns where table_name = 'orders' and column_name in ('amount', 'note') order by ordinal_position");
  assert.deepEqual(c.rows, [['amount', 'numeric', 'NO', null, 10, 2], ['note', 'character varying', 'YES', 50, null, null]]);
  const all = await query("select schema_name, table_name, column_name from svv_all_columns where table_name in ('events', 'partners') order by 2, 3");
  assert.deepEqual(all.rows, [['spectrum', 'events', 'id'], ['spectrum', 'events', 'payload'], ['public', 'partners', 'partner_id']]);
  // SVV_TABLE_INFO is visible only to superusers: a regular user gets no rows.
  const info = await query("select \"schema\", \"table\", tbl_rows from svv_table_info where \"table\" = 'orders'");
  assert.equal(info.rows.length, 0);
});

await check('SHOW enable_case_sensitive_identifier follows the database setting', async () => {
  const off = await query('SHOW enable_case_sensitive_identifier');
  assert.deepEqual(off.columns, ['enable_case_sensitive_identifier']);
  assert.deepEqual(off.rows, [['off']]);
  superuser(`ALTER DATABASE "${process.env.PGDATABASE}" SET emulator.enable_case_sensitive_identifier = 'on'`);
  try {
    const on = await query('show enable_case_sensitive_identifier;');
    assert.deepEqual(on.rows, [['on']]);
  } finally {
    superuser(`ALTER DATABASE "${process.env.PGDATABASE}" RESET emulator.enable_case_sensitive_identifier`);
  }
});
