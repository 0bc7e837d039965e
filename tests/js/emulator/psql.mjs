// ExecuteStatement + GetStatementResult (all pages) equal what psql reads for the same query.
// Each typed Field is turned back into PostgreSQL's text form: longValue and doubleValue print
// as numbers, booleanValue as t/f, blobValue as \x hex, isNull as psql's empty field.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { ExecuteStatementCommand, DescribeStatementCommand, paginateGetStatementResult } from '@aws-sdk/client-redshift-data';
import { clients, creds, check, database, cluster } from './lib.mjs';

const alice = clients(creds('alice')).data;
const SEP = '\x1f';

function psql(sql) {
  const out = execFileSync(process.env.PSQL, ['-X', '-q', '-A', '-t', '-F', SEP, '-R', '\x1e', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' });
  return out.replace(/\n$/, '').split('\x1e').filter((l) => l !== '').map((l) => l.split(SEP));
}

function text(field) {
  if (field.isNull) return '';
  if (field.longValue !== undefined) return String(field.longValue);
  if (field.doubleValue !== undefined) return { double: field.doubleValue };
  if (field.booleanValue !== undefined) return field.booleanValue ? 't' : 'f';
  if (field.blobValue !== undefined) return `\\x${Buffer.from(field.blobValue).toString('hex')}`;
  return field.stringValue;
}

async function viaDataApi(sql) {
  const out = await alice.send(new ExecuteStatementCommand({ Database: database, ClusterIdentifier: cluster, DbUser: 'analyst', Sql: sql }));
  for (;;) {
    const d = await alice.send(new DescribeStatementCommand({ Id: out.Id, WaitTimeSeconds: 10 }));
    if (d.Status === 'FINISHED') break;
    assert.notEqual(d.Status, 'FAILED', d.Error);
  }
  const rows = [];
  for await (const page of paginateGetStatementResult({ client: alice }, { Id: out.Id })) {
    rows.push(...page.Records.map((r) => r.map(text)));
  }
  return rows;
}

const queries = [
  // Every column of the fixture table except big (int8 beyond 2^53 loses precision in JS numbers).
  'select id, amount, note, created, paid, ratio, data, small, at, label from sales.orders order by id',
  "select 1::int2 a, 2::int4 b, 3::int8 c, 1.5::float4 d, 2.25::float8 e, 12.340::numeric(6,3) f, 'x'::text g, true h, null::text i, date '2024-05-06' j, '12:34:56'::time k, interval '1 day' l, '{1,2}'::int[] m, '{\"a\":1}'::jsonb n, 'ab'::char(4) o",
  'select id, amount from sales.big_orders order by id',
  'select count(*), sum(amount), avg(ratio) from sales.orders',
];

for (const q of queries) {
  await check(`same rows as psql: ${q.slice(0, 60)}`, async () => {
    const expected = psql(q);
    // Doubles compare by value: psql prints 1e-07 where JavaScript prints 1e-7.
    const actual = (await viaDataApi(q)).map((row, i) => row.map((v, j) => (
      typeof v === 'object' && v !== null && Number(expected[i]?.[j]) === v.double ? expected[i][j] : v)));
    assert.deepEqual(actual, expected);
  });
}
