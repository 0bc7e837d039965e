// Secrets Manager, redshift-serverless GetCredentials and redshift GetClusterCredentials[WithIAM].
import assert from 'node:assert/strict';
import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetCredentialsCommand } from '@aws-sdk/client-redshift-serverless';
import { GetClusterCredentialsCommand, GetClusterCredentialsWithIAMCommand } from '@aws-sdk/client-redshift';
import { clients, creds, check, expectError, workgroup, cluster, account, database } from './lib.mjs';

const alice = clients(creds('alice'));
const bob = clients(creds('bob'));

await check('CreateSecret, GetSecretValue and PutSecretValue move AWSCURRENT and AWSPREVIOUS', async () => {
  const created = await alice.secrets.send(new CreateSecretCommand({ Name: 'schemaport/master-key', SecretString: 'v1' }));
  assert.match(created.ARN, new RegExp(`^arn:aws:secretsmanager:us-east-1:${account}:secret:schemaport/master-key-[A-Za-z0-9]{6}$`));
  assert.ok(created.VersionId);
  const v1 = await alice.secrets.send(new GetSecretValueCommand({ SecretId: 'schemaport/master-key' }));
  assert.equal(v1.SecretString, 'v1');
  assert.deepEqual(v1.VersionStages, ['AWSCURRENT']);
  assert.ok(v1.CreatedDate instanceof Date);
  const put = await alice.secrets.send(new PutSecretValueCommand({ SecretId: created.ARN, SecretString: 'v2' }));
  assert.deepEqual(put.VersionStages, ['AWSCURRENT']);
  const current = await alice.secrets.send(new GetSecretValueCommand({ SecretId: created.ARN }));
  assert.equal(current.SecretString, 'v2');
  const previous = await alice.secrets.send(new GetSecretValueCommand({ SecretId: 'schemaport/master-key', VersionStage: 'AWSPREVIOUS' }));
  assert.equal(previous.SecretString, 'v1');
  assert.equal(previous.VersionId, created.VersionId);
  await alice.secrets.send(new PutSecretValueCommand({ SecretId: created.ARN, SecretString: 'v3' }));
  const prev2 = await alice.secrets.send(new GetSecretValueCommand({ SecretId: created.ARN, VersionStage: 'AWSPREVIOUS' }));
  assert.equal(prev2.SecretString, 'v2');
  const byId = await alice.secrets.send(new GetSecretValueCommand({ SecretId: created.ARN, VersionId: created.VersionId }));
  assert.equal(byId.SecretString, 'v1');
  assert.deepEqual(byId.VersionStages, []);
});

await check('Secrets Manager errors are the SDK\'s named exceptions', async () => {
  await expectError(alice.secrets.send(new GetSecretValueCommand({ SecretId: 'nope' })), 'ResourceNotFoundException',
    "Secrets Manager can't find the specified secret.");
  await expectError(alice.secrets.send(new CreateSecretCommand({ Name: 'schemaport/master-key', SecretString: 'x' })), 'ResourceExistsException');
  const e = await expectError(bob.secrets.send(new GetSecretValueCommand({ SecretId: 'redshift/app' })), 'AccessDeniedException');
  assert.match(e.message, new RegExp(`^User: arn:aws:iam::${account}:user/bob is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:${account}:secret:redshift/app-[A-Za-z0-9]{6} because no identity-based policy allows the secretsmanager:GetSecretValue action$`));
});

await check('redshift-serverless GetCredentials gives IAM:<user> temporary credentials', async () => {
  const c = await alice.serverless.send(new GetCredentialsCommand({ workgroupName: workgroup, dbName: database, durationSeconds: 900 }));
  assert.equal(c.dbUser, 'IAM:alice');
  assert.ok(c.dbPassword.length >= 20);
  assert.ok(c.expiration instanceof Date && c.expiration > new Date());
  await expectError(bob.serverless.send(new GetCredentialsCommand({ workgroupName: workgroup })), 'AccessDeniedException', 'redshift-serverless:GetCredentials');
  await expectError(alice.serverless.send(new GetCredentialsCommand({ workgroupName: 'missing-wg' })), 'ResourceNotFoundException');
  await expectError(alice.serverless.send(new GetCredentialsCommand({ workgroupName: workgroup, durationSeconds: 10 })), 'ValidationException');
});

await check('redshift GetClusterCredentials and GetClusterCredentialsWithIAM', async () => {
  const c = await alice.redshift.send(new GetClusterCredentialsCommand({ ClusterIdentifier: cluster, DbUser: 'analyst', DbName: database }));
  assert.equal(c.DbUser, 'IAM:analyst');
  assert.ok(c.DbPassword.length >= 20);
  assert.ok(c.Expiration instanceof Date);
  const auto = await alice.redshift.send(new GetClusterCredentialsCommand({ ClusterIdentifier: cluster, DbUser: 'newbie', AutoCreate: true }));
  assert.equal(auto.DbUser, 'IAMA:newbie');
  const iam = await alice.redshift.send(new GetClusterCredentialsWithIAMCommand({ ClusterIdentifier: cluster, DbName: database }));
  assert.equal(iam.DbUser, 'IAM:alice');
  assert.ok(iam.NextRefreshTime instanceof Date);
  const e = await expectError(bob.redshift.send(new GetClusterCredentialsCommand({ ClusterIdentifier: cluster, DbUser: 'analyst' })), 'AccessDenied');
  assert.equal(e.$metadata.httpStatusCode, 403);
  assert.ok(e.message.includes(`is not authorized to perform: redshift:GetClusterCredentials on resource: arn:aws:redshift:us-east-1:${account}:dbuser:${cluster}/analyst`));
  await expectError(bob.redshift.send(new GetClusterCredentialsWithIAMCommand({ ClusterIdentifier: cluster })), 'AccessDenied');
  await expectError(alice.redshift.send(new GetClusterCredentialsCommand({ ClusterIdentifier: 'missing', DbUser: 'x' })), 'ClusterNotFoundFault');
});
