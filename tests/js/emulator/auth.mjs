// Identity and authorization: SigV4 failures, the four Data API auth modes with the database
// user each runs as, and the AWS errors for each missing permission.
import assert from 'node:assert/strict';
import {
  ExecuteStatementCommand, DescribeStatementCommand, GetStatementResultCommand, ListStatementsCommand,
} from '@aws-sdk/client-redshift-data';
import { GetCallerIdentityCommand, AssumeRoleCommand } from '@aws-sdk/client-sts';
import { clients, creds, check, expectError, admin, database, workgroup, cluster, account } from './lib.mjs';

const alice = clients(creds('alice'));
const bob = clients(creds('bob'));
const carol = clients(creds('carol'));
const aliceArn = `arn:aws:iam::${account}:user/alice`;
const bobArn = `arn:aws:iam::${account}:user/bob`;
const wgArnPattern = new RegExp(`^arn:aws:redshift-serverless:us-east-1:${account}:workgroup/[0-9a-f-]{36}$`);

async function runAs(client, input) {
  const out = await client.send(new ExecuteStatementCommand({ Database: database, ...input }));
  for (;;) {
    const d = await client.send(new DescribeStatementCommand({ Id: out.Id, WaitTimeSeconds: 10 }));
    if (['FINISHED', 'FAILED', 'ABORTED'].includes(d.Status)) return { ...d, out };
  }
}

async function currentUser(client, input) {
  const d = await runAs(client, { Sql: 'select current_user', ...input });
  assert.equal(d.Status, 'FINISHED', d.Error);
  const r = await client.send(new GetStatementResultCommand({ Id: d.Id }));
  return r.Records[0][0].stringValue;
}

