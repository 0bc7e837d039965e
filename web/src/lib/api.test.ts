import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, exportUrl, onSessionExpired, setCsrfToken } from './api';

type Call = { url: string; init: RequestInit };
function stubFetch(status: number, body: unknown, headers: Record<string, string> = {}) {
  const calls: Call[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
  });
  return calls;
}

afterEach(() => {
  vi.unstubAllGlobals();
  setCsrfToken('');
});

describe('request', () => {
  it('sends the CSRF token on state-changing calls only', async () => {
    setCsrfToken('tok123');
    const calls = stubFetch(200, { connections: [] });
    await api.connections();
    expect((calls[0].init.headers as Record<string, string>)['X-CSRF-Token']).toBeUndefined();
    stubFetch(204, undefined);
    const del = stubFetch(204, undefined);
    await api.deleteConnection('c/1');
    expect(del[0].url).toBe('/api/v1/connections/c%2F1');
    expect((del[0].init.headers as Record<string, string>)['X-CSRF-Token']).toBe('tok123');
  });

  it("turns an error body into ApiError with the server's message and request id", async () => {
    stubFetch(400, { error: { code: 'invalid_argument', message: 'Region: is required', request_id: 'req-7' } });
    const e = await api.createConnection({}).catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ status: 400, code: 'invalid_argument', message: 'Region: is required', requestId: 'req-7' });
  });

  it('falls back to the X-Request-Id header and the status when the body is not JSON', async () => {
    vi.stubGlobal('fetch', async () => new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway', headers: { 'X-Request-Id': 'hdr-1' } }));
    const e = await api.connections().catch((x) => x);
    expect(e).toMatchObject({ status: 502, code: 'internal', requestId: 'hdr-1' });
    expect(e.message).toMatch(/502/);
  });

  it('reports an expired session on a 401 from an authenticated call, not from login', async () => {
    const expired = vi.fn();
    onSessionExpired(expired);
    stubFetch(401, { error: { code: 'unauthenticated', message: 'log in', request_id: 'r' } });
    await api.connections().catch(() => {});
    expect(expired).toHaveBeenCalledTimes(1);
    await api.login('a@b', 'x').catch(() => {});
    await api.me().catch(() => {});
    expect(expired).toHaveBeenCalledTimes(1);
  });

  it('says so when the server cannot be reached', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('fetch failed');
    });
    const e = await api.connections().catch((x) => x);
    expect(e).toMatchObject({ status: 0, code: 'unavailable' });
  });
});

describe('Data Map calls', () => {
  it('send a decision or a role with the CSRF token, null clearing it, ids escaped', async () => {
    setCsrfToken('tok');
    const calls = stubFetch(200, {});
    await api.decideRelationship('c1', '0123456789abcdef', 'accept');
    await api.decideRelationship('c1', '0123456789abcdef', null);
    await api.setRole('c1', 'dev.sales/orders', null);
    expect(calls.map((c) => [c.init.method, c.url, c.init.body])).toEqual([
      ['PUT', '/api/v1/connections/c1/datamap/relationships/0123456789abcdef', '{"decision":"accept"}'],
      ['PUT', '/api/v1/connections/c1/datamap/relationships/0123456789abcdef', '{"decision":null}'],
      ['PUT', '/api/v1/connections/c1/datamap/roles/dev.sales%2Forders', '{"role":null}'],
    ]);
    for (const c of calls) expect((c.init.headers as Record<string, string>)['X-CSRF-Token']).toBe('tok');
  });

  it('builds download links for the four export formats', () => {
    expect(exportUrl('c 1', 'catalog-json')).toBe('/api/v1/connections/c%201/datamap/export?format=catalog-json');
    expect(exportUrl('c1', 'dbt')).toBe('/api/v1/connections/c1/datamap/export?format=dbt');
  });
});
