import { describe, expect, it } from 'vitest';
import { CatalogModel, matchingTables, visibleRows, type CatalogJson, type View } from './catalog';

type T = CatalogJson['databases'][0]['schemas'][0]['tables'][0];
const table = (name: string, extra: Partial<T> = {}): T => ({
  name,
  kind: 'table',
  comment: null,
  can_select: true,
  selected: false,
  saved: false,
  mark: null,
  column_count: null,
  ...extra,
});

function catalog(over: Partial<CatalogJson> = {}): CatalogJson {
  return {
    fetched_at: '2026-12-02T10:00:00Z',
    table_count: 5,
    saved_at: null,
    selection: { include: [], exclude: [] },
    databases: [
      {
        name: 'dev',
        error: null,
        schemas: [
          { name: 'sales', kind: 'local', source: null, tables: [table('orders'), table('customers'), table('v_orders', { kind: 'view' })] },
          { name: 'tmp', kind: 'local', source: null, tables: [table('scratch')] },
        ],
      },
      { name: 'prod', error: null, schemas: [{ name: 'public', kind: 'local', source: null, tables: [table('orders')] }] },
    ],
    removed: [],
    ...over,
  };
}

const idx = (m: CatalogModel, path: string) => {
  for (let t = 0; t < m.tables.length; ++t) {
    const r = m.ref(t);
    if (`${r.database}.${r.schema}.${r.table}` === path) return t;
  }
  throw new Error(`no ${path}`);
};
const view = (over: Partial<View> = {}): View => ({ expandedDbs: new Set(), expandedSchemas: new Set(), search: '', marks: 'all', ...over });

describe('tri-state selection', () => {
  it('computes unchecked, mixed and checked for schemas and databases', () => {
    const m = new CatalogModel(catalog());
    expect(m.checkOf(m.schemaTables(0))).toBe('unchecked');
    m.setExplicit([idx(m, 'dev.sales.orders')], true);
    expect(m.checkOf(m.schemaTables(0))).toBe('mixed');
    expect(m.checkOf(m.dbTables(0))).toBe('mixed');
    m.toggle(m.schemaTables(0)); // mixed -> all on
    expect(m.checkOf(m.schemaTables(0))).toBe('checked');
    expect(m.checkOf(m.dbTables(0))).toBe('mixed');
    m.toggle(m.schemaTables(1));
    expect(m.checkOf(m.dbTables(0))).toBe('checked');
    m.toggle(m.dbTables(0)); // checked -> all off
    expect(m.counts().tables).toBe(0);
  });
  it('takes the saved selection from the server and counts known columns', () => {
    const json = catalog();
    json.databases[0].schemas[0].tables[0] = table('orders', { selected: true, saved: true, column_count: 7 });
    json.databases[0].schemas[0].tables[1] = table('customers', { selected: true });
    const m = new CatalogModel(json);
    expect(m.counts()).toEqual({ tables: 2, columns: 7, columnsKnown: 1 });
    expect(m.explicitRefs()).toEqual([
      { database: 'dev', schema: 'sales', table: 'orders' },
      { database: 'dev', schema: 'sales', table: 'customers' },
    ]);
  });
  it('select all over 10,000 tables selects each once', () => {
    const tables = Array.from({ length: 10000 }, (_, i) => table(`t${i}`));
    const m = new CatalogModel(catalog({ databases: [{ name: 'big', error: null, schemas: [{ name: 's', kind: 'local', source: null, tables }] }] }));
    const all = matchingTables(m, view());
    m.toggle(all);
    expect(m.counts().tables).toBe(10000);
    expect(m.checkOf(all)).toBe('checked');
  });
});

describe('patterns', () => {
  it('select what an include matches and no exclude does, with a live count', () => {
    const m = new CatalogModel(catalog());
    m.setPatterns(['dev'], ['dev.tmp']);
    expect(m.patternMatchCount()).toBe(3);
    expect(m.isSelected(idx(m, 'dev.sales.orders'))).toBe(true);
    expect(m.isSelected(idx(m, 'dev.tmp.scratch'))).toBe(false);
    expect(m.isSelected(idx(m, 'prod.public.orders'))).toBe(false);
    m.setPatterns(['*.*.orders'], []);
    expect(m.patternMatchCount()).toBe(2);
    m.setPatterns([], ['dev']);
    expect(m.patternMatchCount()).toBe(0);
  });
  it('keeps explicit choices separate from pattern matches', () => {
    const m = new CatalogModel(catalog());
    m.setExplicit([idx(m, 'prod.public.orders')], true);
    m.setPatterns(['dev.sales'], []);
    expect(m.counts().tables).toBe(4);
    expect(m.explicitRefs()).toEqual([{ database: 'prod', schema: 'public', table: 'orders' }]);
  });
  it('does not turn saved pattern matches into explicit choices', () => {
    const json = catalog({ selection: { include: ['dev.sales'], exclude: [] } });
    for (const t of json.databases[0].schemas[0].tables) t.selected = true;
    const m = new CatalogModel(json);
    expect(m.explicitRefs()).toEqual([]);
    expect(m.counts().tables).toBe(3);
    m.setPatterns([], []);
    expect(m.counts().tables).toBe(0);
  });
  it('reports invalid patterns', () => {
    const m = new CatalogModel(catalog());
    m.setPatterns(['dev..x'], []);
    expect(m.patternErrors).toEqual(["table pattern 'dev..x' has an empty part"]);
  });
});

