// With `redshift_sql_rules = false` the emulator refuses nothing Redshift would (only to compare
// with PostgreSQL): DDL of unsupported PostgreSQL features runs through the Data API.
import assert from 'node:assert/strict';
import { ExecuteStatementCommand, DescribeStatementCommand } from '@aws-sdk/client-redshift-data';
import { clients, creds, check, database, cluster } from './lib.mjs';

const alice = clients(creds('alice')).data;

async function run(sql) {
  const where = { Database: database, ClusterIdentifier: cluster, DbUser: 'analyst' };
  const out = await alice.send(new ExecuteStatementCommand({ ...where, Sql: sql }));
  for (;;) {
    const d = await alice.send(new DescribeStatementCommand({ Id: out.Id, WaitTimeSeconds: 10 }));
    if (['FINISHED', 'FAILED', 'ABORTED'].includes(d.Status)) return d;
  }
}

await check('with the rules off, CREATE SEQUENCE runs through the Data API', async () => {
  const created = await run('create sequence public.rules_off_ids');
  assert.equal(created.Status, 'FINISHED', created.Error);
  const dropped = await run('drop sequence public.rules_off_ids');
  assert.equal(dropped.Status, 'FINISHED', dropped.Error);
});
