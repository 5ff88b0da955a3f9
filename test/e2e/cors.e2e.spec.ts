import { call } from '../support/api.js';
import { type AppProcess, startApp } from '../support/app-process.js';
import { sharedStackEnv } from '../support/stack.js';

const ALLOWED = 'https://app.example.test';
const ALSO_ALLOWED = 'http://localhost:5173';
const FOREIGN = 'https://evil.example.test';

const varyNames = (headers: Headers) =>
  (headers.get('vary') ?? '').split(',').map((name) => name.trim().toLowerCase());
const listed = (headers: Headers, name: string) =>
  (headers.get(name) ?? '').split(',').map((value) => value.trim().toLowerCase());

function preflight(url: string, path: string, origin: string, method = 'PATCH') {
  return call(url, 'OPTIONS', path, {
    headers: {
      origin,
      'access-control-request-method': method,
      'access-control-request-headers': 'authorization,content-type',
    },
  });
}

/**
 * A browser page on another origin may call the API only when CORS_ORIGINS lists it: the browser asks
 * first (preflight) and hides any response without a matching Access-Control-Allow-Origin from the page.
 */
describe('CORS', () => {
  let app: AppProcess;
  let productPath: string;
  beforeAll(async () => {
    app = await startApp(sharedStackEnv(), {
      env: { CORS_ORIGINS: `${ALLOWED}, ${ALSO_ALLOWED}` },
    });
    const page = await call(app.url, 'GET', '/products?limit=1');
    productPath = `/products/${page.body.items[0].id}`;
  });
  afterAll(() => app.stop());

  it('answers a preflight from a listed origin with what the page may send', async () => {
    const response = await preflight(app.url, productPath, ALLOWED);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(listed(response.headers, 'access-control-allow-methods')).toEqual(
      expect.arrayContaining(['get', 'post', 'patch', 'delete']),
    );
    expect(listed(response.headers, 'access-control-allow-headers')).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'if-none-match']),
    );
    expect(response.headers.get('access-control-max-age')).toBe('600');
    // Bearer tokens, not cookies: a page never sends credentials cross-site.
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(varyNames(response.headers)).toContain('origin');
  });

  it('lets a listed page read a response and the headers it needs', async () => {
    for (const origin of [ALLOWED, ALSO_ALLOWED]) {
      const response = await call(app.url, 'GET', productPath, { headers: { origin } });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(varyNames(response.headers)).toContain('origin'); // a shared cache keeps one per origin
      expect(listed(response.headers, 'access-control-expose-headers')).toEqual(
        expect.arrayContaining(['etag', 'x-request-id', 'retry-after', 'ratelimit-remaining']),
      );
      // The API's own headers are still there.
      expect(response.headers.get('x-request-id')).toBeTruthy();
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('lets a listed page read error responses too (a 400 naming the field, a 404, a 401)', async () => {
    const headers = { origin: ALLOWED };
    const bad = await call(app.url, 'GET', '/products?limit=abc', { headers });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('limit');
    const missing = await call(app.url, 'GET', '/products/00000000-0000-4000-8000-000000000000', {
      headers,
    });
    expect(missing.status).toBe(404);
    const unauthenticated = await call(app.url, 'PATCH', productPath, {
      headers,
      body: { priceCents: 1, version: 1 },
    });
    expect(unauthenticated.status).toBe(401);
    for (const response of [bad, missing, unauthenticated])
      expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  it('gives an unlisted origin no CORS headers, so its page cannot read the answer', async () => {
    const ask = await preflight(app.url, productPath, FOREIGN);
    expect(ask.headers.get('access-control-allow-origin')).toBeNull();
    // (@fastify/cors still lists the methods; without Allow-Origin the browser fails the preflight.)
    const response = await call(app.url, 'GET', productPath, { headers: { origin: FOREIGN } });
    // The server still answers (CORS is the browser's rule, not authentication); the page is denied.
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    // A look-alike with another scheme or port is another origin.
    for (const origin of ['http://app.example.test', 'https://app.example.test:8443']) {
      const other = await call(app.url, 'GET', productPath, { headers: { origin } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('sends no CORS headers at all when CORS_ORIGINS is empty (the default)', async () => {
    const plain = await startApp(sharedStackEnv());
    try {
      const response = await call(plain.url, 'GET', productPath, { headers: { origin: ALLOWED } });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      const ask = await preflight(plain.url, productPath, ALLOWED);
      expect(ask.headers.get('access-control-allow-origin')).toBeNull();
      expect(ask.status).toBeGreaterThanOrEqual(400);
      expect(ask.status).toBeLessThan(500);
    } finally {
      await plain.stop();
    }
  });
});
