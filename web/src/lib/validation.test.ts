import { describe, expect, it } from 'vitest';
import { emptyForm, fromSettings, toConnectionInput, validateRedshift, type RedshiftForm } from './validation';

const good = (): RedshiftForm => ({
  ...emptyForm(),
  name: 'analytics',
  access_key_id: 'AKIAIOSFODNN7EXAMPLE',
  secret_access_key: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
  workgroup: 'default-workgroup',
  database: 'dev',
});

describe('validateRedshift', () => {
  it('accepts a complete serverless form and a provisioned one', () => {
    expect(validateRedshift(good())).toEqual({});
    expect(validateRedshift({ ...good(), target: 'provisioned', workgroup: '', cluster_identifier: 'my-cluster-1', database_user: 'awsuser' })).toEqual({});
  });
  it('requires every required field', () => {
    const e = validateRedshift(emptyForm());
    expect(Object.keys(e).sort()).toEqual(['access_key_id', 'database', 'name', 'region', 'secret_access_key', 'workgroup']);
    expect(e.region).toBe('is required');
  });
  it('checks the access key id against the STS model (16 to 128 word characters, upper case)', () => {
    expect(validateRedshift({ ...good(), access_key_id: 'AKIA123' }).access_key_id).toMatch(/16 to 128/);
    expect(validateRedshift({ ...good(), access_key_id: 'akiaiosfodnn7example' }).access_key_id).toBeDefined();
    expect(validateRedshift({ ...good(), access_key_id: ' AKIAIOSFODNN7EXAMPLE ' }).access_key_id).toBeUndefined();
  });
  it('checks the secret key shape, and keeps a saved one when left empty', () => {
    expect(validateRedshift({ ...good(), secret_access_key: 'short' }).secret_access_key).toMatch(/40 characters/);
    expect(validateRedshift({ ...good(), secret_access_key: 'has a space in it 1234567890' }).secret_access_key).toBeDefined();
    expect(validateRedshift({ ...good(), secret_access_key: '' }, true)).toEqual({});
  });
  it('checks regions', () => {
    for (const r of ['us-east-1', 'eu-central-2', 'us-gov-west-1', 'ap-southeast-4']) expect(validateRedshift({ ...good(), region: r }).region).toBeUndefined();
    for (const r of ['moon-1', 'US-EAST-1', 'us-east', 'useast1']) expect(validateRedshift({ ...good(), region: r }).region).toMatch(/AWS Region/);
  });
  it('checks workgroup names (redshift-serverless WorkgroupName: 3 to 64 of [a-z0-9-])', () => {
    expect(validateRedshift({ ...good(), workgroup: 'ab' }).workgroup).toBeDefined();
    expect(validateRedshift({ ...good(), workgroup: 'My_WG' }).workgroup).toBeDefined();
    expect(validateRedshift({ ...good(), workgroup: 'a'.repeat(64) }).workgroup).toBeUndefined();
    expect(validateRedshift({ ...good(), workgroup: 'a'.repeat(65) }).workgroup).toBeDefined();
  });
  it('checks cluster identifiers (letter first, single hyphens, no trailing hyphen, 63 at most)', () => {
    const p = (id: string) => validateRedshift({ ...good(), target: 'provisioned', cluster_identifier: id }).cluster_identifier;
    expect(p('my-cluster')).toBeUndefined();
    expect(p('1cluster')).toBeDefined();
    expect(p('my--cluster')).toBeDefined();
    expect(p('cluster-')).toBeDefined();
    expect(p('a'.repeat(63))).toBeUndefined();
    expect(p('a'.repeat(64))).toBeDefined();
    expect(p('')).toMatch(/required/);
  });
  it('checks ARN shapes and the external id', () => {
    expect(validateRedshift({ ...good(), secret_arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rs-AbC123' }).secret_arn).toBeUndefined();
    expect(validateRedshift({ ...good(), secret_arn: 'arn:aws:s3:::bucket' }).secret_arn).toMatch(/secret ARN/);
    expect(validateRedshift({ ...good(), role_arn: 'arn:aws:iam::123456789012:role/schemaport' }).role_arn).toBeUndefined();
    expect(validateRedshift({ ...good(), role_arn: 'arn:aws:iam::123456789012:user/bob' }).role_arn).toMatch(/role ARN/);
    expect(validateRedshift({ ...good(), role_arn: 'arn:aws:iam::12345:role/x' }).role_arn).toBeDefined();
    expect(validateRedshift({ ...good(), external_id: 'abc' }).external_id).toMatch(/Role ARN/);
    expect(validateRedshift({ ...good(), role_arn: 'arn:aws:iam::123456789012:role/r', external_id: 'x' }).external_id).toBeDefined();
    expect(validateRedshift({ ...good(), role_arn: 'arn:aws:iam::123456789012:role/r', external_id: 'ext-id:42' }).external_id).toBeUndefined();
  });
  it('rejects a database user with a secret ARN, as the server does', () => {
    const e = validateRedshift({
      ...good(),
      target: 'provisioned',
      cluster_identifier: 'c1',
      database_user: 'bob',
      secret_arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x',
    });
    expect(e.database_user).toMatch(/secret names the user/);
  });
});

describe('form <-> API body', () => {
  it('sends only the chosen target and the secret only when typed', () => {
    const body = toConnectionInput({ ...good(), cluster_identifier: 'ignored' });
    expect(body.settings).toEqual({ access_key_id: 'AKIAIOSFODNN7EXAMPLE', region: 'us-east-1', database: 'dev', workgroup: 'default-workgroup' });
    expect(body.secrets).toEqual({ secret_access_key: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' });
    expect(toConnectionInput({ ...good(), secret_access_key: '' }).secrets).toEqual({});
  });
  it('reads a saved connection back without its secret', () => {
    const f = fromSettings('wh', { access_key_id: 'AKIAIOSFODNN7EXAMPLE', region: 'eu-west-1', cluster_identifier: 'c1', database: 'dev' });
    expect(f.target).toBe('provisioned');
    expect(f.secret_access_key).toBe('');
    expect(f.cluster_identifier).toBe('c1');
  });
});
