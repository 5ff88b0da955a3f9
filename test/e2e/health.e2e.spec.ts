import { json } from '../support/api.js';
import { type AppProcess, freePort, startApp } from '../support/app-process.js';
import { sharedStackEnv } from '../support/stack.js';

describe('health', () => {
  let app: AppProcess;
  beforeAll(async () => {
    app = await startApp(sharedStackEnv());
  });
  afterAll(() => app.stop());

  it('liveness checks the process only', async () => {
    const response = await fetch(`${app.url}/health/live`);
    expect(response.status).toBe(200);
    expect((await json(response)).status).toBe('ok');
  });

  it('readiness is 200 with primary, replica and Redis details', async () => {
    const response = await fetch(`${app.url}/health/ready`);
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.status).toBe('ok');
    expect(body.details.primary.status).toBe('up');
    expect(body.details.replicas.status).toBe('up');
    expect(body.details.replicas.replica1.state).toBe('healthy');
    expect(body.details.redis.status).toBe('up');
  });

  it('JSON responses carry the API security headers, pages the full helmet set', async () => {
    for (const path of ['/health/live', '/no/such/route']) {
      const response = await fetch(`${app.url}${path}`);
      expect(Object.fromEntries(response.headers)).toMatchObject({
        'content-security-policy': "default-src 'none';frame-ancestors 'none'",
        'strict-transport-security': expect.stringMatching(/^max-age=\d+/),
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
      });
      expect(response.headers.get('x-dns-prefetch-control')).toBeNull();
      expect(response.headers.get('x-powered-by')).toBeNull();
    }
    const docs = (await fetch(`${app.url}/docs`)).headers;
    expect(docs.get('content-security-policy')).toContain("default-src 'self'");
    expect(docs.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(docs.get('x-content-type-options')).toBe('nosniff');
    expect(docs.get('cross-origin-opener-policy')).toBe('same-origin');
  });

  it('echoes a sane x-request-id and makes one otherwise', async () => {
    const given = await fetch(`${app.url}/health/live`, { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const hostile = await fetch(`${app.url}/health/live`, {
      headers: { 'x-request-id': 'a b\u00e9<script>' },
    });
    expect(hostile.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('an unknown route is a JSON 404 carrying the request id', async () => {
    const response = await fetch(`${app.url}/no/such/route`, {
      headers: { 'x-request-id': 'req-404' },
    });
    expect(response.status).toBe(404);
    expect(await json(response)).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'Cannot GET /no/such/route',
      requestId: 'req-404',
    });
    // Logged by the global hook: the request matched no route, so its line has none.
    const line = await app.waitForOutput(/^.*"requestId":"req-404".*$/m);
    const entry = JSON.parse(line[0]);
    expect(entry).toMatchObject({ method: 'GET', url: '/no/such/route', status: 404, level: 40 });
    expect(entry).not.toHaveProperty('route');
  });

  it('logs one JSON line per request with the request id, route, status and duration', async () => {
    // A probe first: lines go out in order, so had it been logged it would show before the next one.
    await fetch(`${app.url}/health/live`, { headers: { 'x-request-id': 'probe-me' } });
    await fetch(`${app.url}/_diagnostics/sleep?ms=1`, {
      headers: { 'x-request-id': 'log-me', authorization: 'Bearer secret-token' },
    });
    const line = await app.waitForOutput(/^.*"requestId":"log-me".*$/m);
    const entry = JSON.parse(line[0]);
    expect(entry).toMatchObject({
      requestId: 'log-me',
      method: 'GET',
      route: '/_diagnostics/sleep',
      status: 200,
    });
    expect(typeof entry.ms).toBe('number');
    expect(app.output()).not.toContain('secret-token');
    expect(app.output()).not.toContain('probe-me');
  });
});

describe('readiness with a dead replica and a dead Redis', () => {
  it('boots, serves, and reports them degraded, not unready', async () => {
    const stack = sharedStackEnv();
    const deadPort = await freePort();
    const app = await startApp({
      ...stack,
      DATABASE_REPLICA_URLS: `postgres://postgres@127.0.0.1:${deadPort}/app`,
      REDIS_URL: `redis://127.0.0.1:${deadPort}`,
    });
    try {
      const response = await fetch(`${app.url}/health/ready`);
      expect(response.status).toBe(200);
      const body = await json(response);
      expect(body.status).toBe('degraded');
      expect(body.details.primary.status).toBe('up');
      expect(body.details.replicas.status).toBe('degraded');
      expect(body.details.replicas.replica1.state).toBe('down');
      expect(body.details.redis.status).toBe('degraded');
    } finally {
      await app.stop();
    }
  });
});
