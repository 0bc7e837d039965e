import { describe, expect, it } from 'vitest';
import type { DataMap, DataMapTable, Relationship } from './api';
import type { Box } from './datamap';
import {
  BOX_WIDTH,
  MAX_COLUMNS,
  gridPlacement,
  canDecide,
  countsOf,
  decisionOf,
  describeRelationship,
  diagramOrder,
  edgePaths,
  filterTables,
  groupBySchema,
  layoutSchema,
  markCounts,
  pageOf,
  relationshipsByTable,
  shorten,
  statusAfter,
  withRelationship,
  withTable,
  NO_FILTER,
} from './datamap';

const table = (schema: string, name: string, extra: Partial<DataMapTable> = {}): DataMapTable => ({
  id: `${schema}.${name}`,
  database: 'dev',
  schema,
  name,
  kind: 'table',
  comment: null,
  column_count: 3,
  primary_key: [],
  unique_keys: [],
  role: 'dimension',
  suggested_role: 'dimension',
  role_overridden: false,
  role_reason: 'It is referenced by other tables.',
  ...extra,
});

const end = (t: DataMapTable) => ({ table_id: t.id, database: t.database, schema: t.schema, name: t.name });
let seq = 0;
const rel = (from: DataMapTable, fromCols: string[], to: DataMapTable, toCols: string[], extra: Partial<Relationship> = {}): Relationship => ({
  id: (++seq).toString(16).padStart(16, '0'),
  from: end(from),
  from_columns: fromCols,
  to: end(to),
  to_columns: toCols,
  status: 'inferred',
  constraint_name: null,
  confidence: 0.8,
  evidence: ['column name customer_id names table customers'],
  mark: null,
  ...extra,
});

const orders = table('sales', 'orders', { primary_key: ['id'], role: 'fact', suggested_role: 'fact', comment: 'one row per order' });
const customers = table('sales', 'customers', { primary_key: ['id'], unique_keys: [['email']] });
const products = table('sales', 'products', { primary_key: ['id'] });
const campaigns = table('marketing', 'campaigns', { primary_key: ['id'] });
const scratch = table('tmp', 'scratch');
const declared = rel(orders, ['customer_id'], customers, ['id'], { status: 'declared', constraint_name: 'orders_customer_fkey', confidence: 1, evidence: [] });
const inferred = rel(orders, ['product_id'], products, ['id']);
const cross = rel(orders, ['campaign_id'], campaigns, ['id'], { mark: 'new' });

function map(extra: Partial<DataMap> = {}): DataMap {
  const relationships = [declared, inferred, cross];
  const { review: _review, ...counts } = countsOf(relationships);
  return {
    saved_at: '2026-12-03T07:00:00Z',
    tables: [campaigns, customers, orders, products, scratch],
    relationships,
    removed_relationships: [],
    counts: { ...counts, tables: 5 },
    ...extra,
  };
}

