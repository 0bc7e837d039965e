// The fetched catalog as flat arrays, with the selection state the Metadata screen edits.
// Built for 10,000+ tables: selection is a byte per table, counts are recomputed in one pass,
// and the rows on screen are computed from index ranges (see visibleRows).

import { TableFilter, type TableRef } from './glob';

export type TableKind = 'table' | 'view' | 'late_binding_view' | 'materialized_view' | 'external_table';
export type Mark = 'new' | 'removed' | 'changed' | null;

export interface CatalogJson {
  fetched_at: string;
  table_count: number;
  saved_at: string | null;
  case_sensitive?: boolean;
  selection: { include: string[]; exclude: string[] };
  databases: {
    name: string;
    error: { code: string; message: string } | null;
    schemas: {
      name: string;
      kind: 'local' | 'external' | 'datashare';
      source: string | null;
      tables: {
        name: string;
        kind: TableKind;
        comment: string | null;
        can_select: boolean;
        selected: boolean;
        saved: boolean;
        mark: Mark;
        column_count: number | null;
      }[];
    }[];
  }[];
  removed?: { database: string; schema: string; table: string }[];
}

export interface Db {
  name: string;
  error: string | null;
  schemaStart: number;
  schemaEnd: number;
}
export interface Schema {
  db: number;
  name: string;
  kind: 'local' | 'external' | 'datashare';
  source: string | null;
  tableStart: number;
  tableEnd: number;
}
export interface Table {
  schema: number;
  name: string;
  kind: TableKind;
  comment: string | null;
  canSelect: boolean;
  saved: boolean;
  mark: Mark;
  columnCount: number | null;
  removed: boolean; // gone in the last refresh: shown, never selectable
}

export type Check = 'checked' | 'unchecked' | 'mixed';
export type MarkFilter = 'all' | 'changes' | 'new' | 'removed' | 'changed';

export function tableKey(database: string, schema: string, table: string): string {
  return `${database}\u0000${schema}\u0000${table}`;
}

export class CatalogModel {
  readonly dbs: Db[] = [];
  readonly schemas: Schema[] = [];
  readonly tables: Table[] = [];
  explicit: Uint8Array; // chosen in the tree
  byPattern: Uint8Array; // chosen by the Include/Exclude patterns
  include: string[] = [];
  exclude: string[] = [];
  patternErrors: string[] = [];
  readonly fetchedAt: string;
  readonly savedAt: string | null;
  // Redshift's enable_case_sensitive_identifier: off (the default) compares names ignoring case.
  readonly caseSensitive: boolean;

  constructor(json: CatalogJson) {
    this.fetchedAt = json.fetched_at;
    this.savedAt = json.saved_at;
    this.caseSensitive = json.case_sensitive ?? false;
    const removedBySchema = new Map<string, string[]>();
    for (const r of json.removed ?? []) {
      const k = `${r.database}\u0000${r.schema}`;
      const list = removedBySchema.get(k) ?? [];
      list.push(r.table);
      removedBySchema.set(k, list);
    }
    const selectedFromServer: number[] = [];
    const seenSchemas = new Set<string>();
    for (const d of json.databases) {
      const db: Db = { name: d.name, error: d.error ? d.error.message : null, schemaStart: this.schemas.length, schemaEnd: 0 };
      const dbIndex = this.dbs.length;
      this.dbs.push(db);
      const addSchema = (name: string, kind: Schema['kind'], source: string | null) => {
        const s: Schema = { db: dbIndex, name, kind, source, tableStart: this.tables.length, tableEnd: 0 };
        this.schemas.push(s);
        return this.schemas.length - 1;
      };
      for (const s of d.schemas) {
        const si = addSchema(s.name, s.kind, s.source);
        seenSchemas.add(`${d.name}\u0000${s.name}`);
        for (const t of s.tables) {
          if (t.selected) selectedFromServer.push(this.tables.length);
          this.tables.push({
            schema: si,
            name: t.name,
            kind: t.kind,
            comment: t.comment,
            canSelect: t.can_select,
            saved: t.saved,
            mark: t.mark,
            columnCount: t.column_count,
            removed: false,
          });
        }
        for (const name of removedBySchema.get(`${d.name}\u0000${s.name}`) ?? []) this.pushRemoved(si, name);
        this.schemas[si].tableEnd = this.tables.length;
      }
      // Saved tables whose whole schema is gone.
      for (const [k, names] of removedBySchema) {
        const [dbName, schemaName] = k.split('\u0000');
        if (dbName !== d.name || seenSchemas.has(k)) continue;
        const si = addSchema(schemaName, 'local', null);
        for (const name of names) this.pushRemoved(si, name);
        this.schemas[si].tableEnd = this.tables.length;
      }
      db.schemaEnd = this.schemas.length;
    }
    this.explicit = new Uint8Array(this.tables.length);
    this.byPattern = new Uint8Array(this.tables.length);
    this.setPatterns(json.selection?.include ?? [], json.selection?.exclude ?? []);
    // `selected` is the saved selection (patterns included): keep as explicit only what the
    // patterns do not already select, so editing a pattern later behaves as the user expects.
    for (const i of selectedFromServer) if (!this.byPattern[i]) this.explicit[i] = 1;
  }