function denied(arn, action, resource) {
  return `User: ${arn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;
}

await check('GetCallerIdentity names the IAM user', async () => {
  const id = await alice.sts.send(new GetCallerIdentityCommand({}));
  assert.equal(id.Arn, aliceArn);
  assert.equal(id.Account, account);
  assert.match(id.UserId, /^AIDA[A-Z0-9]{17}$/);
});

await check('unknown access key gives UnrecognizedClientException / InvalidClientTokenId', async () => {
  const ghost = clients({ accessKeyId: 'AKIAGHOST0000000000', secretAccessKey: 'x' }, { maxAttempts: 1 });
  await expectError(ghost.data.send(new ListStatementsCommand({})), 'UnrecognizedClientException',
    'The security token included in the request is invalid.');
  await expectError(ghost.sts.send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId',
    'The security token included in the request is invalid.');
});

await check('wrong secret gives InvalidSignatureException / SignatureDoesNotMatch', async () => {
  const wrong = clients({ accessKeyId: creds('alice').accessKeyId, secretAccessKey: 'wrong' }, { maxAttempts: 1 });
  await expectError(wrong.data.send(new ListStatementsCommand({})), 'InvalidSignatureException',
    'The request signature we calculated does not match the signature you provided.');
  await expectError(wrong.sts.send(new GetCallerIdentityCommand({})), 'SignatureDoesNotMatch');
});

await check('a request signed more than 5 minutes off gives "Signature expired"', async () => {
  const skewed = clients(creds('alice'), { maxAttempts: 1, systemClockOffset: -10 * 60 * 1000 });
  const e = await expectError(skewed.data.send(new ListStatementsCommand({})), 'InvalidSignatureException', 'Signature expired: ');
  assert.match(e.message, /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/);
  // With retries, the SDK corrects its clock from the reply's Date header and succeeds.
  const corrected = clients(creds('alice'), { systemClockOffset: -10 * 60 * 1000 });
  await corrected.data.send(new ListStatementsCommand({}));
});

await check('WorkgroupName runs as IAM:<user>, created on first use', async () => {
  assert.equal(await currentUser(alice.data, { WorkgroupName: workgroup }), 'IAM:alice');
});

await check('ClusterIdentifier + DbUser runs as DbUser', async () => {
  assert.equal(await currentUser(alice.data, { ClusterIdentifier: cluster, DbUser: 'analyst' }), 'analyst');
});

await check('ClusterIdentifier alone runs as IAM:<user>', async () => {
  assert.equal(await currentUser(alice.data, { ClusterIdentifier: cluster }), 'IAM:alice');
});

await check('SecretArn runs as the secret\'s user', async () => {
  assert.equal(await currentUser(alice.data, { WorkgroupName: workgroup, SecretArn: 'redshift/app' }), 'app_user');
});

await check('missing GRANTs give PostgreSQL\'s own permission errors', async () => {
  const d = await runAs(alice.data, { ClusterIdentifier: cluster, DbUser: 'analyst', Sql: 'select * from sales.restricted' });
  assert.equal(d.Status, 'FAILED');
  assert.equal(d.Error, 'ERROR: permission denied for table restricted');
  const iam = await runAs(alice.data, { WorkgroupName: workgroup, Sql: 'select * from sales.orders' });
  assert.equal(iam.Status, 'FAILED');
  assert.equal(iam.Error, 'ERROR: permission denied for schema sales');
});

await check('each auth mode without its permission gives AccessDeniedException with AWS text', async () => {
  const wg = await expectError(bob.data.send(new ExecuteStatementCommand({ Database: database, WorkgroupName: workgroup, Sql: 'select 1' })), 'AccessDeniedException');
  const m = wg.message.match(/on resource: (\S+) because/);
  assert.ok(m && wgArnPattern.test(m[1]), wg.message);
  assert.equal(wg.message, denied(bobArn, 'redshift-serverless:GetCredentials', m[1]));
  const dbUser = await expectError(bob.data.send(new ExecuteStatementCommand({ Database: database, ClusterIdentifier: cluster, DbUser: 'analyst', Sql: 'select 1' })), 'AccessDeniedException');
  assert.equal(dbUser.message, denied(bobArn, 'redshift:GetClusterCredentials', `arn:aws:redshift:us-east-1:${account}:dbuser:${cluster}/analyst`));
  const withIam = await expectError(bob.data.send(new ExecuteStatementCommand({ Database: database, ClusterIdentifier: cluster, Sql: 'select 1' })), 'AccessDeniedException');
  assert.equal(withIam.message, denied(bobArn, 'redshift:GetClusterCredentialsWithIAM', `arn:aws:redshift:us-east-1:${account}:dbname:${cluster}/${database}`));
  const secret = await expectError(bob.data.send(new ExecuteStatementCommand({ Database: database, WorkgroupName: workgroup, SecretArn: 'redshift/app', Sql: 'select 1' })), 'AccessDeniedException');
  assert.equal(secret.message, denied(bobArn, 'secretsmanager:GetSecretValue', 'redshift/app'));
  const noData = await expectError(carol.data.send(new ExecuteStatementCommand({ Database: database, ClusterIdentifier: cluster, Sql: 'select 1' })), 'AccessDeniedException');
  assert.ok(noData.message.includes('is not authorized to perform: redshift-data:ExecuteStatement on resource: arn:aws:redshift:us-east-1:123456789012:cluster:prod-cluster'), noData.message);
});

await check('AssumeRole with ExternalId gives temporary credentials that run as IAMR:<role>', async () => {
  await expectError(alice.sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/reader`, RoleSessionName: 's1' })), 'AccessDenied', 'sts:AssumeRole');
  await expectError(bob.sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/reader`, RoleSessionName: 's1', ExternalId: 'ext-123' })), 'AccessDenied');
  const r = await alice.sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/reader`, RoleSessionName: 'fetch', ExternalId: 'ext-123', DurationSeconds: 900 }));
  assert.match(r.Credentials.AccessKeyId, /^ASIA[A-Z0-9]{16}$/);
  assert.ok(r.Credentials.SessionToken.length > 100);
  assert.ok(r.Credentials.Expiration instanceof Date);
  assert.equal(r.AssumedRoleUser.Arn, `arn:aws:sts::${account}:assumed-role/reader/fetch`);
  const temp = {
    accessKeyId: r.Credentials.AccessKeyId,
    secretAccessKey: r.Credentials.SecretAccessKey,
    sessionToken: r.Credentials.SessionToken,
  };
  const role = clients(temp, { maxAttempts: 1 });
  const id = await role.sts.send(new GetCallerIdentityCommand({}));
  assert.equal(id.Arn, `arn:aws:sts::${account}:assumed-role/reader/fetch`);
  assert.equal(await currentUser(role.data, { WorkgroupName: workgroup }), 'IAMR:reader');
  // Statements belong to the role: another session of it sees them unless RoleLevel is false.
  const r2 = await alice.sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/reader`, RoleSessionName: 'other', ExternalId: 'ext-123' }));
  const other = clients({ accessKeyId: r2.Credentials.AccessKeyId, secretAccessKey: r2.Credentials.SecretAccessKey, sessionToken: r2.Credentials.SessionToken });
  const mine = await runAs(role.data, { WorkgroupName: workgroup, Sql: 'select 7' });
  const seen = await other.data.send(new DescribeStatementCommand({ Id: mine.Id }));
  assert.equal(seen.Status, 'FINISHED');
  const roleLevel = await other.data.send(new ListStatementsCommand({}));
  assert.ok(roleLevel.Statements.some((x) => x.Id === mine.Id));
  const sessionLevel = await other.data.send(new ListStatementsCommand({ RoleLevel: false }));
  assert.ok(!sessionLevel.Statements.some((x) => x.Id === mine.Id));
  await expectError(alice.data.send(new DescribeStatementCommand({ Id: mine.Id })), 'ResourceNotFoundException');
  const noToken = clients({ accessKeyId: temp.accessKeyId, secretAccessKey: temp.secretAccessKey }, { maxAttempts: 1 });
  await expectError(noToken.data.send(new ListStatementsCommand({})), 'UnrecognizedClientException');
  // Move the emulator's clock past the expiry; the client follows so the signature is current.
  await admin('/clock', 'PUT', { offset_seconds: 16 * 60 });
  try {
    const later = clients(temp, { maxAttempts: 1, systemClockOffset: 16 * 60 * 1000 });
    await expectError(later.data.send(new ListStatementsCommand({})), 'ExpiredTokenException',
      'The security token included in the request is expired');
    await expectError(later.sts.send(new GetCallerIdentityCommand({})), 'ExpiredToken');
  } finally {
    await admin('/clock', 'PUT', { offset_seconds: 0 });
  }
});