describe('refresh marks', () => {
  function refreshed(): CatalogJson {
    const json = catalog({
      saved_at: '2026-12-02T11:00:00Z',
      removed: [
        { database: 'dev', schema: 'sales', table: 'returns' },
        { database: 'dev', schema: 'gone', table: 'old' },
      ],
    });
    json.databases[0].schemas[0].tables[0] = table('orders', { selected: true, saved: true, mark: 'changed', column_count: 4 });
    json.databases[0].schemas[0].tables.push(table('refunds', { mark: 'new' }));
    return json;
  }
  it('shows removed saved tables in their schema (or a schema of their own), never selectable', () => {
    const m = new CatalogModel(refreshed());
    const r = idx(m, 'dev.sales.returns');
    expect(m.tables[r]).toMatchObject({ removed: true, mark: 'removed' });
    expect(idx(m, 'dev.gone.old')).toBeGreaterThan(0);
    m.setExplicit([r], true);
    expect(m.isSelected(r)).toBe(false);
    expect(m.markCounts()).toEqual({ new: 1, removed: 2, changed: 1 });
    // the schema's tri-state ignores removed rows
    expect(m.checkOf(m.schemaTables(0))).toBe('mixed');
  });
  it('filters to marks, keeping ancestors', () => {
    const m = new CatalogModel(refreshed());
    const rows = visibleRows(m, view({ marks: 'new' }));
    expect(rows.map((r) => r.kind)).toEqual(['db', 'schema', 'table']);
    expect(m.tables[rows[2].index].name).toBe('refunds');
    expect(matchingTables(m, view({ marks: 'changes' })).map((t) => m.tables[t].name).sort()).toEqual(['old', 'orders', 'refunds', 'returns']);
    expect(matchingTables(m, view({ marks: 'removed' }))).toHaveLength(2);
  });
  it('carries an unsaved selection over a refresh; new tables come only from patterns', () => {
    const before = new CatalogModel(catalog());
    before.setExplicit([idx(before, 'dev.sales.customers'), idx(before, 'dev.tmp.scratch')], true);
    before.setPatterns(['dev.sales.re*'], []);
    const after = new CatalogModel(refreshed()); // server: only orders selected (the saved selection)
    after.carryOver(before);
    expect(after.isSelected(idx(after, 'dev.sales.customers'))).toBe(true);
    expect(after.isSelected(idx(after, 'dev.tmp.scratch'))).toBe(true);
    expect(after.isSelected(idx(after, 'dev.sales.orders'))).toBe(false); // unchosen before: stays unchosen
    expect(after.isSelected(idx(after, 'dev.sales.refunds'))).toBe(true); // new, matched by the include
    expect(after.include).toEqual(['dev.sales.re*']);
  });
  it('leaves a new table unselected when no include matches it', () => {
    const before = new CatalogModel(catalog());
    before.setExplicit(before.schemaTables(0), true);
    const after = new CatalogModel(refreshed());
    after.carryOver(before);
    expect(after.isSelected(idx(after, 'dev.sales.refunds'))).toBe(false);
    expect(after.isSelected(idx(after, 'dev.sales.orders'))).toBe(true);
  });
});

describe('visible rows', () => {
  it('shows databases, then schemas and tables as they are expanded', () => {
    const m = new CatalogModel(catalog());
    expect(visibleRows(m, view()).map((r) => r.kind)).toEqual(['db', 'db']);
    const rows = visibleRows(m, view({ expandedDbs: new Set([0]), expandedSchemas: new Set([1]) }));
    expect(rows.map((r) => r.kind)).toEqual(['db', 'schema', 'schema', 'table', 'db']);
  });
  it('searches case-insensitively over database.schema.table', () => {
    const m = new CatalogModel(catalog());
    const rows = visibleRows(m, view({ search: 'ORDERS' }));
    expect(rows.filter((r) => r.kind === 'table').map((r) => m.ref(r.index))).toEqual([
      { database: 'dev', schema: 'sales', table: 'orders' },
      { database: 'dev', schema: 'sales', table: 'v_orders' },
      { database: 'prod', schema: 'public', table: 'orders' },
    ]);
    expect(visibleRows(m, view({ search: 'sales.cust' }))).toHaveLength(3);
    expect(visibleRows(m, view({ search: 'nothing' }))).toEqual([]);
  });
});
