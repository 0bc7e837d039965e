// The limit for a catalog fetch over the Data API: the official AWS SDK for JavaScript v3 running
// exactly the statements schemaport ran (read from the emulator's statement log), the same way
// (one session per database, databases in parallel, ExecuteStatement waiting for completion,
// every result page fetched), and doing nothing else with the rows.
// Prints {"statements", "rows", "wall_ms"} as JSON.
// Env: as naive.mjs, plus BENCH_STATEMENTS (a JSON file: [{"database", "sql"}] in order).
import fs from 'node:fs';
import {
  RedshiftDataClient,
  ExecuteStatementCommand,
  DescribeStatementCommand,
  GetStatementResultCommand,
} from '@aws-sdk/client-redshift-data';

const client = new RedshiftDataClient({ maxAttempts: 8 });
const WorkgroupName = process.env.BENCH_WORKGROUP;
const statements = JSON.parse(fs.readFileSync(process.env.BENCH_STATEMENTS, 'utf8'));
const byDatabase = new Map();
for (const s of statements) {
  if (!byDatabase.has(s.database)) byDatabase.set(s.database, []);
  byDatabase.get(s.database).push(s.sql);
}

async function runDatabase(Database, sqls) {
  let SessionId;
  let rows = 0;
  for (const Sql of sqls) {
    const input = SessionId ? { Sql, SessionId } : { Sql, WorkgroupName, Database, SessionKeepAliveSeconds: 60 };
    const exec = await client.send(new ExecuteStatementCommand({ ...input, WaitTimeSeconds: 30 }));
    SessionId ??= exec.SessionId;
    let status = exec.Status;
    let hasResult = exec.HasResultSet;
    while (status !== 'FINISHED') {
      if (status === 'FAILED' || status === 'ABORTED') throw new Error(`statement ${exec.Id} ${status}`);
      const d = await client.send(new DescribeStatementCommand({ Id: exec.Id, WaitTimeSeconds: 30 }));
      status = d.Status;
      hasResult = d.HasResultSet;
      if (status === 'FAILED') throw new Error(d.Error);
    }
    if (!hasResult) continue;
    let NextToken;
    do {
      const page = await client.send(new GetStatementResultCommand({ Id: exec.Id, NextToken }));
      rows += page.Records.length;
      NextToken = page.NextToken;
    } while (NextToken);
  }
  return rows;
}

const start = performance.now();
const counts = await Promise.all([...byDatabase].map(([db, sqls]) => runDatabase(db, sqls)));
console.log(JSON.stringify({
  statements: statements.length,
  rows: counts.reduce((a, b) => a + b, 0),
  wall_ms: Math.round(performance.now() - start),
}));