describe('relationship status', () => {
  it('accepting, rejecting and clearing move an inferred relationship between inferred, accepted and rejected', () => {
    expect(statusAfter(inferred, 'accept')).toBe('accepted');
    expect(statusAfter(inferred, 'reject')).toBe('rejected');
    const accepted = { ...inferred, status: 'accepted' as const };
    expect(statusAfter(accepted, 'reject')).toBe('rejected');
    expect(statusAfter(accepted, null)).toBe('inferred');
    expect(statusAfter({ ...inferred, status: 'rejected' }, null)).toBe('inferred');
  });

  it('a declared relationship keeps its status and offers no decision', () => {
    expect(statusAfter(declared, 'reject')).toBe('declared');
    expect(canDecide(declared)).toBe(false);
    expect(canDecide(inferred)).toBe(true);
    expect(canDecide({ ...inferred, status: 'rejected' })).toBe(true);
  });

  it('a removed relationship offers no decision', () => {
    expect(canDecide({ ...inferred, mark: 'removed' })).toBe(false);
  });

  it('the current decision follows the status', () => {
    expect(decisionOf('accepted')).toBe('accept');
    expect(decisionOf('rejected')).toBe('reject');
    expect(decisionOf('inferred')).toBeNull();
    expect(decisionOf('declared')).toBeNull();
  });

  it('replacing a relationship with the server answer updates the counts', () => {
    const m = withRelationship(map(), { ...inferred, status: 'accepted' });
    expect(m.relationships.find((r) => r.id === inferred.id)?.status).toBe('accepted');
    expect(m.counts).toEqual({ tables: 5, relationships: 3, declared: 1, inferred: 1, accepted: 1, rejected: 0 });
    const back = withRelationship(m, { ...inferred, status: 'inferred' });
    expect(back.counts.inferred).toBe(2);
    expect(back.counts.accepted).toBe(0);
  });

  it('replacing a table keeps the others and their order', () => {
    const m = withTable(map(), { ...orders, role: 'dimension', role_overridden: true });
    expect(m.tables.map((t) => t.name)).toEqual(['campaigns', 'customers', 'orders', 'products', 'scratch']);
    expect(m.tables[2].role_overridden).toBe(true);
  });

  it('marks are counted, removed ones from their own list', () => {
    const removed = { ...rel(customers, ['region_id'], products, ['id']), mark: 'removed' as const };
    expect(markCounts(map({ removed_relationships: [removed] }))).toEqual({ new: 1, changed: 0, removed: 1 });
  });

  it('describes a relationship by its ends, with the database only across databases', () => {
    expect(describeRelationship(declared)).toBe('sales.orders (customer_id) → sales.customers (id)');
    const other = { ...campaigns, id: 'x', database: 'prod' };
    expect(describeRelationship(rel(orders, ['a', 'b'], other, ['c', 'd']))).toBe('dev.sales.orders (a, b) → prod.marketing.campaigns (c, d)');
  });
});

describe('grouping, filtering and paging', () => {
  const m = map();
  const byTable = relationshipsByTable(m.relationships);

  it('indexes relationships by both ends, a self-reference once', () => {
    expect(byTable.get(orders.id)?.length).toBe(3);
    expect(byTable.get(customers.id)?.length).toBe(1);
    expect(byTable.has(scratch.id)).toBe(false);
    const self = rel(customers, ['parent_id'], customers, ['id']);
    expect(relationshipsByTable([self]).get(customers.id)?.length).toBe(1);
  });

  it('groups by database and schema, tables by name', () => {
    const groups = groupBySchema([scratch, products, orders, campaigns, customers]);
    expect(groups.map((g) => g.key)).toEqual(['dev.marketing', 'dev.sales', 'dev.tmp']);
    expect(groups[1].tables.map((t) => t.name)).toEqual(['customers', 'orders', 'products']);
  });

  it('search needs every word in the qualified name or the comment, ignoring case', () => {
    const f = (search: string) => filterTables(m.tables, byTable, new Map(), { ...NO_FILTER, search }).map((t) => t.name);
    expect(f('')).toEqual(['campaigns', 'customers', 'orders', 'products', 'scratch']);
    expect(f('SALES ord')).toEqual(['orders']);
    expect(f('sales.cust')).toEqual(['customers']);
    expect(f('per order')).toEqual(['orders']);
    expect(f('nothing-like-this')).toEqual([]);
  });

  it('filters by role and by relationships to review, changed or none', () => {
    const f = (over: Partial<typeof NO_FILTER>, removed = new Map<string, Relationship[]>()) =>
      filterTables(m.tables, byTable, removed, { ...NO_FILTER, ...over }).map((t) => t.name);
    expect(f({ role: 'fact' })).toEqual(['orders']);
    expect(f({ relationships: 'review' })).toEqual(['campaigns', 'orders', 'products']);
    expect(f({ relationships: 'changes' })).toEqual(['campaigns', 'orders']);
    expect(f({ relationships: 'none' })).toEqual(['scratch']);
    const gone = rel(scratch, ['x_id'], customers, ['id'], { mark: 'removed' });
    expect(f({ relationships: 'changes' }, relationshipsByTable([gone]))).toEqual(['campaigns', 'customers', 'orders', 'scratch']);
  });

  it('pages clamp to the last page and report the range shown', () => {
    const items = Array.from({ length: 120 }, (_, i) => i);
    expect(pageOf(items, 0, 50)).toMatchObject({ page: 0, pages: 3, first: 1, last: 50 });
    expect(pageOf(items, 2, 50)).toMatchObject({ page: 2, first: 101, last: 120 });
    expect(pageOf(items, 9, 50).page).toBe(2);
    expect(pageOf([], 3, 50)).toMatchObject({ page: 0, pages: 1, first: 0, last: 0, items: [] });
  });

  it('filtering and grouping 10,000 tables keeps one page of them', () => {
    const many = Array.from({ length: 10000 }, (_, i) => table(`schema_${String(i % 50).padStart(2, '0')}`, `t_${String(i).padStart(5, '0')}`));
    const filtered = filterTables(many, new Map(), new Map(), { ...NO_FILTER, search: 'schema_07' });
    expect(filtered.length).toBe(200);
    const page = pageOf(filtered, 1, 50);
    const groups = groupBySchema(page.items);
    expect(groups.length).toBe(1);
    expect(groups[0].tables.length).toBe(50);
  });
});

