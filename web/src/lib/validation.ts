// Inline validation of the Redshift connection form, before anything is sent. The rules follow
// the AWS API models (/work/shared/aws/models: sts accessKeyIdType, redshift-serverless
// WorkgroupName, redshift-data ClusterIdentifierString, sts arnType/externalIdType) and the
// server's own checks (src/warehouse/redshift/settings.cc), with the same messages, so the
// user sees the same words whichever side finds the problem.

export type Target = 'serverless' | 'provisioned';

export interface RedshiftForm {
  name: string;
  access_key_id: string;
  secret_access_key: string;
  region: string;
  target: Target;
  workgroup: string;
  cluster_identifier: string;
  database_user: string;
  database: string;
  secret_arn: string;
  role_arn: string;
  external_id: string;
}

export type FieldId = keyof RedshiftForm;
export type Errors = Partial<Record<FieldId, string>>;

export function emptyForm(): RedshiftForm {
  return {
    name: '',
    access_key_id: '',
    secret_access_key: '',
    region: '',
    target: 'serverless',
    workgroup: '',
    cluster_identifier: '',
    database_user: '',
    database: '',
    secret_arn: '',
    role_arn: '',
    external_id: '',
  };
}

const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]{1,2}$/;
const WORKGROUP = /^[a-z0-9-]{3,64}$/;
const CLUSTER = /^[a-z](?:[a-z0-9]|-(?!-)){0,62}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@!-]+$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::[0-9]{12}:role\/[\w+=,.@/-]{1,512}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const utf8 = new TextEncoder();

// `secretSet`: editing a saved connection whose secret is kept when the field is left empty.
export function validateRedshift(f: RedshiftForm, secretSet = false): Errors {
  const e: Errors = {};
  const v = (s: string) => s.trim();

  const name = v(f.name);
  if (!name) e.name = 'is required';
  else if (name.length > 128 || CONTROL.test(name)) e.name = 'must be 1 to 128 characters without control characters';

  const akid = v(f.access_key_id);
  if (!akid) e.access_key_id = 'is required';
  else if (!ACCESS_KEY_ID.test(akid))
    e.access_key_id = 'must be 16 to 128 upper-case letters and digits (it starts with AKIA)';

  const key = v(f.secret_access_key);
  if (!key) {
    if (!secretSet) e.secret_access_key = 'is required';
  } else if (key.length < 16 || key.length > 128 || CONTROL.test(key) || key.includes(' ')) {
    e.secret_access_key = 'does not look like an AWS secret access key (40 characters, no spaces)';
  }

  const region = v(f.region);
  if (!region) e.region = 'is required';
  else if (!REGION.test(region)) e.region = 'is not an AWS Region name such as us-east-1';

  if (f.target === 'serverless') {
    const wg = v(f.workgroup);
    if (!wg) e.workgroup = 'is required for a serverless workgroup';
    else if (!WORKGROUP.test(wg)) e.workgroup = 'use 3 to 64 lower-case letters, digits and hyphens';
  } else {
    const id = v(f.cluster_identifier);
    if (!id) e.cluster_identifier = 'is required for a provisioned cluster';
    else if (!CLUSTER.test(id) || id.endsWith('-'))
      e.cluster_identifier = 'use 1 to 63 lower-case letters, digits and single hyphens, starting with a letter';
    const user = v(f.database_user);
    if (user && (user.length > 128 || CONTROL.test(user)))
      e.database_user = 'must be 1 to 128 characters without control characters';
    else if (user && v(f.secret_arn)) e.database_user = 'leave empty when a secret is used: the secret names the user';
  }

  const db = v(f.database);
  if (!db) e.database = 'is required';
  else if (utf8.encode(db).length > 127 || CONTROL.test(db))
    e.database = 'must be 1 to 127 bytes without control characters';

  const arn = v(f.secret_arn);
  if (arn && !SECRET_ARN.test(arn))
    e.secret_arn = 'is not a secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)';

  const role = v(f.role_arn);
  if (role && (role.length < 20 || role.length > 2048 || !ROLE_ARN.test(role)))
    e.role_arn = 'is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)';

  const ext = v(f.external_id);
  if (ext && !role) e.external_id = 'applies only with a Role ARN';
  else if (ext && !EXTERNAL_ID.test(ext))
    e.external_id = 'use 2 to 1224 letters, digits and the characters + = , . @ : / -';
  return e;
}

export function hasErrors(e: Errors): boolean {
  return Object.keys(e).length > 0;
}

// The API body for this form: settings of the chosen target only; the secret only when typed.
export function toConnectionInput(f: RedshiftForm) {
  const settings: Record<string, string> = {
    access_key_id: f.access_key_id.trim(),
    region: f.region.trim(),
    database: f.database.trim(),
  };
  if (f.target === 'serverless') settings.workgroup = f.workgroup.trim();
  else {
    settings.cluster_identifier = f.cluster_identifier.trim();
    if (f.database_user.trim()) settings.database_user = f.database_user.trim();
  }
  if (f.secret_arn.trim()) settings.secret_arn = f.secret_arn.trim();
  if (f.role_arn.trim()) settings.role_arn = f.role_arn.trim();
  if (f.external_id.trim()) settings.external_id = f.external_id.trim();
  const secrets: Record<string, string> = {};
  if (f.secret_access_key.trim()) secrets.secret_access_key = f.secret_access_key.trim();
  return { name: f.name.trim(), data_store: 'redshift', settings, secrets };
}

// A saved connection's settings back into the form (the secret stays empty: it is write-only).
export function fromSettings(name: string, settings: Record<string, string>): RedshiftForm {
  const f = emptyForm();
  f.name = name;
  for (const k of Object.keys(f) as FieldId[]) {
    if (k !== 'name' && k !== 'target' && k !== 'secret_access_key' && typeof settings[k] === 'string')
      (f as unknown as Record<string, string>)[k] = settings[k];
  }
  f.target = settings.cluster_identifier ? 'provisioned' : 'serverless';
  return f;
}
