// The Data Map screen's logic, kept apart from the DOM so it is tested on its own: grouping
// and filtering the saved tables, paging, a decision's effect on a relationship's status, and
// the layout of one schema's diagram (boxes on a grid, edges as curves between them).
import type { DataMap, DataMapTable, Relationship, RelationshipStatus, TableRole } from './api';

export type Decision = 'accept' | 'reject' | null;

export function qualifiedName(t: { database: string; schema: string; name: string }): string {
  return `${t.database}.${t.schema}.${t.name}`;
}

export function schemaKey(t: { database: string; schema: string }): string {
  return `${t.database}.${t.schema}`;
}

// ---------------------------------------------------------------------------------------------
// Relationship status
// ---------------------------------------------------------------------------------------------

// Only inferred relationships take a decision; declared ones are facts from the warehouse.
export function canDecide(r: Relationship): boolean {
  return r.status !== 'declared' && r.mark !== 'removed';
}

export function decisionOf(status: RelationshipStatus): Decision {
  if (status === 'accepted') return 'accept';
  if (status === 'rejected') return 'reject';
  return null;
}

// The status the server gives a relationship once `decision` is stored (the contract of
// PUT .../datamap/relationships/{id}). A declared relationship keeps its status (the server
// refuses the decision with 409).
export function statusAfter(r: Relationship, decision: Decision): RelationshipStatus {
  if (r.status === 'declared') return 'declared';
  if (decision === 'accept') return 'accepted';
  if (decision === 'reject') return 'rejected';
  return 'inferred';
}

// Declared and accepted relationships are facts (solid lines, exported as REFERENCES);
// inferred ones are suggestions (dashed); rejected ones are not drawn.
export function isFact(r: Relationship): boolean {
  return r.status === 'declared' || r.status === 'accepted';
}

export function countsOf(relationships: Relationship[]): DataMap['counts'] & { review: number } {
  const c = { tables: 0, relationships: relationships.length, declared: 0, inferred: 0, accepted: 0, rejected: 0, review: 0 };
  for (const r of relationships) {
    c[r.status] += 1;
    if (r.status === 'inferred') c.review += 1;
  }
  return c;
}

// The map with one relationship replaced by the server's answer; counts follow.
export function withRelationship(map: DataMap, updated: Relationship): DataMap {
  const relationships = map.relationships.map((r) => (r.id === updated.id ? updated : r));
  const { review: _review, ...counts } = countsOf(relationships);
  return { ...map, relationships, counts: { ...counts, tables: map.counts.tables } };
}

export function withTable(map: DataMap, updated: DataMapTable): DataMap {
  return { ...map, tables: map.tables.map((t) => (t.id === updated.id ? updated : t)) };
}

// Relationships by the id of each table they touch (a self-reference once).
export function relationshipsByTable(relationships: Relationship[]): Map<string, Relationship[]> {
  const m = new Map<string, Relationship[]>();
  const add = (id: string, r: Relationship) => {
    const list = m.get(id);
    if (list) list.push(r);
    else m.set(id, [r]);
  };
  for (const r of relationships) {
    add(r.from.table_id, r);
    if (r.to.table_id !== r.from.table_id) add(r.to.table_id, r);
  }
  return m;
}

export interface MarkCounts {
  new: number;
  changed: number;
  removed: number;
}

export function markCounts(map: DataMap): MarkCounts {
  const c = { new: 0, changed: 0, removed: map.removed_relationships.length };
  for (const r of map.relationships) if (r.mark === 'new' || r.mark === 'changed') c[r.mark] += 1;
  return c;
}

// ---------------------------------------------------------------------------------------------
// Filtering, grouping, paging
// ---------------------------------------------------------------------------------------------

export type RelationshipFilter = 'all' | 'review' | 'changes' | 'none';
export interface TableFilter {
  search: string;
  role: 'all' | TableRole;
  relationships: RelationshipFilter;
}
export const NO_FILTER: TableFilter = { search: '', role: 'all', relationships: 'all' };

export function isFiltering(f: TableFilter): boolean {
  return f.search.trim() !== '' || f.role !== 'all' || f.relationships !== 'all';
}

