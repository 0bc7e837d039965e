// The REST client (docs/api/openapi.yaml). Every call goes through `request`: JSON in and out,
// the CSRF token on state-changing calls, errors turned into ApiError with the server's message
// and request id, and a 401 on an authenticated call reported to the app (session expired).

export interface User {
  id: string;
  email: string;
  role: 'admin' | 'member';
  created_at: string;
}
export interface Org {
  id: string;
  name: string;
}
export interface Session {
  user: User;
  org: Org;
  csrf_token: string;
}
export interface Connection {
  id: string;
  name: string;
  data_store: string;
  settings: Record<string, string>;
  secrets_set: string[];
  created_at: string;
  updated_at: string;
  last_fetched_at: string | null;
  saved_table_count: number;
}
export interface TestStep {
  id: string;
  title: string;
  status: 'ok' | 'failed' | 'skipped';
  detail: string;
  fix: string;
}
export interface TestReport {
  ok: boolean;
  steps: TestStep[];
}
export interface Job {
  id: string;
  kind: 'fetch' | 'save' | 'refresh';
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  connection_id: string;
  progress: { done: number; total: number; step: string };
  error: { code: string; message: string } | null;
}
export interface SavedTable {
  id: string;
  database: string;
  schema: string;
  name: string;
  kind: string;
  comment: string | null;
  column_count: number;
  saved_at: string;
  mark: 'new' | 'changed' | null;
}
export interface Column {
  name: string;
  type: string;
  family?: string;
  position: number;
  nullable: boolean;
  comment: string | null;
  mark: 'new' | 'changed' | null;
}
export interface TableDetail extends SavedTable {
  columns: Column[];
  removed_columns: string[];
}
// The Data Map (docs/api/openapi.yaml, /connections/{id}/datamap).
export type TableRole = 'fact' | 'dimension' | 'lookup';
export type RelationshipStatus = 'declared' | 'inferred' | 'accepted' | 'rejected';
export interface DataMapTable {
  id: string;
  database: string;
  schema: string;
  name: string;
  kind: string;
  comment: string | null;
  column_count: number;
  primary_key: string[];
  unique_keys: string[][];
  role: TableRole;
  suggested_role: TableRole;
  role_overridden: boolean;
  role_reason: string;
}
export interface RelationshipEnd {
  table_id: string;
  database: string;
  schema: string;
  name: string;
}
export interface Relationship {
  id: string;
  from: RelationshipEnd;
  from_columns: string[];
  to: RelationshipEnd;
  to_columns: string[];
  status: RelationshipStatus;
  constraint_name: string | null;
  confidence: number;
  evidence: string[];
  mark: 'new' | 'changed' | 'removed' | null;
}
export interface DataMap {
  saved_at: string | null;
  tables: DataMapTable[];
  relationships: Relationship[];
  removed_relationships: Relationship[];
  counts: { tables: number; relationships: number; declared: number; inferred: number; accepted: number; rejected: number };
}
export type ExportFormat = 'catalog-json' | 'dbt' | 'ddl' | 'markdown';

export interface DataStore {
  id: string;
  label: string;
  fields: { id: string; label: string; kind: string; required: boolean; help: string; placeholder: string; group: string }[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
  ) {
    super(message);
  }
}

let csrfToken = '';
let onExpired: (() => void) | null = null;

export function setCsrfToken(token: string) {
  csrfToken = token;
}
export function onSessionExpired(fn: () => void) {
  onExpired = fn;
}

export async function request<T>(method: string, path: string, body?: unknown, opts: { auth?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'unavailable', 'The server could not be reached. Check that schemaport is running.', null);
  }
  const requestId = res.headers.get('X-Request-Id');
  if (res.status === 204 || res.status === 205) return undefined as T;
  let json: unknown = null;
  const text = await res.text();
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string; request_id?: string } } | null)?.error;
    const e = new ApiError(
      res.status,
      err?.code ?? 'internal',
      err?.message ?? `The server answered ${res.status} ${res.statusText}`,
      err?.request_id ?? requestId,
    );
    if (res.status === 401 && opts.auth !== false && onExpired) onExpired();
    throw e;
  }
  return json as T;
}

const enc = encodeURIComponent;

