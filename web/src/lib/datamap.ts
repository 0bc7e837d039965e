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
const COL_GAP = 64;
const ROW_GAP = 48;
const MARGIN = 16;
export const MAX_COLUMNS = 6;
const TITLE_CHARS = 17; // leaves room for the role on the right
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

interface Graph {
  byId: Map<string, DataMapTable>;
  out: Map<string, Set<string>>; // from -> to (a table points at the tables it references)
  adj: Map<string, Set<string>>; // either direction
}

function graphOf(tables: DataMapTable[], rels: Relationship[]): Graph {
  const byId = new Map(tables.map((t) => [t.id, t]));
  const out = new Map<string, Set<string>>(tables.map((t) => [t.id, new Set<string>()]));
  const adj = new Map<string, Set<string>>(tables.map((t) => [t.id, new Set<string>()]));
  for (const r of rels) {
    const a = r.from.table_id;
    const b = r.to.table_id;
    if (!byId.has(a) || !byId.has(b) || a === b) continue;
    out.get(a)!.add(b);
    adj.get(a)!.add(b);
    adj.get(b)!.add(a);
  }
  return { byId, out, adj };
}

const byName = (a: DataMapTable, b: DataMapTable) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

// Connected groups of tables (largest first, each in breadth-first order from its best
// connected table) and the tables with no relationship (by name).
function components(g: Graph): { groups: string[][]; lone: string[] } {
  const degree = (id: string) => g.adj.get(id)!.size;
  const byRank = (a: string, b: string) => degree(b) - degree(a) || byName(g.byId.get(a)!, g.byId.get(b)!);
  const seen = new Set<string>();
  const groups: string[][] = [];
  for (const start of [...g.byId.keys()].sort(byRank)) {
    if (seen.has(start) || degree(start) === 0) continue;
    const order: string[] = [];
    const queue = [start];
    seen.add(start);
    for (let i = 0; i < queue.length; ++i) {
      const id = queue[i];
      order.push(id);
      for (const n of [...g.adj.get(id)!].sort(byRank)) {
        if (!seen.has(n)) {
          seen.add(n);
          queue.push(n);
        }
      }
    }
    groups.push(order);
  }
  groups.sort((a, b) => b.length - a.length);
  const lone = [...g.byId.values()].filter((t) => !seen.has(t.id)).sort(byName).map((t) => t.id);
  return { groups, lone };
}

// Orders tables so that related ones sit together: connected groups largest first, each walked
// breadth-first from its best-connected table; unrelated tables last, by name. The diagram keeps
// the first tables of this order when a schema has too many to draw.
export function diagramOrder(tables: DataMapTable[], rels: Relationship[]): DataMapTable[] {
  const g = graphOf(tables, rels);
  const { groups, lone } = components(g);
  return [...groups.flat(), ...lone].map((id) => g.byId.get(id)!);
}

export interface Cell {
  row: number;
  col: number;
}

