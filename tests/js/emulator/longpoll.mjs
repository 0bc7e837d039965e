// Helper for the shutdown test: starts a long statement, then long-polls DescribeStatement
// while the harness stops the emulator. Prints "polling" once the long poll is in flight.
import { ExecuteStatementCommand, DescribeStatementCommand } from '@aws-sdk/client-redshift-data';
import { clients, creds, database, cluster } from './lib.mjs';

const alice = clients(creds('alice'), { maxAttempts: 1 }).data;
const out = await alice.send(new ExecuteStatementCommand({ Database: database, ClusterIdentifier: cluster, DbUser: 'analyst', Sql: 'select pg_sleep(120)' }));
const poll = alice.send(new DescribeStatementCommand({ Id: out.Id, WaitTimeSeconds: 30 }));
setTimeout(() => console.log('polling'), 200);
try {
  const d = await poll;
  console.log(`poll returned ${d.Status}`);
} catch (e) {
  console.log(`poll ended: ${e.name}`);
}
