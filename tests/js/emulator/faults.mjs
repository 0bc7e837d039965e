// Injected faults through the admin endpoint: the SDK names throttles and retries them (and 5xx
// and dropped connections) by itself; failing statements; the statement log and the counters.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ExecuteStatementCommand, DescribeStatementCommand, ListStatementsCommand } from '@aws-sdk/client-redshift-data';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { clients, creds, check, expectError, admin, database, workgroup } from './lib.mjs';

const once = clients(creds('alice'), { maxAttempts: 1 });
const retrying = clients(creds('alice'), { maxAttempts: 10, retryMode: 'standard' });

async function counters() {
  return (await admin('/counters')).counters;
}

try {
  await check('throttling surfaces as ThrottlingException / Throttling without retries', async () => {
    await admin('/faults', 'PUT', { operations: { ListStatements: { throttle: 1 }, GetCallerIdentity: { throttle: 1 } } });
    await expectError(once.data.send(new ListStatementsCommand({})), 'ThrottlingException', 'Rate exceeded');
    await expectError(once.sts.send(new GetCallerIdentityCommand({})), 'Throttling');
  });

  await check('the SDK retries injected throttles by itself', async () => {
    await admin('/counters', 'DELETE');
    await admin('/faults', 'PUT', { seed: 7, operations: { ListStatements: { throttle: 0.5 } } });
    let attempts = 0;
    for (let i = 0; i < 12; i += 1) {
      const r = await retrying.data.send(new ListStatementsCommand({}));
      attempts += r.$metadata.attempts;
    }
    const c = await counters();
    assert.equal(c.ListStatements.ok, 12);
    assert.ok(c.ListStatements.ThrottlingException > 0, JSON.stringify(c));
    assert.equal(attempts, 12 + c.ListStatements.ThrottlingException);
  });

  await check('500, 503 and dropped connections are retried', async () => {
    await admin('/counters', 'DELETE');
    await admin('/faults', 'PUT', { seed: 3, operations: { ListStatements: { error_500: 0.2, error_503: 0.2, drop: 0.2 } } });
    for (let i = 0; i < 15; i += 1) await retrying.data.send(new ListStatementsCommand({}));
    const c = (await counters()).ListStatements;
    assert.equal(c.ok, 15);
    assert.ok((c.InternalServerException ?? 0) + (c.ServiceUnavailableException ?? 0) + (c.dropped ?? 0) > 0, JSON.stringify(c));
    await admin('/faults', 'PUT', { operations: { ListStatements: { error_503: 1 } } });
    const e = await expectError(once.data.send(new ListStatementsCommand({})), 'ServiceUnavailableException');
    assert.equal(e.$metadata.httpStatusCode, 503);
    await admin('/faults', 'PUT', { operations: { ListStatements: { drop: 1 } } });
    let dropped;
    try {
      await once.data.send(new ListStatementsCommand({}));
    } catch (err) {
      dropped = err;
    }
    assert.ok(dropped && dropped.$metadata === undefined || (dropped && !dropped.$metadata.httpStatusCode), `expected a network error, got ${dropped}`);
  });

  await check('statement failures are injected', async () => {
    await admin('/faults', 'PUT', { global: { statement_fail: 1 } });
    const out = await once.data.send(new ExecuteStatementCommand({ Database: database, WorkgroupName: workgroup, Sql: 'select 1', WaitTimeSeconds: 10 }));
    assert.equal(out.Status, 'FAILED');
    const d = await once.data.send(new DescribeStatementCommand({ Id: out.Id }));
    assert.ok(d.Error.startsWith('ERROR: '), d.Error);
  });

  await check('admin endpoint reports faults', async () => {
    await admin('/faults', 'PUT', { global: { latency_ms: 5, jitter_ms: 5 } });
    const f = await admin('/faults');
    assert.equal(f.global.latency_ms, 5);
    assert.equal(f.global.jitter_ms, 5);
    await retrying.data.send(new ListStatementsCommand({}));
  });

  await check('the statement log holds identity, database, SQL and outcome (admin and file)', async () => {
    await admin('/faults', 'PUT', {});
    await admin('/statements', 'DELETE');
    const out = await once.data.send(new ExecuteStatementCommand({ Database: database, WorkgroupName: workgroup, Sql: 'select 42 as logged', WaitTimeSeconds: 10 }));
    assert.equal(out.Status, 'FINISHED');
    const { statements } = await admin('/statements');
    assert.equal(statements.length, 1);
    assert.equal(statements[0].statement_id, out.Id);
    assert.equal(statements[0].identity, 'arn:aws:iam::123456789012:user/alice');
    assert.equal(statements[0].db_user, 'IAM:alice');
    assert.equal(statements[0].database, database);
    assert.equal(statements[0].sql, 'select 42 as logged');
    assert.equal(statements[0].outcome, 'FINISHED');
    const lines = readFileSync(process.env.EMU_STATEMENT_LOG, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(lines.some((l) => l.statement_id === out.Id && l.sql === 'select 42 as logged'));
    assert.ok(lines.some((l) => l.outcome === 'FAILED'));
  });

  await check('admin endpoint rejects invalid fault settings and keeps the current ones', async () => {
    await admin('/faults', 'PUT', { global: { latency_ms: 1 } });
    for (const body of [{ global: { throttle: 2 } }, { global: { bogus: 1 } }, { nope: {} }, [1]]) {
      const res = await fetch(`${process.env.EMU_ADMIN}/faults`, { method: 'PUT', body: JSON.stringify(body) });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.ok((await res.json()).error);
    }
    assert.equal((await admin('/faults')).global.latency_ms, 1);
    await admin('/faults', 'PUT', {});
  });

  await check('counters count calls by operation and outcome', async () => {
    const c = await counters();
    assert.ok(c.ExecuteStatement.ok >= 1);
    assert.ok(c.DescribeStatement.ok >= 1);
  });
} finally {
  await admin('/faults', 'PUT', {});
}
