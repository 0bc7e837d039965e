// Include/exclude patterns over "database.schema.table" with the semantics of
// warehouse::TableFilter (src/warehouse/filter.cc) and core GlobMatch (src/core/text.cc):
// `*` is any run of characters, `?` is one byte of the UTF-8 name, matching is exact-case, or
// ignores ASCII case as Redshift compares names while enable_case_sensitive_identifier is off
// (MatchCase::kIgnoreAscii: the catalog's `case_sensitive` says which),
// a pattern with fewer parts matches a prefix ("dev" = "dev.*.*"), and a part may be quoted
// with double quotes to hold a literal dot ("" inside quotes is one quote).

export interface TableRef {
  database: string;
  schema: string;
  table: string;
}

const encoder = new TextEncoder();
const STAR = 0x2a;
const QUESTION = 0x3f;

function globBytes(pattern: Uint8Array, text: Uint8Array): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === QUESTION || pattern[p] === text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.length && pattern[p] === STAR) {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === STAR) ++p;
  return p === pattern.length;
}

// Glob match of the whole text, as core::GlobMatch with MatchCase::kExact.
export function globMatch(pattern: string, text: string): boolean {
  // ASCII fast path: bytes and UTF-16 code units coincide.
  if (isAscii(pattern) && isAscii(text)) return globAscii(pattern, text);
  return globBytes(encoder.encode(pattern), encoder.encode(text));
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; ++i) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function globAscii(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    const pc = p < pattern.length ? pattern.charCodeAt(p) : -1;
    if (pc === QUESTION || (pc >= 0 && pc === text.charCodeAt(t))) {
      ++p;
      ++t;
    } else if (pc === STAR) {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern.charCodeAt(p) === STAR) ++p;
  return p === pattern.length;
}

export interface Pattern {
  text: string;
  parts: string[]; // 1 to 3
}

export type ParseResult = { ok: true; pattern: Pattern } | { ok: false; error: string };

// Parses one pattern exactly as TableFilter::Parse, with the same messages.
export function parsePattern(text: string): ParseResult {
  if (text.length === 0) return { ok: false, error: 'empty table pattern' };
  if (encoder.encode(text).length > 1024) return { ok: false, error: 'table pattern longer than 1024 bytes' };
  const parts: string[] = [];
  let part = '';
  let quoted = false;
  for (let i = 0; i < text.length; ++i) {
    const c = text[i];
    if (c === '"') {
      if (quoted && i + 1 < text.length && text[i + 1] === '"') {
        part += '"';
        ++i;
      } else {
        quoted = !quoted;
      }
    } else if (c === '.' && !quoted) {
      parts.push(part);
      part = '';
    } else {
      part += c;
    }
  }
  if (quoted) return { ok: false, error: `table pattern '${text}' has an unclosed quote` };
  parts.push(part);
  if (parts.length > 3) {
    return {
      ok: false,
      error: `table pattern '${text}' has more than three parts (database.schema.table); quote names that contain dots`,
    };
  }
  if (parts.some((s) => s.length === 0)) return { ok: false, error: `table pattern '${text}' has an empty part` };
  return { ok: true, pattern: { text, parts } };
}

// ASCII letters lower-cased, everything else kept (as core AsciiLower).
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

export type MatchCase = 'exact' | 'ignore-ascii';

// With 'ignore-ascii' the pattern's parts must already be lower-cased (TableFilter.make does it).
export function patternMatches(p: Pattern, ref: TableRef, matchCase: MatchCase = 'exact'): boolean {
  const names = [ref.database, ref.schema, ref.table];
  for (let i = 0; i < p.parts.length; ++i) {
    const name = matchCase === 'exact' ? names[i] : asciiLower(names[i]);
    if (!globMatch(p.parts[i], name)) return false;
  }
  return true;
}

// A compiled include/exclude pair. `selects` is what the patterns add to a selection: a table
// some Include matches and no Exclude does (with no Include, patterns select nothing).
// `keeps` is TableFilter::Keeps (no Include keeps everything).
export class TableFilter {
  constructor(
    readonly include: Pattern[],
    readonly exclude: Pattern[],
    readonly matchCase: MatchCase = 'exact',
  ) {}

  static make(include: string[], exclude: string[], matchCase: MatchCase = 'exact'): { filter: TableFilter; errors: string[] } {
    const errors: string[] = [];
    const inc: Pattern[] = [];
    const exc: Pattern[] = [];
    for (const [list, out] of [
      [include, inc],
      [exclude, exc],
    ] as const) {
      for (const s of list) {
        const r = parsePattern(s);
        if (!r.ok) errors.push(r.error);
        else if (matchCase === 'exact') out.push(r.pattern);
        else out.push({ text: r.pattern.text, parts: r.pattern.parts.map(asciiLower) });
      }
    }
    return { filter: new TableFilter(inc, exc, matchCase), errors };
  }

  keeps(ref: TableRef): boolean {
    if (this.include.length > 0 && !this.include.some((p) => patternMatches(p, ref, this.matchCase))) return false;
    return !this.exclude.some((p) => patternMatches(p, ref, this.matchCase));
  }

  selects(ref: TableRef): boolean {
    return this.include.length > 0 && this.keeps(ref);
  }

  get empty(): boolean {
    return this.include.length === 0 && this.exclude.length === 0;
  }
}

// Splits a textarea's content into patterns: one per line, blank lines ignored.
export function splitPatterns(text: string): string[] {
  return text
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
