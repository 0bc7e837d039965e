// Quotas: the harness sets max_active_statements = 2 and max_active_sessions = 1.
import assert from 'node:assert/strict';
import { ExecuteStatementCommand, CancelStatementCommand, DescribeStatementCommand } from '@aws-sdk/client-redshift-data';
import { clients, creds, check, expectError, database, workgroup } from './lib.mjs';

const alice = clients(creds('alice'), { maxAttempts: 1 }).data;
const where = { Database: database, WorkgroupName: workgroup };

async function finish(id) {
  for (;;) {
    const d = await alice.send(new DescribeStatementCommand({ Id: id, WaitTimeSeconds: 10 }));
    if (['FINISHED', 'FAILED', 'ABORTED'].includes(d.Status)) return d;
  }
}

await check('ActiveStatementsExceededException beyond the active statement quota', async () => {
  const a = await alice.send(new ExecuteStatementCommand({ ...where, Sql: 'select pg_sleep(60)' }));
  const b = await alice.send(new ExecuteStatementCommand({ ...where, Sql: 'select pg_sleep(60)' }));
  await expectError(alice.send(new ExecuteStatementCommand({ ...where, Sql: 'select 1' })), 'ActiveStatementsExceededException');
  for (const s of [a, b]) await alice.send(new CancelStatementCommand({ Id: s.Id }));
  for (const s of [a, b]) assert.equal((await finish(s.Id)).Status, 'ABORTED');
  const ok = await alice.send(new ExecuteStatementCommand({ ...where, Sql: 'select 1', WaitTimeSeconds: 10 }));
  assert.equal(ok.Status, 'FINISHED');
});

await check('ActiveSessionsExceededException beyond the session quota', async () => {
  const s = await alice.send(new ExecuteStatementCommand({ ...where, Sql: 'select 1', SessionKeepAliveSeconds: 600 }));
  assert.ok(s.SessionId);
  await finish(s.Id);
  await expectError(alice.send(new ExecuteStatementCommand({ ...where, Sql: 'select 1', SessionKeepAliveSeconds: 600 })), 'ActiveSessionsExceededException');
  const reuse = await alice.send(new ExecuteStatementCommand({ Sql: 'select 2', SessionId: s.SessionId }));
  assert.equal((await finish(reuse.Id)).Status, 'FINISHED');
});
