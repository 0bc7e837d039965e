// A stand-in for the REST API, for the browser-side benchmark only (10,000 tables without a
// warehouse of that size). Shapes follow docs/api/openapi.yaml. The end-to-end scenarios use the
// real server; this never replaces it.
const now = '2026-12-02T12:00:00Z';

export function bigCatalog({ databases = 2, schemas = 25, tables = 200 } = {}) {
  const kinds = ['table', 'table', 'table', 'view', 'table', 'late_binding_view', 'table', 'materialized_view'];
  let n = 0;
  const dbs = [];
  for (let d = 0; d < databases; ++d) {
    const ss = [];
    for (let s = 0; s < schemas; ++s) {
      const ts = [];
      for (let t = 0; t < tables; ++t) {
        ts.push({
          name: `table_${String(t).padStart(4, '0')}`,
          kind: kinds[(t + s) % kinds.length],
          comment: t % 10 === 0 ? `Comment of table ${t}` : null,
          can_select: t % 13 !== 0,
          selected: false,
          saved: false,
          mark: null,
          column_count: null,
        });
        ++n;
      }
      ss.push({ name: `schema_${String(s).padStart(2, '0')}`, kind: s === 0 ? 'external' : 'local', source: null, tables: ts });
    }
    dbs.push({ name: `db${d}`, error: null, schemas: ss });
  }
  return { fetched_at: now, table_count: n, saved_at: null, case_sensitive: false, selection: { include: [], exclude: [] }, databases: dbs, removed: [] };
}

// A Data Map of `schemas` x `tables` saved tables per database (the shape of GET .../datamap):
// every tenth table of a schema is a fact with a declared key to the next table and inferred
// ones to the two after it; the rest are dimensions with a primary key.
export function bigDataMap({ databases = 2, schemas = 25, tables = 200 } = {}) {
  const ts = [];
  const rels = [];
  let relSeq = 0;
  for (let d = 0; d < databases; ++d)
    for (let s = 0; s < schemas; ++s) {
      const schema = `schema_${String(s).padStart(2, '0')}`;
      const names = Array.from({ length: tables }, (_, t) => `table_${String(t).padStart(4, '0')}`);
      const id = (t) => `db${d}.${schema}.${names[t]}`;
      const end = (t) => ({ table_id: id(t), database: `db${d}`, schema, name: names[t] });
      names.forEach((name, t) => {
        const fact = t % 10 === 0;
        ts.push({
          id: id(t), database: `db${d}`, schema, name, kind: 'table', comment: t % 10 === 0 ? `Comment of table ${t}` : null,
          column_count: 12, primary_key: ['id'], unique_keys: [], role: fact ? 'fact' : 'dimension', suggested_role: fact ? 'fact' : 'dimension',
          role_overridden: false, role_reason: fact ? 'It references 3 other tables.' : 'It has a primary key that other tables reference.',
        });
        if (!fact || t + 3 >= tables) return;
        for (let k = 1; k <= 3; ++k) {
          const declared = k === 1;
          rels.push({
            id: (++relSeq).toString(16).padStart(16, '0'), from: end(t), from_columns: [`${names[t + k]}_id`], to: end(t + k), to_columns: ['id'],
            status: declared ? 'declared' : 'inferred', constraint_name: declared ? `${name}_fk${k}` : null, confidence: declared ? 1 : 0.85 - k * 0.1,
            evidence: declared ? [] : [`column name ${names[t + k]}_id names table ${names[t + k]}`, 'types match (integer)'], mark: null,
          });
        }
      });
    }
  return datamapOf(ts, rels, []);
}

// The small warehouse of the Data Map screenshot (the TICKIT sample's shape).
export function tickitDataMap() {
  const t = (name, role, pk, comment, extra = {}) => ({
    id: `dev.tickit.${name}`, database: 'dev', schema: 'tickit', name, kind: 'table', comment, column_count: 6, primary_key: pk, unique_keys: [],
    role, suggested_role: role, role_overridden: false, role_reason: role === 'fact' ? 'It references 3 or more tables and has no table referencing it.' : 'Other tables reference its primary key.',
    ...extra,
  });
  const tables = [
    t('category', 'lookup', ['catid'], 'Event categories'),
    t('date', 'dimension', ['dateid'], 'Calendar dates'),
    t('event', 'dimension', ['eventid'], 'Events: a performance at a venue on a date'),
    t('listing', 'fact', ['listid'], 'Tickets put up for sale'),
    t('sales', 'fact', ['salesid'], 'One row per sale', { suggested_role: 'fact' }),
    t('users', 'dimension', ['userid'], 'Registered users: buyers and sellers', { unique_keys: [['email']] }),
    t('venue', 'dimension', ['venueid'], 'Venues'),
    t('web_sessions', 'dimension', [], 'Clickstream sessions (no declared keys)', { role: 'fact', role_overridden: true }),
  ];
  const end = (name) => ({ table_id: `dev.tickit.${name}`, database: 'dev', schema: 'tickit', name });
  let n = 0;
  const r = (from, fc, to, tc, status, extra = {}) => ({
    id: `00000000000000${String(++n).padStart(2, '0')}`, from: end(from), from_columns: fc, to: end(to), to_columns: tc, status,
    constraint_name: status === 'declared' ? `${from}_${fc[0]}_fkey` : null, confidence: status === 'declared' ? 1 : 0.8,
    evidence: status === 'declared' ? [] : [`column name ${fc[0]} matches the primary key of ${to}`, 'same type family (integer)'], mark: null, ...extra,
  });
  const rels = [
    r('event', ['venueid'], 'venue', ['venueid'], 'declared'),
    r('event', ['catid'], 'category', ['catid'], 'declared'),
    r('event', ['dateid'], 'date', ['dateid'], 'declared'),
    r('listing', ['sellerid'], 'users', ['userid'], 'declared'),
    r('listing', ['eventid'], 'event', ['eventid'], 'declared'),
    r('sales', ['listid'], 'listing', ['listid'], 'declared', { mark: 'new' }),
    r('sales', ['buyerid'], 'users', ['userid'], 'inferred', { evidence: ['column name buyerid ends in id and users has key userid', 'same type family (integer)'], confidence: 0.6 }),
    r('sales', ['eventid'], 'event', ['eventid'], 'accepted'),
    r('sales', ['dateid'], 'date', ['dateid'], 'inferred', { mark: 'changed' }),
    r('web_sessions', ['userid'], 'users', ['userid'], 'inferred', { confidence: 0.9 }),
    r('listing', ['dateid'], 'date', ['dateid'], 'rejected'),
  ];
  const removed = [r('sales', ['sellerid'], 'users', ['userid'], 'declared', { mark: 'removed' })];
  return datamapOf(tables, rels, removed);
}