  private pushRemoved(schema: number, name: string) {
    this.tables.push({
      schema,
      name,
      kind: 'table',
      comment: null,
      canSelect: false,
      saved: true,
      mark: 'removed',
      columnCount: null,
      removed: true,
    });
  }

  ref(t: number): TableRef {
    const table = this.tables[t];
    const schema = this.schemas[table.schema];
    return { database: this.dbs[schema.db].name, schema: schema.name, table: table.name };
  }

  key(t: number): string {
    const r = this.ref(t);
    return tableKey(r.database, r.schema, r.table);
  }

  isSelected(t: number): boolean {
    return !this.tables[t].removed && (this.explicit[t] === 1 || this.byPattern[t] === 1);
  }

  // Replaces the patterns and recomputes what they select. Invalid patterns are reported in
  // patternErrors and ignored (the server rejects them on save with the same message).
  setPatterns(include: string[], exclude: string[]) {
    this.include = include;
    this.exclude = exclude;
    const { filter, errors } = TableFilter.make(include, exclude, this.caseSensitive ? 'exact' : 'ignore-ascii');
    this.patternErrors = errors;
    const n = this.tables.length;
    if (filter.include.length === 0) {
      this.byPattern.fill(0);
      return;
    }
    for (let t = 0; t < n; ++t) this.byPattern[t] = !this.tables[t].removed && filter.selects(this.ref(t)) ? 1 : 0;
  }

  patternMatchCount(): number {
    let c = 0;
    for (let t = 0; t < this.byPattern.length; ++t) c += this.byPattern[t];
    return c;
  }

  // Sets the explicit choice of tables [start, end) or of the listed indices.
  setExplicit(indices: Iterable<number>, on: boolean) {
    const v = on ? 1 : 0;
    for (const t of indices) if (!this.tables[t].removed) this.explicit[t] = v;
  }

  // Tri-state of a set of tables: checked when every selectable one is selected.
  checkOf(indices: Iterable<number>): Check {
    let total = 0;
    let selected = 0;
    for (const t of indices) {
      if (this.tables[t].removed) continue;
      ++total;
      if (this.isSelected(t)) ++selected;
    }
    if (total === 0 || selected === 0) return 'unchecked';
    return selected === total ? 'checked' : 'mixed';
  }

  // Toggle of a group as a tri-state checkbox does it: all on unless all are already on.
  toggle(indices: number[]) {
    const on = this.checkOf(indices) !== 'checked';
    this.setExplicit(indices, on);
  }

  schemaTables(s: number): number[] {
    const { tableStart, tableEnd } = this.schemas[s];
    return range(tableStart, tableEnd);
  }

  dbTables(d: number): number[] {
    const db = this.dbs[d];
    if (db.schemaStart === db.schemaEnd) return [];
    return range(this.schemas[db.schemaStart].tableStart, this.schemas[db.schemaEnd - 1].tableEnd);
  }

  // Selected tables and the columns known for them (column_count is known once saved).
  counts(): { tables: number; columns: number; columnsKnown: number } {
    let tables = 0;
    let columns = 0;
    let columnsKnown = 0;
    for (let t = 0; t < this.tables.length; ++t) {
      if (!this.isSelected(t)) continue;
      ++tables;
      const c = this.tables[t].columnCount;
      if (c !== null) {
        columns += c;
        ++columnsKnown;
      }
    }
    return { tables, columns, columnsKnown };
  }