describe('diagram layout', () => {
  const sales = [customers, orders, products];

  it('orders related tables together, best connected first, unrelated ones last', () => {
    const lone = table('sales', 'audit');
    expect(diagramOrder([lone, ...sales], [declared, inferred]).map((t) => t.name)).toEqual(['orders', 'customers', 'products', 'audit']);
  });

  it('draws relationships inside the schema, lists cross-schema ones, hides rejected ones', () => {
    const rejected = rel(customers, ['product_id'], products, ['id'], { status: 'rejected' });
    const l = layoutSchema(sales, [declared, inferred, cross, rejected]);
    expect(l.boxes.map((b) => b.table.name)).toEqual(['orders', 'customers', 'products']);
    expect(l.edges.map((e) => [e.relationship.id, e.dashed])).toEqual([
      [declared.id, false],
      [inferred.id, true],
    ]);
    expect(l.elsewhere.map((r) => r.id)).toEqual([cross.id]);
    expect(l.omitted).toBe(0);
  });

  it('a table sits above the tables it references, centred over them', () => {
    const cells = gridPlacement(sales, [declared, inferred]);
    expect(cells.get(orders.id)).toEqual({ row: 0, col: 0 });
    expect(cells.get(customers.id)?.row).toBe(1);
    expect(cells.get(products.id)?.row).toBe(1);
    expect(new Set([cells.get(customers.id)?.col, cells.get(products.id)?.col])).toEqual(new Set([0, 1]));
    // a chain: each table one layer below the one that references it
    const [a, b, c] = ['a', 'b', 'c'].map((n) => table('s', n));
    const chain = gridPlacement([c, b, a], [rel(a, ['b_id'], b, ['id']), rel(b, ['c_id'], c, ['id'])]);
    expect([a, b, c].map((t) => chain.get(t.id)?.row)).toEqual([0, 1, 2]);
  });

  it('separate groups are packed side by side, unrelated tables after them, and a cycle still ends', () => {
    const star = (p: string) => {
      const f = table('s', `${p}_fact`);
      const ds = [1, 2].map((i) => table('s', `${p}_dim${i}`));
      return { tables: [f, ...ds], rels: ds.map((d) => rel(f, [`${d.name}_id`], d, ['id'])) };
    };
    const s1 = star('a');
    const s2 = star('b');
    const lone = table('s', 'zz');
    const cells = gridPlacement([...s1.tables, ...s2.tables, lone], [...s1.rels, ...s2.rels]);
    expect(cells.get(s1.tables[0].id)?.row).toBe(0);
    expect(cells.get(s2.tables[0].id)?.row).toBe(0);
    expect(cells.get(s2.tables[0].id)?.col).toBeGreaterThanOrEqual(2);
    expect(cells.get(lone.id)).toEqual({ row: 2, col: 0 });
    const [x, y] = [table('s', 'x'), table('s', 'y')];
    const cyc = gridPlacement([x, y], [rel(x, ['y_id'], y, ['id']), rel(y, ['x_id'], x, ['id'])]);
    expect(cyc.size).toBe(2);
    expect(cyc.get(x.id)).not.toEqual(cyc.get(y.id));
  });

  it('an accepted relationship is drawn solid', () => {
    const l = layoutSchema(sales, [{ ...inferred, status: 'accepted' }]);
    expect(l.edges[0].dashed).toBe(false);
  });

  it('boxes show primary key, foreign key and unique columns, and never overlap', () => {
    const l = layoutSchema(sales, [declared, inferred, cross]);
    const o = l.boxes.find((b) => b.table.name === 'orders')!;
    expect(o.lines).toEqual([
      { column: 'id', keys: ['PK'] },
      { column: 'customer_id', keys: ['FK'] },
      { column: 'product_id', keys: ['FK'] },
      { column: 'campaign_id', keys: ['FK'] },
    ]);
    const c = l.boxes.find((b) => b.table.name === 'customers')!;
    expect(c.lines).toEqual([
      { column: 'id', keys: ['PK'] },
      { column: 'email', keys: ['UK'] },
    ]);
    assertNoOverlap(l.boxes);
    for (const b of l.boxes) {
      expect(b.x + b.w).toBeLessThanOrEqual(l.width);
      expect(b.y + b.h).toBeLessThanOrEqual(l.height);
    }
  });

  it('50 tables fit a grid of at most MAX_COLUMNS columns without overlap; more than the limit keeps the best connected', () => {
    const ts = Array.from({ length: 50 }, (_, i) => table('big', `t${i}`, { primary_key: ['id'] }));
    const rs = ts.slice(1).map((t, i) => rel(t, ['parent_id'], ts[Math.floor(i / 3)], ['id']));
    const l = layoutSchema(ts, rs);
    expect(l.boxes.length).toBe(50);
    expect(l.edges.length).toBe(49);
    expect(new Set(l.boxes.map((b) => b.x)).size).toBe(MAX_COLUMNS);
    expect(l.width).toBeLessThan(MAX_COLUMNS * (BOX_WIDTH + 100));
    assertNoOverlap(l.boxes);
    const capped = layoutSchema([...ts, table('big', 'zz_alone')], rs, 50);
    expect(capped.omitted).toBe(1);
    expect(capped.boxes.some((b) => b.table.name === 'zz_alone')).toBe(false);
  });

  it('limits a box to six key lines and counts the rest', () => {
    const wide = table('s', 'wide', { primary_key: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'] });
    const [b] = layoutSchema([wide], []).boxes;
    expect(b.lines.length).toBe(6);
    expect(b.more).toBe(2);
  });

  it('long names are shortened with an ellipsis', () => {
    expect(shorten('short', 10)).toBe('short');
    expect(shorten('a_very_long_table_name', 10)).toBe('a_very_lo…');
    const [b] = layoutSchema([table('s', 'x'.repeat(60))], []).boxes;
    expect(b.title.length).toBeLessThanOrEqual(24);
  });

  it('edges leave the side facing the other box', () => {
    const a = { x: 0, y: 0, w: 200, h: 60 } as Box;
    const right = { ...a, x: 300 };
    const below = { ...a, y: 100 };
    const far = { ...a, y: 400 };
    const one = (p: Box, q: Box) => edgePaths([{ from: p, to: q }])[0];
    expect(one(a, right)).toMatch(/^M 200 30 C .* 300 30$/);
    expect(one(right, a)).toMatch(/^M 300 30 C .* 200 30$/);
    expect(one(a, below)).toMatch(/^M 100 60 C .* 100 100$/);
    expect(one(below, a)).toMatch(/^M 100 100 C .* 100 60$/);
    // more than a row apart in the same column: around the right, not through the boxes between
    expect(one(a, far)).toMatch(/^M 200 30 C 2\d\d(\.\d)? 30, .* 200 430$/);
    expect(one(a, a)).toMatch(/^M 200 /);
  });

  it('edges meeting the same side of a box are spread along it', () => {
    const a = { x: 0, y: 0, w: 200, h: 90 } as Box;
    const up = { ...a, x: 300, y: -200 };
    const down = { ...a, x: 300, y: 200 };
    const [p1, p2, p3] = edgePaths([
      { from: a, to: down },
      { from: a, to: up },
      { from: a, to: up },
    ]);
    // three ends on a's right side: the one going up highest first
    expect(p2).toMatch(/^M 200 22\.5 /);
    expect(p3).toMatch(/^M 200 45 /);
    expect(p1).toMatch(/^M 200 67\.5 /);
  });
});

function assertNoOverlap(boxes: { x: number; y: number; w: number; h: number }[]) {
  for (let i = 0; i < boxes.length; ++i)
    for (let j = i + 1; j < boxes.length; ++j) {
      const a = boxes[i];
      const b = boxes[j];
      const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
      expect(apart, `boxes ${i} and ${j} overlap`).toBe(true);
    }
}
