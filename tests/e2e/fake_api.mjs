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

export async function routeFakeApi(page, catalog) {
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
    return json(404, { error: { code: 'not_found', message: `fake API: ${p}`, request_id: 'fake' } });
  });
}