// Search: every word of the query must appear (ignoring case) in the table's
// database.schema.name or its comment, so `sales ord` finds dev.sales.orders.
export function matchesSearch(t: DataMapTable, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const name = qualifiedName(t).toLowerCase();
  const comment = (t.comment ?? '').toLowerCase();
  return words.every((w) => name.includes(w) || comment.includes(w));
}

export function filterTables(
  tables: DataMapTable[],
  byTable: Map<string, Relationship[]>,
  removedByTable: Map<string, Relationship[]>,
  f: TableFilter,
): DataMapTable[] {
  if (!isFiltering(f)) return tables;
  return tables.filter((t) => {
    if (f.role !== 'all' && t.role !== f.role) return false;
    const rels = byTable.get(t.id) ?? [];
    if (f.relationships === 'review' && !rels.some((r) => r.status === 'inferred')) return false;
    if (f.relationships === 'changes' && !rels.some((r) => r.mark) && !removedByTable.has(t.id)) return false;
    if (f.relationships === 'none' && rels.length > 0) return false;
    return matchesSearch(t, f.search);
  });
}

export interface SchemaGroup {
  key: string; // database.schema
  database: string;
  schema: string;
  tables: DataMapTable[];
}

// Groups in (database, schema) order, tables by name within each; the input order of equal
// keys is kept.
export function groupBySchema(tables: DataMapTable[]): SchemaGroup[] {
  const m = new Map<string, SchemaGroup>();
  for (const t of tables) {
    const key = schemaKey(t);
    let g = m.get(key);
    if (!g) m.set(key, (g = { key, database: t.database, schema: t.schema, tables: [] }));
    g.tables.push(t);
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const groups = [...m.values()].sort((a, b) => cmp(a.database, b.database) || cmp(a.schema, b.schema));
  for (const g of groups) g.tables.sort((a, b) => cmp(a.name, b.name));
  return groups;
}

export interface Page<T> {
  items: T[];
  page: number; // 0-based, clamped
  pages: number;
  first: number; // 1-based index of the first item shown, 0 when empty
  last: number;
}

export function pageOf<T>(items: T[], page: number, size: number): Page<T> {
  const pages = Math.max(1, Math.ceil(items.length / size));
  const p = Math.min(Math.max(0, Math.floor(page)), pages - 1);
  const slice = items.slice(p * size, p * size + size);
  return { items: slice, page: p, pages, first: slice.length ? p * size + 1 : 0, last: p * size + slice.length };
}

// ---------------------------------------------------------------------------------------------
// Diagram layout
// ---------------------------------------------------------------------------------------------

export type KeyKind = 'PK' | 'FK' | 'UK';
export interface BoxLine {
  column: string;
  keys: KeyKind[];
}
export interface Box {
  table: DataMapTable;
  x: number;
  y: number;
  w: number;
  h: number;
  title: string; // the name, shortened to fit
  lines: BoxLine[];
  more: number; // key columns not shown
}
export interface Edge {
  relationship: Relationship;
  from: Box;
  to: Box;
  path: string; // SVG path data
  dashed: boolean;
}
export interface Layout {
  width: number;
  height: number;
  boxes: Box[];
  edges: Edge[];
  elsewhere: Relationship[]; // drawn relationships with one end outside the schema
  omitted: number; // tables left out beyond maxTables
}

export const BOX_WIDTH = 200;
export const HEADER_HEIGHT = 26;
export const LINE_HEIGHT = 17;
const MAX_LINES = 6;
const COL_GAP = 80;
const ROW_GAP = 48;
const MARGIN = 16;
const MAX_COLUMNS = 5;
const TITLE_CHARS = 24;
const LINE_CHARS = 20;

export function shorten(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

// The key columns a box shows: primary key, then foreign-key ends, then unique keys.
function keyLines(t: DataMapTable, rels: Relationship[]): BoxLine[] {
  const lines = new Map<string, KeyKind[]>();
  const add = (c: string, k: KeyKind) => {
    const kinds = lines.get(c);
    if (!kinds) lines.set(c, [k]);
    else if (!kinds.includes(k)) kinds.push(k);
  };
  for (const c of t.primary_key) add(c, 'PK');
  for (const r of rels) if (r.from.table_id === t.id) for (const c of r.from_columns) add(c, 'FK');
  for (const u of t.unique_keys) for (const c of u) add(c, 'UK');
  return [...lines.entries()].map(([column, keys]) => ({ column, keys }));
}

// Orders tables so that related ones sit together: connected groups largest first, each walked
// breadth-first from its best-connected table; unrelated tables last, by name.
export function diagramOrder(tables: DataMapTable[], rels: Relationship[]): DataMapTable[] {
  const byId = new Map(tables.map((t) => [t.id, t]));
  const adj = new Map<string, Set<string>>(tables.map((t) => [t.id, new Set<string>()]));
  for (const r of rels) {
    if (!byId.has(r.from.table_id) || !byId.has(r.to.table_id) || r.from.table_id === r.to.table_id) continue;
    adj.get(r.from.table_id)!.add(r.to.table_id);
    adj.get(r.to.table_id)!.add(r.from.table_id);
  }
  const degree = (id: string) => adj.get(id)!.size;
  const byRank = (a: string, b: string) => degree(b) - degree(a) || (byId.get(a)!.name < byId.get(b)!.name ? -1 : 1);
  const seen = new Set<string>();
  const components: string[][] = [];
  for (const start of [...byId.keys()].sort(byRank)) {
    if (seen.has(start) || degree(start) === 0) continue;
    const order: string[] = [];
    const queue = [start];
    seen.add(start);
    while (queue.length) {
      const id = queue.shift()!;
      order.push(id);
      for (const n of [...adj.get(id)!].sort(byRank)) {
        if (!seen.has(n)) {
          seen.add(n);
          queue.push(n);
        }
      }
    }
    components.push(order);
  }
  components.sort((a, b) => b.length - a.length);
  const lone = tables.filter((t) => !seen.has(t.id)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [...components.flat().map((id) => byId.get(id)!), ...lone];
}

// Lays out one schema: `tables` are the schema's tables, `relationships` every relationship of
// the map. Rejected relationships are not drawn. Beyond `maxTables`, the best-connected tables
// are kept (the rest are counted in `omitted`).
export function layoutSchema(tables: DataMapTable[], relationships: Relationship[], maxTables = 60): Layout {
  const inSchema = new Set(tables.map((t) => t.id));
  const drawn = relationships.filter((r) => r.status !== 'rejected' && r.mark !== 'removed');
  const inside = drawn.filter((r) => inSchema.has(r.from.table_id) && inSchema.has(r.to.table_id));
  const elsewhere = drawn.filter((r) => inSchema.has(r.from.table_id) !== inSchema.has(r.to.table_id));

  let ordered = diagramOrder(tables, inside);
  let omitted = 0;
  if (ordered.length > maxTables) {
    omitted = ordered.length - maxTables;
    ordered = ordered.slice(0, maxTables);
  }
  const kept = new Set(ordered.map((t) => t.id));
  const edgesIn = inside.filter((r) => kept.has(r.from.table_id) && kept.has(r.to.table_id));
  const relsOf = relationshipsByTable(drawn);

  const columns = Math.max(1, Math.min(MAX_COLUMNS, Math.ceil(Math.sqrt(ordered.length))));
  const boxes: Box[] = [];
  const byId = new Map<string, Box>();
  let y = MARGIN;
  for (let row = 0; row * columns < ordered.length; ++row) {
    const rowTables = ordered.slice(row * columns, row * columns + columns);
    let rowHeight = 0;
    rowTables.forEach((t, col) => {
      const all = keyLines(t, relsOf.get(t.id) ?? []);
      const lines = all.slice(0, MAX_LINES).map((l) => ({ ...l, column: shorten(l.column, LINE_CHARS) }));
      const more = all.length - lines.length;
      const h = HEADER_HEIGHT + Math.max(1, lines.length + (more > 0 ? 1 : 0)) * LINE_HEIGHT + 8;
      const box: Box = { table: t, x: MARGIN + col * (BOX_WIDTH + COL_GAP), y, w: BOX_WIDTH, h, title: shorten(t.name, TITLE_CHARS), lines, more };
      boxes.push(box);
      byId.set(t.id, box);
      rowHeight = Math.max(rowHeight, h);
    });
    y += rowHeight + ROW_GAP;
  }
  const width = MARGIN * 2 + Math.min(columns, Math.max(1, ordered.length)) * (BOX_WIDTH + COL_GAP) - COL_GAP;
  const height = Math.max(y - ROW_GAP + MARGIN, MARGIN * 2 + HEADER_HEIGHT);

  // Parallel edges between the same two boxes are spread apart.
  const seenPairs = new Map<string, number>();
  const edges: Edge[] = edgesIn.map((r) => {
    const from = byId.get(r.from.table_id)!;
    const to = byId.get(r.to.table_id)!;
    const pair = [from.table.id, to.table.id].sort().join('\u0000');
    const n = seenPairs.get(pair) ?? 0;
    seenPairs.set(pair, n + 1);
    return { relationship: r, from, to, path: edgePath(from, to, n), dashed: !isFact(r) };
  });
  return { width, height, boxes, edges, elsewhere, omitted };
}

const round = (v: number) => Math.round(v * 10) / 10;

// A cubic curve from the side of `a` facing `b` to the side of `b` facing `a`; a loop on the
// right for a table that references itself. `n` shifts the n-th parallel edge.
export function edgePath(a: Box, b: Box, n = 0): string {
  const shift = n * 10;
  if (a === b) {
    const x = a.x + a.w;
    const y1 = a.y + HEADER_HEIGHT / 2 + shift;
    const y2 = y1 + 18;
    return `M ${x} ${y1} C ${x + 40 + shift} ${y1 - 10}, ${x + 40 + shift} ${y2 + 10}, ${x} ${y2}`;
  }
  const acx = a.x + a.w / 2;
  const bcx = b.x + b.w / 2;
  const acy = a.y + a.h / 2;
  const bcy = b.y + b.h / 2;
  let x1: number, y1: number, x2: number, y2: number, dx1: number, dy1: number, dx2: number, dy2: number;
  if (b.x >= a.x + a.w) {
    [x1, y1, x2, y2] = [a.x + a.w, acy + shift, b.x, bcy + shift];
    [dx1, dy1, dx2, dy2] = [1, 0, -1, 0];
  } else if (b.x + b.w <= a.x) {
    [x1, y1, x2, y2] = [a.x, acy + shift, b.x + b.w, bcy + shift];
    [dx1, dy1, dx2, dy2] = [-1, 0, 1, 0];
  } else if (bcy > acy) {
    [x1, y1, x2, y2] = [acx + shift, a.y + a.h, bcx + shift, b.y];
    [dx1, dy1, dx2, dy2] = [0, 1, 0, -1];
  } else {
    [x1, y1, x2, y2] = [acx + shift, a.y, bcx + shift, b.y + b.h];
    [dx1, dy1, dx2, dy2] = [0, -1, 0, 1];
  }
  const bend = Math.max(30, Math.hypot(x2 - x1, y2 - y1) / 3);
  return `M ${round(x1)} ${round(y1)} C ${round(x1 + dx1 * bend)} ${round(y1 + dy1 * bend)}, ${round(x2 + dx2 * bend)} ${round(y2 + dy2 * bend)}, ${round(x2)} ${round(y2)}`;
}

// A relationship in words, for lists and the diagram's text alternative:
// `sales.orders (customer_id) → sales.customers (id)`; the database is named only when the
// two ends are in different databases.
export function describeRelationship(r: Relationship): string {
  const sameDb = r.from.database === r.to.database;
  const end = (e: Relationship['from'], cols: string[]) => `${sameDb ? '' : `${e.database}.`}${e.schema}.${e.name} (${cols.join(', ')})`;
  return `${end(r.from, r.from_columns)} → ${end(r.to, r.to_columns)}`;
}

export function statusLabel(r: Relationship): string {
  if (r.status === 'inferred') return `inferred, ${Math.round(r.confidence * 100)}% confidence`;
  if (r.status === 'accepted') return 'inferred, accepted';
  if (r.status === 'rejected') return 'inferred, rejected';
  return 'declared';
}