// Places tables on a grid at most MAX_COLUMNS wide. Each connected group is drawn in layers: a
// table sits above the tables it references (facts on top, then the dimensions and lookups they
// point to), each layer ordered by where its already placed neighbours sit and centred under the
// widest; groups are packed left to right in bands; unrelated tables fill rows at the end.
export function gridPlacement(tables: DataMapTable[], rels: Relationship[]): Map<string, Cell> {
  const g = graphOf(tables, rels);
  const { groups, lone } = components(g);
  // Layer: the longest chain of references below a table (0 for one that references nothing).
  const depth = new Map<string, number>();
  const onStack = new Set<string>();
  const depthOf = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (onStack.has(id)) return 0; // a cycle: cut it here
    onStack.add(id);
    let d = 0;
    for (const n of g.out.get(id)!) d = Math.max(d, depthOf(n) + 1);
    onStack.delete(id);
    depth.set(id, d);
    return d;
  };

  const cells = new Map<string, Cell>();
  let bandRow = 0;
  let bandCol = 0;
  let bandHeight = 0;
  let usedColumns = 0;
  for (const group of groups) {
    const top = Math.max(...group.map(depthOf));
    const layers: string[][] = Array.from({ length: top + 1 }, () => []);
    for (const id of group) layers[top - depthOf(id)].push(id); // BFS order within a layer
    const layerRows: string[][] = [];
    const x = new Map<string, number>();
    for (const layer of layers.filter((l) => l.length > 0)) {
      const bary = (id: string) => {
        const placed = [...g.adj.get(id)!].filter((n) => x.has(n)).map((n) => x.get(n)!);
        return placed.length ? placed.reduce((a, b) => a + b, 0) / placed.length : Number.POSITIVE_INFINITY;
      };
      const sorted = layer.map((id, i) => ({ id, i, b: bary(id) })).sort((a, b) => a.b - b.b || a.i - b.i);
      for (let i = 0; i < sorted.length; i += MAX_COLUMNS) {
        const row = sorted.slice(i, i + MAX_COLUMNS).map((e) => e.id);
        row.forEach((id, c) => x.set(id, c));
        layerRows.push(row);
      }
    }
    const width = Math.max(...layerRows.map((r) => r.length));
    if (bandCol > 0 && bandCol + width > MAX_COLUMNS) {
      bandRow += bandHeight;
      bandCol = 0;
      bandHeight = 0;
    }
    layerRows.forEach((row, r) => {
      const offset = Math.floor((width - row.length) / 2);
      row.forEach((id, c) => cells.set(id, { row: bandRow + r, col: bandCol + offset + c }));
    });
    bandCol += width;
    bandHeight = Math.max(bandHeight, layerRows.length);
    usedColumns = Math.max(usedColumns, bandCol);
  }
  bandRow += bandHeight;
  const columns = Math.max(usedColumns, Math.min(MAX_COLUMNS, Math.ceil(Math.sqrt(lone.length))));
  lone.forEach((id, i) => cells.set(id, { row: bandRow + Math.floor(i / columns), col: i % columns }));
  return cells;
}

// Lays out one schema: `tables` are the schema's tables, `relationships` every relationship of
// the map. Rejected relationships are not drawn. Beyond `maxTables`, the first tables of diagramOrder
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

  const cells = gridPlacement(ordered, edgesIn);
  const rows: DataMapTable[][] = [];
  for (const t of ordered) {
    const { row } = cells.get(t.id)!;
    (rows[row] ??= []).push(t);
  }
  const boxes: Box[] = [];
  const byId = new Map<string, Box>();
  let y = MARGIN;
  let columns = 1;
  for (const rowTables of rows) {
    if (!rowTables) continue;
    rowTables.sort((a, b) => cells.get(a.id)!.col - cells.get(b.id)!.col); // reading order, for the keyboard
    let rowHeight = 0;
    for (const t of rowTables) {
      const col = cells.get(t.id)!.col;
      columns = Math.max(columns, col + 1);
      const all = keyLines(t, relsOf.get(t.id) ?? []);
      const lines = all.slice(0, MAX_LINES).map((l) => ({ ...l, column: shorten(l.column, LINE_CHARS) }));
      const more = all.length - lines.length;
      const h = HEADER_HEIGHT + Math.max(1, lines.length + (more > 0 ? 1 : 0)) * LINE_HEIGHT + 8;
      const box: Box = { table: t, x: MARGIN + col * (BOX_WIDTH + COL_GAP), y, w: BOX_WIDTH, h, title: shorten(t.name, TITLE_CHARS), lines, more };
      boxes.push(box);
      byId.set(t.id, box);
      rowHeight = Math.max(rowHeight, h);
    }
    y += rowHeight + ROW_GAP;
  }
  const width = MARGIN * 2 + columns * (BOX_WIDTH + COL_GAP) - COL_GAP;
  const height = Math.max(y - ROW_GAP + MARGIN, MARGIN * 2 + HEADER_HEIGHT);

  const ends = edgesIn.map((r) => ({ relationship: r, from: byId.get(r.from.table_id)!, to: byId.get(r.to.table_id)! }));
  const paths = edgePaths(ends);
  const edges: Edge[] = ends.map((e, i) => ({ ...e, path: paths[i], dashed: !isFact(e.relationship) }));
  return { width, height, boxes, edges, elsewhere, omitted };
}

