import { describe, expect, it } from 'vitest';
import { TableFilter, globMatch, parsePattern, splitPatterns } from './glob';

const ref = (database: string, schema: string, table: string) => ({ database, schema, table });

describe('globMatch (core GlobMatch semantics)', () => {
  it('matches * as any run, including none and dots', () => {
    expect(globMatch('*', '')).toBe(true);
    expect(globMatch('sales*', 'sales')).toBe(true);
    expect(globMatch('sales*', 'sales_eu')).toBe(true);
    expect(globMatch('a*b*c', 'aXXbYYc')).toBe(true);
    expect(globMatch('a*b*c', 'aXXbYY')).toBe(false);
    expect(globMatch('*.x', 'a.b.x')).toBe(true);
  });
  it('matches ? as exactly one byte', () => {
    expect(globMatch('t?', 't1')).toBe(true);
    expect(globMatch('t?', 't')).toBe(false);
    expect(globMatch('t?', 't12')).toBe(false);
    // "é" is two bytes in UTF-8: one ? does not cover it, two do (as in the C++ matcher).
    expect(globMatch('caf?', 'café')).toBe(false);
    expect(globMatch('caf??', 'café')).toBe(true);
  });
  it('is exact-case', () => {
    expect(globMatch('Orders', 'orders')).toBe(false);
    expect(globMatch('orders', 'orders')).toBe(true);
  });
  it('backtracks to the last star', () => {
    expect(globMatch('*ab', 'aab')).toBe(true);
    expect(globMatch('*a*ab', 'xaxaab')).toBe(true);
  });
});

describe('parsePattern (TableFilter::Parse)', () => {
  it('splits on unquoted dots and keeps quoted ones', () => {
    const r = parsePattern('dev."a.b".*');
    expect(r.ok && r.pattern.parts).toEqual(['dev', 'a.b', '*']);
    const q = parsePattern('dev."say ""hi"""');
    expect(q.ok && q.pattern.parts).toEqual(['dev', 'say "hi"']);
  });
  it('rejects what the server rejects, with the same words', () => {
    expect(parsePattern('')).toEqual({ ok: false, error: 'empty table pattern' });
    expect(parsePattern('a.b.c.d')).toMatchObject({ ok: false, error: expect.stringContaining('more than three parts') });
    expect(parsePattern('a..c')).toMatchObject({ ok: false, error: expect.stringContaining('empty part') });
    expect(parsePattern('"a.b')).toMatchObject({ ok: false, error: expect.stringContaining('unclosed quote') });
    expect(parsePattern('x'.repeat(1025))).toMatchObject({ ok: false, error: 'table pattern longer than 1024 bytes' });
  });
});

describe('TableFilter', () => {
  // The same cases as src/warehouse/warehouse_test.cc TableFilterTest.
  it('keeps by include and drops by exclude, fewer parts matching a prefix', () => {
    const { filter, errors } = TableFilter.make(['dev.sales*', 'prod.public.orders'], ['dev.sales_tmp']);
    expect(errors).toEqual([]);
    expect(filter.keeps(ref('dev', 'sales', 't'))).toBe(true);
    expect(filter.keeps(ref('dev', 'sales_eu', 't'))).toBe(true);
    expect(filter.keeps(ref('dev', 'sales_tmp', 't'))).toBe(false);
    expect(filter.keeps(ref('dev', 'public', 't'))).toBe(false);
    expect(filter.keeps(ref('prod', 'public', 'orders'))).toBe(true);
    expect(filter.keeps(ref('prod', 'public', 'orders2'))).toBe(false);
  });
  it('keeps everything when empty, but selects nothing without an include', () => {
    const { filter } = TableFilter.make([], ['dev.tmp']);
    expect(filter.keeps(ref('a', 'b', 'c'))).toBe(true);
    expect(filter.selects(ref('a', 'b', 'c'))).toBe(false);
    expect(TableFilter.make([], []).filter.empty).toBe(true);
  });
  it('reports every invalid pattern and ignores it', () => {
    const { filter, errors } = TableFilter.make(['dev', 'a..b'], ['"x']);
    expect(errors).toHaveLength(2);
    expect(filter.include.map((p) => p.text)).toEqual(['dev']);
  });
  it('ignores ASCII case only when asked, as Redshift with enable_case_sensitive_identifier off', () => {
    const exact = TableFilter.make(['dev.TICKIT.Sales'], []).filter;
    expect(exact.selects(ref('dev', 'tickit', 'sales'))).toBe(false);
    expect(exact.selects(ref('dev', 'TICKIT', 'Sales'))).toBe(true);
    const folded = TableFilter.make(['dev.TICKIT.Sa*'], ['dev.tickit.SALES_OLD'], 'ignore-ascii').filter;
    expect(folded.selects(ref('dev', 'tickit', 'sales'))).toBe(true);
    expect(folded.selects(ref('DEV', 'Tickit', 'SALES'))).toBe(true);
    expect(folded.selects(ref('dev', 'tickit', 'sales_old'))).toBe(false);
    // Only ASCII letters fold: a non-ASCII letter keeps its case, as on the server.
    expect(TableFilter.make(['dev.s.É'], [], 'ignore-ascii').filter.selects(ref('dev', 's', 'é'))).toBe(false);
  });
  it('splits a textarea into patterns', () => {
    expect(splitPatterns(' dev.sales \n\n  prod.*\n')).toEqual(['dev.sales', 'prod.*']);
  });
});
