import { call } from '../support/api.js';
import { type AppProcess, startApp } from '../support/app-process.js';
import { sharedStackEnv } from '../support/stack.js';

/** Every error has the same JSON shape with the request id; nothing internal leaks. */
describe('error responses', () => {
  let app: AppProcess;
  beforeAll(async () => {
    app = await startApp(sharedStackEnv(), { env: { BODY_LIMIT_BYTES: '2048' } });
  });
  afterAll(() => app.stop());

  const shape = (status: number) => ({
    statusCode: status,
    error: expect.any(String),
    message: expect.any(String),
    requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
  });

  it('bad input: 400 with every field and reason', async () => {
    const response = await call(app.url, 'POST', '/auth/register', {
      body: { email: 'not-an-email', password: 1, admin: true },
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject(shape(400));
    expect(response.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'admin', message: 'property admin should not exist' },
        { field: 'email', message: 'email must be an email' },
        expect.objectContaining({ field: 'password' }),
        expect.objectContaining({ field: 'name' }),
      ]),
    );
  });

  it('malformed JSON: 400', async () => {
    const response = await call(app.url, 'POST', '/auth/login', { rawBody: '{"email": "a@b.c", ' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject(shape(400));
  });

  it('a body over the limit: 413', async () => {
    const response = await call(app.url, 'POST', '/auth/login', {
      body: { email: 'a@b.c', password: 'x'.repeat(5_000) },
    });
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject(shape(413));
  });

  it('an unknown route: 404', async () => {
    const response = await call(app.url, 'DELETE', '/nothing/here');
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject(shape(404));
  });

  it('a missing row: 404; a malformed id: 400 naming the parameter', async () => {
    const missing = await call(app.url, 'GET', '/products/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject(shape(404));
    const malformed = await call(app.url, 'GET', '/products/42');
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors).toEqual([{ field: 'id', message: 'id must be a UUID' }]);
  });

  it('a unique violation: 409', async () => {
    const body = {
      email: `dup-${Date.now()}@example.com`,
      password: 'a-long-enough-password',
      name: 'Dup',
    };
    expect((await call(app.url, 'POST', '/auth/register', { body })).status).toBe(201);
    const response = await call(app.url, 'POST', '/auth/register', { body });
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject(shape(409));
  });

  it('an unexpected failure: 500 with no stack or internal message', async () => {
    const response = await call(app.url, 'GET', '/_diagnostics/fail');
    expect(response.status).toBe(500);
    expect(response.body).toEqual({
      ...shape(500),
      error: 'Internal Server Error',
      message: 'Internal server error',
    });
    expect(JSON.stringify(response.body)).not.toMatch(/secret|\.ts:|at /);
  });

  it('every error body carries the request id the client sent', async () => {
    const response = await call(app.url, 'GET', '/products?limit=999', {
      headers: { 'x-request-id': 'trace-me-1' },
    });
    expect(response.body.requestId).toBe('trace-me-1');
    expect(response.headers.get('x-request-id')).toBe('trace-me-1');
  });
});

describe('OpenAPI', () => {
  let app: AppProcess;
  beforeAll(async () => {
    app = await startApp(sharedStackEnv());
  });
  afterAll(() => app.stop());

  it('serves the UI at /docs and a document covering every route with its request, response and error shapes', async () => {
    expect((await fetch(`${app.url}/docs`)).status).toBe(200);
    const doc = (await call(app.url, 'GET', '/docs/json')).body;
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(
        methods as Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>,
      ).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })),
    );
    const names = routes.map((r) => r.route);
    for (const expected of [
      'POST /auth/register',
      'POST /auth/login',
      'POST /auth/refresh',
      'POST /auth/logout',
      'GET /users/me',
      'GET /users/{id}',
      'PATCH /users/{id}',
      'DELETE /users/{id}',
      'GET /products',
      'GET /products/{id}',
      'POST /products',
      'PATCH /products/{id}',
      'DELETE /products/{id}',
      'GET /products/export.csv',
      'GET /health/live',
      'GET /health/ready',
    ]) {
      expect(names).toContain(expected);
    }
    expect(names.some((n) => n.includes('_diagnostics'))).toBe(false);
    for (const { route, op } of routes.filter((r) => !r.route.includes('/health/'))) {
      const statuses = Object.keys(op.responses);
      expect({ route, success: statuses.some((s) => s.startsWith('2')) }).toEqual({
        route,
        success: true,
      });
      expect({ route, errors: statuses.some((s) => s.startsWith('4')) }).toEqual({
        route,
        errors: true,
      });
    }
    const withBody = [
      'POST /auth/register',
      'POST /auth/login',
      'POST /auth/refresh',
      'POST /auth/logout',
      'POST /products',
      'PATCH /products/{id}',
      'PATCH /users/{id}',
    ];
    for (const route of withBody) {
      const op = routes.find((r) => r.route === route)!.op;
      expect({ route, body: !!op.requestBody }).toEqual({ route, body: true });
    }
    expect(doc.components.schemas.ErrorBodyDto).toBeDefined();
  });
});