export const api = {
  setupNeeded: () => request<{ needed: boolean }>('GET', '/api/v1/setup', undefined, { auth: false }),
  setup: (b: { token: string; organization: string; email: string; password: string }) =>
    request<Session>('POST', '/api/v1/setup', b, { auth: false }),
  login: (email: string, password: string) => request<Session>('POST', '/api/v1/auth/login', { email, password }, { auth: false }),
  logout: () => request<void>('POST', '/api/v1/auth/logout', undefined, { auth: false }),
  me: () => request<Session>('GET', '/api/v1/me', undefined, { auth: false }),
  dataStores: () => request<{ data_stores: DataStore[] }>('GET', '/api/v1/data-stores'),
  testSettings: (b: unknown) => request<TestReport>('POST', '/api/v1/connections/test', b),
  createConnection: (b: unknown) => request<Connection>('POST', '/api/v1/connections', b),
  connections: () => request<{ connections: Connection[] }>('GET', '/api/v1/connections'),
  updateConnection: (id: string, b: unknown) => request<Connection>('PATCH', `/api/v1/connections/${enc(id)}`, b),
  deleteConnection: (id: string) => request<void>('DELETE', `/api/v1/connections/${enc(id)}`),
  testConnection: (id: string) => request<TestReport>('POST', `/api/v1/connections/${enc(id)}/test`, {}),
  fetchMetadata: (id: string) => request<{ job: Job }>('POST', `/api/v1/connections/${enc(id)}/metadata/fetch`, {}),
  refreshMetadata: (id: string) => request<{ job: Job }>('POST', `/api/v1/connections/${enc(id)}/metadata/refresh`, {}),
  job: (id: string) => request<Job>('GET', `/api/v1/jobs/${enc(id)}`),
  cancelJob: (id: string) => request<Job>('DELETE', `/api/v1/jobs/${enc(id)}`),
  catalog: (id: string) => request<import('./catalog').CatalogJson>('GET', `/api/v1/connections/${enc(id)}/metadata/catalog`),
  saveSelection: (id: string, b: { tables: unknown[]; include: string[]; exclude: string[] }) =>
    request<{ job: Job; selected: number }>('PUT', `/api/v1/connections/${enc(id)}/metadata/selection`, b),
  savedTables: (id: string) => request<{ tables: SavedTable[] }>('GET', `/api/v1/connections/${enc(id)}/metadata/tables`),
  savedTable: (id: string, tableId: string) =>
    request<TableDetail>('GET', `/api/v1/connections/${enc(id)}/metadata/tables/${enc(tableId)}`),
  dataMap: (id: string) => request<DataMap>('GET', `/api/v1/connections/${enc(id)}/datamap`),
  decideRelationship: (id: string, relationshipId: string, decision: 'accept' | 'reject' | null) =>
    request<Relationship>('PUT', `/api/v1/connections/${enc(id)}/datamap/relationships/${enc(relationshipId)}`, { decision }),
  setRole: (id: string, tableId: string, role: TableRole | null) =>
    request<DataMapTable>('PUT', `/api/v1/connections/${enc(id)}/datamap/roles/${enc(tableId)}`, { role }),
  users: () => request<{ users: User[] }>('GET', '/api/v1/users'),
  addUser: (b: { email: string; password: string; role: string }) => request<User>('POST', '/api/v1/users', b),
  deleteUser: (id: string) => request<void>('DELETE', `/api/v1/users/${enc(id)}`),
  tokens: () => request<{ tokens: { id: string; name: string; created_at: string; expires_at: string | null }[] }>('GET', '/api/v1/tokens'),
  createToken: (name: string, expires_in_days?: number) =>
    request<{ token: { id: string; name: string }; secret: string }>('POST', '/api/v1/tokens', { name, ...(expires_in_days ? { expires_in_days } : {}) }),
  revokeToken: (id: string) => request<void>('DELETE', `/api/v1/tokens/${enc(id)}`),
  rotateKey: () => request<{ key_id?: string }>('POST', '/api/v1/keys/rotate', {}),
  audit: (limit = 100) =>
    request<{ events: { id: string; at: string; actor_id: string; action: string; target_id: string; detail: string }[] }>(
      'GET',
      `/api/v1/audit?limit=${limit}`,
    ),
};

// A download link (a plain GET: the session cookie authenticates it, no CSRF token needed).
export function exportUrl(connectionId: string, format: ExportFormat): string {
  return `/api/v1/connections/${enc(connectionId)}/datamap/export?format=${enc(format)}`;
}

// Polls a job until it ends; `onProgress` sees every state. Resolves with the final job.
export async function waitForJob(id: string, onProgress: (j: Job) => void, signal?: { stopped: boolean }): Promise<Job> {
  let delay = 150;
  for (;;) {
    const j = await api.job(id);
    onProgress(j);
    if (j.state !== 'queued' && j.state !== 'running') return j;
    if (signal?.stopped) return j;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 1.5, 750);
  }
}
