// HTTPS with the certificate given to the emulator (trusted through NODE_EXTRA_CA_CERTS).
import assert from 'node:assert/strict';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { ExecuteStatementCommand } from '@aws-sdk/client-redshift-data';
import { clients, creds, check, database, workgroup } from './lib.mjs';

const alice = clients(creds('alice'));

await check('STS and Data API over HTTPS', async () => {
  assert.ok(process.env.AWS_ENDPOINT_URL.startsWith('https://'));
  const id = await alice.sts.send(new GetCallerIdentityCommand({}));
  assert.equal(id.Arn, 'arn:aws:iam::123456789012:user/alice');
  const out = await alice.data.send(new ExecuteStatementCommand({ Database: database, WorkgroupName: workgroup, Sql: 'select 1', WaitTimeSeconds: 10 }));
  assert.equal(out.Status, 'FINISHED');
});