function datamapOf(tables, relationships, removed) {
  const counts = { tables: tables.length, relationships: relationships.length, declared: 0, inferred: 0, accepted: 0, rejected: 0 };
  for (const r of relationships) counts[r.status] += 1;
  return { saved_at: now, tables, relationships, removed_relationships: removed, counts };
}

// The columns of a saved table (GET .../metadata/tables/{id}) for a Data Map table.
function tableDetail(t) {
  const rel = t.primary_key.length ? t.primary_key : ['id'];
  const columns = [...rel, 'name', 'created_at', 'amount'].map((name, i) => ({
    name, type: i === 0 ? 'integer' : name === 'amount' ? 'numeric(12,2)' : name === 'created_at' ? 'timestamp' : 'varchar(100)',
    position: i + 1, nullable: i !== 0, comment: name === 'amount' ? 'in EUR' : null, mark: null,
  }));
  return { id: t.id, database: t.database, schema: t.schema, name: t.name, kind: t.kind, comment: t.comment, column_count: columns.length, saved_at: now, mark: null, columns, removed_columns: [] };
}

export async function routeFakeApi(page, catalog, dataMap = null) {
  const user = { id: 'u1', email: 'bench@example.com', role: 'admin', created_at: now };
  const session = { user, org: { id: 'o1', name: 'Bench' }, csrf_token: 'csrf' };
  const connection = {
    id: 'c1', name: 'bench', data_store: 'redshift',
    settings: { access_key_id: 'AKIAIOSFODNN7EXAMPLE', region: 'us-east-1', workgroup: 'analytics', database: 'dev' },
    secrets_set: ['secret_access_key'], created_at: now, updated_at: now, last_fetched_at: now, saved_table_count: 0,
  };
  const body = JSON.stringify(catalog);
  await page.route('**/api/v1/**', (route) => {
    const url = new URL(route.request().url());
    const p = url.pathname;
    const json = (status, obj) => route.fulfill({ status, contentType: 'application/json', headers: { 'X-Request-Id': 'fake' }, body: typeof obj === 'string' ? obj : JSON.stringify(obj) });
    if (p === '/api/v1/setup') return json(200, { needed: false });
    if (p === '/api/v1/me') return json(200, session);
    if (p === '/api/v1/connections') return json(200, { connections: [connection] });
    if (p === '/api/v1/connections/c1/metadata/catalog') return json(200, body);
    if (p === '/api/v1/connections/c1/metadata/tables') return json(200, { tables: [] });
    if (dataMap) {
      const method = route.request().method();
      const m = p.match(/^\/api\/v1\/connections\/c1\/(metadata\/tables|datamap\/relationships|datamap\/roles)\/(.+)$/);
      if (p === '/api/v1/connections/c1/datamap') return json(200, dataMap);
      if (m && m[1] === 'metadata/tables') {
        const t = dataMap.tables.find((x) => x.id === decodeURIComponent(m[2]));
        return t ? json(200, tableDetail(t)) : json(404, { error: { code: 'not_found', message: 'no such saved table', request_id: 'fake' } });
      }
      if (m && method === 'PUT' && m[1] === 'datamap/relationships') {
        const r = dataMap.relationships.find((x) => x.id === decodeURIComponent(m[2]));
        if (!r) return json(404, { error: { code: 'not_found', message: 'no such relationship', request_id: 'fake' } });
        if (r.status === 'declared')
          return json(409, { error: { code: 'conflict', message: 'declared relationships are facts from the warehouse; only inferred ones can be accepted or rejected', request_id: 'fake' } });
        const { decision } = route.request().postDataJSON();
        r.status = decision === 'accept' ? 'accepted' : decision === 'reject' ? 'rejected' : 'inferred';
        return json(200, r);
      }
      if (m && method === 'PUT' && m[1] === 'datamap/roles') {
        const t = dataMap.tables.find((x) => x.id === decodeURIComponent(m[2]));
        if (!t) return json(404, { error: { code: 'not_found', message: 'no such saved table', request_id: 'fake' } });
        const { role } = route.request().postDataJSON();
        Object.assign(t, { role: role ?? t.suggested_role, role_overridden: role !== null });
        return json(200, t);
      }
    }
    return json(404, { error: { code: 'not_found', message: `fake API: ${p}`, request_id: 'fake' } });
  });
}