const round = (v: number) => Math.round(v * 10) / 10;

type Side = 'left' | 'right' | 'top' | 'bottom';
const NORMAL: Record<Side, [number, number]> = { left: [-1, 0], right: [1, 0], top: [0, -1], bottom: [0, 1] };

// The sides an edge leaves `a` and enters `b` by: the facing sides; for boxes in the same column
// more than one row apart, both right sides (the curve runs in the gap between columns instead
// of through the boxes between them).
function sides(a: Box, b: Box): [Side, Side] {
  if (a === b) return ['right', 'right'];
  if (b.x >= a.x + a.w) return ['right', 'left'];
  if (b.x + b.w <= a.x) return ['left', 'right'];
  const gap = b.y > a.y ? b.y - (a.y + a.h) : a.y - (b.y + b.h);
  if (gap > ROW_GAP + 1) return ['right', 'right'];
  return b.y > a.y ? ['bottom', 'top'] : ['top', 'bottom'];
}

// SVG path data for each edge (`from` -> `to`): a cubic curve between anchors on the sides
// chosen above. Edges meeting the same side of a box are spread along it, ordered by where
// their other end is, so they neither overlap nor cross at the box; a table that references
// itself gets a loop on its right.
export function edgePaths(edges: { from: Box; to: Box }[]): string[] {
  type End = { edge: number; box: Box; side: Side; other: Box };
  const ends = new Map<Box, Map<Side, End[]>>();
  const add = (e: End) => {
    let bySide = ends.get(e.box);
    if (!bySide) ends.set(e.box, (bySide = new Map()));
    const list = bySide.get(e.side);
    if (list) list.push(e);
    else bySide.set(e.side, [e]);
  };
  const chosen = edges.map(({ from, to }, i) => {
    const [s1, s2] = sides(from, to);
    if (from !== to) {
      add({ edge: i, box: from, side: s1, other: to });
      add({ edge: i, box: to, side: s2, other: from });
    }
    return [s1, s2] as const;
  });
  const anchor = new Map<string, [number, number]>(); // `${edge}:${0|1}` -> point
  for (const bySide of ends.values())
    for (const [side, list] of bySide) {
      const vertical = side === 'left' || side === 'right';
      const key = (e: End) => (vertical ? e.other.y + e.other.h / 2 : e.other.x + e.other.w / 2);
      list.sort((p, q) => key(p) - key(q) || p.edge - q.edge);
      list.forEach((e, i) => {
        const f = (i + 1) / (list.length + 1);
        const b = e.box;
        const pt: [number, number] = vertical ? [side === 'left' ? b.x : b.x + b.w, b.y + b.h * f] : [b.x + b.w * f, side === 'top' ? b.y : b.y + b.h];
        anchor.set(`${e.edge}:${edges[e.edge].from === b ? 0 : 1}`, pt);
      });
    }
  return edges.map(({ from, to }, i) => {
    if (from === to) {
      const x = from.x + from.w;
      const y1 = from.y + HEADER_HEIGHT / 2;
      const y2 = y1 + 18;
      return `M ${x} ${y1} C ${x + 40} ${y1 - 10}, ${x + 40} ${y2 + 10}, ${x} ${y2}`;
    }
    const [s1, s2] = chosen[i];
    const [x1, y1] = anchor.get(`${i}:0`)!;
    const [x2, y2] = anchor.get(`${i}:1`)!;
    const bend = s1 === s2 ? COL_GAP * 0.6 : Math.max(30, Math.hypot(x2 - x1, y2 - y1) / 3);
    const [dx1, dy1] = NORMAL[s1];
    const [dx2, dy2] = NORMAL[s2];
    return `M ${round(x1)} ${round(y1)} C ${round(x1 + dx1 * bend)} ${round(y1 + dy1 * bend)}, ${round(x2 + dx2 * bend)} ${round(y2 + dy2 * bend)}, ${round(x2)} ${round(y2)}`;
  });
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
