import { adminLogin, call, type Json, newUser } from '../support/api.js';
import { type AppProcess, startApp } from '../support/app-process.js';
import { sample, scrape } from '../support/metrics.js';
import { sharedStackEnv } from '../support/stack.js';
import { until } from '../support/wait.js';

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

  it('a known path with a method it does not take: 405 with Allow, counted and logged as unmatched', async () => {
    const series = `http_request_duration_seconds_count{method="PUT",route="unmatched",status_code="405"}`;
    const before = sample(await scrape(app), series) ?? 0;
    const id = '0b6c8f4e-1f0c-4a52-9b8e-3c1d2e4f5a6b';
    const put = await call(app.url, 'PUT', `/products/${id}`, { body: { name: 'x' } });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('DELETE, GET, HEAD, PATCH');
    expect(put.body).toMatchObject(shape(405));
    expect(put.body.message).toBe('PUT is not served here; use DELETE, GET, HEAD, PATCH');
    expect(put.headers.get('x-request-id')).toBe(put.body.requestId);
    expect(put.headers.get('x-content-type-options')).toBe('nosniff');
    const list = await call(app.url, 'DELETE', '/products?limit=1');
    expect(list.status).toBe(405);
    expect(list.headers.get('allow')).toBe('GET, HEAD, POST');
    expect(sample(await scrape(app), series)).toBe(before + 1);
    // Request lines leave in batches (250 ms): wait for this one, a warning without a route.
    const logged = /"level":40[^\n]*"method":"PUT"[^\n]*"status":405/;
    await until(() => logged.test(app.output()), 5_000);
    expect(app.output()).toMatch(logged);
  });

  it("the router's own refusals (a bad escape, an over-long parameter): our shape and headers, counted, the path not echoed", async () => {
    const series = (status: number) =>
      `http_request_duration_seconds_count{method="GET",route="unmatched",status_code="${status}"}`;
    const before = await scrape(app);
    const cases = [
      ['/products/%ZZ', 400],
      [`/products/${'a'.repeat(5_000)}`, 414],
    ] as const;
    for (const [path, status] of cases) {
      const requestId = `router-${status}`;
      const response = await call(app.url, 'GET', path, { headers: { 'x-request-id': requestId } });
      expect(response.status).toBe(status);
      // Fastify's own answer had a `code`, no request id, none of the security headers, and the whole path.
      expect(response.body).toEqual({ ...shape(status), requestId });
      expect(response.headers.get('x-request-id')).toBe(requestId);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(JSON.stringify(response.body).length).toBeLessThan(300);
    }
    const after = await scrape(app);
    for (const [, status] of cases)
      expect((sample(after, series(status)) ?? 0) - (sample(before, series(status)) ?? 0)).toBe(1);
  });

  it('a missing row: 404; a malformed id: 400 naming the parameter', async () => {
    const missing = await call(app.url, 'GET', '/products/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject(shape(404));
    const malformed = await call(app.url, 'GET', '/products/42');
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors).toEqual([{ field: 'id', message: 'id must be a UUID' }]);
  });

  /** An admin token, a fresh user and a product of that name, for requests that must all be refused. */
  async function probeFixture(name: string) {
    const admin = (await adminLogin(app.url)).accessToken;
    const user = await newUser(app.url);
    const created = await call(app.url, 'POST', '/products', {
      body: { name, category: 'kitchen', priceCents: 100 },
      token: admin,
    });
    expect(created.status).toBe(201);
    return { admin, user, id: created.body.id as string };
  }

  /** Each case ([what, its response, the field its 400 must name]) is a 400 in the common shape. */
  async function expectEach400(cases: Array<[string, Promise<Json>, string]>) {
    for (const [what, pending, field] of cases) {
      const response = await pending;
      expect({ what, status: response.status }).toEqual({ what, status: 400 });
      expect(response.body).toMatchObject(shape(400));
      expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
  }

  it('values PostgreSQL cannot hold: 400 naming the field, not a 500 from the query', async () => {
    const { admin, user, id: anId } = await probeFixture('Range probe');
    const cursor = (value: unknown[]) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const cases: Array<[string, Promise<Json>, string]> = [
      // Each answered 500 before: integer out of range (22003) or NUL in text (22021).
      [
        'minPriceCents',
        call(app.url, 'GET', '/products?minPriceCents=99999999999999999999'),
        'minPriceCents',
      ],
      [
        'version',
        call(app.url, 'PATCH', `/products/${anId}`, {
          body: { version: 99_999_999_999 },
          token: admin,
        }),
        'version',
      ],
      [
        'NUL in a product name',
        call(app.url, 'PATCH', `/products/${anId}`, {
          body: { version: 1, name: 'a\u0000b' },
          token: admin,
        }),
        'name',
      ],
      [
        'NUL in a user name',
        call(app.url, 'PATCH', `/users/${user.id}`, {
          body: { name: 'a\u0000b' },
          token: user.accessToken,
        }),
        'name',
      ],
      // Answered 200 before, with U+FFFD stored in place of what was sent.
      [
        'a lone surrogate in a user name',
        call(app.url, 'PATCH', `/users/${user.id}`, {
          body: { name: 'a\ud800b' },
          token: user.accessToken,
        }),
        'name',
      ],
      [
        'price cursor out of range',
        call(app.url, 'GET', `/products?sort=price&cursor=${cursor(['price', 1e15, anId])}`),
        'cursor',
      ],
      [
        'name cursor with NUL',
        call(app.url, 'GET', `/products?sort=name&cursor=${cursor(['name', 'a\u0000', anId])}`),
        'cursor',
      ],
      [
        'createdAt cursor out of range',
        call(
          app.url,
          'GET',
          `/products?cursor=${cursor(['createdAt', '-200000-01-01T00:00:00Z', anId])}`,
        ),
        'cursor',
      ],
      // Before PostgreSQL's 4713 BC, though JavaScript's dates reach it: also a 500 once.
      [
        'createdAt cursor before 4713 BC',
        call(
          app.url,
          'GET',
          `/products?cursor=${cursor(['createdAt', '-005000-01-01T00:00:00Z', anId])}`,
        ),
        'cursor',
      ],
    ];
    await expectEach400(cases);
    // The product is untouched by the refused writes.
    const after = await call(app.url, 'GET', `/products/${anId}`);
    expect(after.body).toMatchObject({ name: 'Range probe', version: 1 });
  });

  it('null for a field that may only be left out, and an unreadable upload: 400 naming the field', async () => {
    const { admin, user, id } = await probeFixture('Null probe');
    const cases: Array<[string, Promise<Json>, string]> = [
      // Each answered 500 before: the null passed @IsOptional and hit a NOT NULL column (23502).
      [
        'create with description null',
        call(app.url, 'POST', '/products', {
          body: { name: 'n', category: 'kitchen', priceCents: 1, description: null },
          token: admin,
        }),
        'description',
      ],
      [
        'update with name null',
        call(app.url, 'PATCH', `/products/${id}`, {
          body: { version: 1, name: null },
          token: admin,
        }),
        'name',
      ],
      [
        'user update with email null',
        call(app.url, 'PATCH', `/users/${user.id}`, {
          body: { email: null },
          token: user.accessToken,
        }),
        'email',
      ],
      // A multipart body cut short: the parser's error was a 500.
      [
        'a malformed multipart upload',
        call(app.url, 'POST', '/products/imports', {
          rawBody:
            '--xx\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nsku,na',
          headers: { 'content-type': 'multipart/form-data; boundary=xx' },
          token: admin,
        }),
        'file',
      ],
    ];
    await expectEach400(cases);
    expect((await call(app.url, 'GET', `/products/${id}`)).body).toMatchObject({
      name: 'Null probe',
      version: 1,
    });
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