  // The explicit choices, as the API takes them.
  explicitRefs(): TableRef[] {
    const out: TableRef[] = [];
    for (let t = 0; t < this.tables.length; ++t) if (this.explicit[t] && !this.tables[t].removed) out.push(this.ref(t));
    return out;
  }

  // Carries the unsaved choices of an earlier model (same connection) into this one: explicitly
  // chosen tables that still exist stay chosen (and unchosen ones stay unchosen), patterns
  // carry over; a new table is selected only when the patterns select it.
  carryOver(prev: CatalogModel) {
    const chosen = new Set<string>();
    const known = new Set<string>();
    for (let t = 0; t < prev.tables.length; ++t) {
      if (prev.tables[t].removed) continue;
      const k = prev.key(t);
      known.add(k);
      if (prev.explicit[t]) chosen.add(k);
    }
    this.setPatterns(prev.include, prev.exclude);
    for (let t = 0; t < this.tables.length; ++t) {
      const k = this.key(t);
      if (known.has(k)) this.explicit[t] = chosen.has(k) && !this.byPattern[t] ? 1 : 0;
    }
  }

  markCounts(): Record<'new' | 'removed' | 'changed', number> {
    const c = { new: 0, removed: 0, changed: 0 };
    for (const t of this.tables) if (t.mark) c[t.mark]++;
    return c;
  }
}

function range(a: number, b: number): number[] {
  const out = new Array<number>(b - a);
  for (let i = a; i < b; ++i) out[i - a] = i;
  return out;
}

// ------------------------------------------------------------------------------------------
// Rows on screen
// ------------------------------------------------------------------------------------------

export type Row = { kind: 'db'; index: number } | { kind: 'schema'; index: number } | { kind: 'table'; index: number };

export interface View {
  expandedDbs: Set<number>;
  expandedSchemas: Set<number>;
  search: string; // case-insensitive substring of "schema.table" or the table's name
  marks: MarkFilter;
}

export function tableMatches(m: CatalogModel, t: number, search: string, marks: MarkFilter): boolean {
  const table = m.tables[t];
  if (marks !== 'all') {
    if (marks === 'changes' ? table.mark === null : table.mark !== marks) return false;
  }
  if (!search) return true;
  const schema = m.schemas[table.schema];
  const hay = `${m.dbs[schema.db].name}.${schema.name}.${table.name}`.toLowerCase();
  return hay.includes(search);
}

export function isFiltering(v: View): boolean {
  return v.search.trim() !== '' || v.marks !== 'all';
}

// The tables the current search and mark filter let through (all tables when none is set).
export function matchingTables(m: CatalogModel, v: View): number[] {
  const q = v.search.trim().toLowerCase();
  const out: number[] = [];
  for (let t = 0; t < m.tables.length; ++t) if (tableMatches(m, t, q, v.marks)) out.push(t);
  return out;
}

// The flattened rows: a database, its schemas when expanded, their tables when expanded. While
// a search or mark filter is set, only matching tables show, with their ancestors expanded.
export function visibleRows(m: CatalogModel, v: View): Row[] {
  const rows: Row[] = [];
  const filtering = isFiltering(v);
  const q = v.search.trim().toLowerCase();
  for (let d = 0; d < m.dbs.length; ++d) {
    const db = m.dbs[d];
    if (!filtering) {
      rows.push({ kind: 'db', index: d });
      if (!v.expandedDbs.has(d)) continue;
      for (let s = db.schemaStart; s < db.schemaEnd; ++s) {
        rows.push({ kind: 'schema', index: s });
        if (!v.expandedSchemas.has(s)) continue;
        const { tableStart, tableEnd } = m.schemas[s];
        for (let t = tableStart; t < tableEnd; ++t) rows.push({ kind: 'table', index: t });
      }
      continue;
    }
    let dbHas = false;
    for (let s = db.schemaStart; s < db.schemaEnd; ++s) {
      const { tableStart, tableEnd } = m.schemas[s];
      let schemaRow = -1;
      for (let t = tableStart; t < tableEnd; ++t) {
        if (!tableMatches(m, t, q, v.marks)) continue;
        if (!dbHas) {
          rows.push({ kind: 'db', index: d });
          dbHas = true;
        }
        if (schemaRow < 0) {
          schemaRow = rows.length;
          rows.push({ kind: 'schema', index: s });
        }
        rows.push({ kind: 'table', index: t });
      }
    }
  }
  return rows;
}
