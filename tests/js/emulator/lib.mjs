// Shared helpers for the emulator fidelity scripts. Every script runs against an emulator the
// C++ harness (tools/aws-emulator/emulator_integration_test.cc) started on port 0; it passes the
// endpoint, the admin URL and the identities' keys through the environment.
import assert from 'node:assert/strict';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { STSClient } from '@aws-sdk/client-sts';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { RedshiftServerlessClient } from '@aws-sdk/client-redshift-serverless';
import { RedshiftClient } from '@aws-sdk/client-redshift';

export const env = process.env;
export const endpoint = env.AWS_ENDPOINT_URL;
export const region = env.AWS_REGION;
export const database = env.EMU_DATABASE;
export const workgroup = env.EMU_WORKGROUP;
export const cluster = env.EMU_CLUSTER;
export const account = env.EMU_ACCOUNT;

export function creds(who) {
  const upper = who.toUpperCase();
  return { accessKeyId: env[`EMU_${upper}_KEY`], secretAccessKey: env[`EMU_${upper}_SECRET`] };
}

// The Data API's request quotas are per account and Region, and the emulator enforces them:
// clients retry throttles the way the SDK offers for it (adaptive mode: client-side rate limiting
// after a throttle). A script that must see a throttle or a single attempt passes maxAttempts.
function opts(credentials, extra = {}) {
  return { region, endpoint, credentials, retryMode: 'adaptive', maxAttempts: 10, ...extra };
}

export function clients(credentials, extra = {}) {
  const o = opts(credentials, extra);
  return {
    data: new RedshiftDataClient(o),
    sts: new STSClient(o),
    secrets: new SecretsManagerClient(o),
    serverless: new RedshiftServerlessClient(o),
    redshift: new RedshiftClient(o),
  };
}

export async function admin(path, method = 'GET', body = undefined) {
  const res = await fetch(`${env.EMU_ADMIN}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  assert.equal(res.status, 200, JSON.stringify(json));
  return json;
}

// Awaits `promise` and asserts it rejects with the SDK's exception class named `name`.
export async function expectError(promise, name, messagePart = undefined) {
  let error;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected ${name}, but the call succeeded`);
  assert.equal(error.name, name, `expected ${name}, got ${error.name}: ${error.message}`);
  if (messagePart !== undefined) {
    assert.ok(error.message.includes(messagePart), `message "${error.message}" lacks "${messagePart}"`);
  }
  return error;
}

export async function check(name, fn) {
  try {
    await fn();
    console.log(`ok - ${name}`);
  } catch (e) {
    console.log(`not ok - ${name}`);
    console.log(e);
    process.exitCode = 1;
  }
}
