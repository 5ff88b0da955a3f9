import { adminLogin, call, newUser } from '../support/api.js';
import { type AppProcess, startApp } from '../support/app-process.js';
import { services, sharedStackDir, sharedStackEnv } from '../support/stack.js';

const PRODUCTS_RELOPTIONS =
  "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'products'";

describe('products', () => {
  let app: AppProcess;
  let admin: string;
  beforeAll(async () => {
    app = await startApp(sharedStackEnv());
    admin = (await adminLogin(app.url)).accessToken;
  });
  afterAll(() => app.stop());

  it('walks every page of a filtered, sorted list once, in order, with one query per page', async () => {
    const seen: Array<{ id: string; priceCents: number; category: string }> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `/products?category=kitchen&minPriceCents=1000&maxPriceCents=30000&sort=price&order=asc&limit=37${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await call(app.url, 'GET', query);
      expect(page.status).toBe(200);
      expect(page.headers.get('x-db-queries')).toBe('1');
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    expect(pages).toBeGreaterThan(2);
    expect(new Set(seen.map((p) => p.id)).size).toBe(seen.length);
    expect(
      seen.every((p) => p.category === 'kitchen' && p.priceCents >= 1000 && p.priceCents <= 30000),
    ).toBe(true);
    const prices = seen.map((p) => p.priceCents);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));

    // The same filter in one big page (the max) agrees with the walk, up to its size.
    const all = await call(
      app.url,
      'GET',
      '/products?category=kitchen&minPriceCents=1000&maxPriceCents=30000&sort=price&order=asc&limit=100',
    );
    expect(all.body.items.map((p: { id: string }) => p.id)).toEqual(
      seen.slice(0, 100).map((p) => p.id),
    );
  });

  it('pages by createdAt desc (the default) without gaps or repeats', async () => {
    const first = await call(app.url, 'GET', '/products?limit=50');
    const second = await call(app.url, 'GET', `/products?limit=50&cursor=${first.body.nextCursor}`);
    const both = await call(app.url, 'GET', '/products?limit=100');
    expect([...first.body.items, ...second.body.items].map((p) => p.id)).toEqual(
      both.body.items.map((p: { id: string }) => p.id),
    );
  });

  it.each([
    ['limit=101', 'limit'],
    ['limit=0', 'limit'],
    ['limit=ten', 'limit'],
    ['sort=stock', 'sort'],
    ['order=sideways', 'order'],
    ['minPriceCents=-1', 'minPriceCents'],
    ['category=Not%20Valid', 'category'],
    ['cursor=garbage', 'cursor'],
    ['surprise=1', 'surprise'],
  ])('rejects ?%s with a 400 naming %s', async (query, field) => {
    const response = await call(app.url, 'GET', `/products?${query}`);
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('refuses a cursor made for another sort', async () => {
    const page = await call(app.url, 'GET', '/products?limit=1&sort=name');
    const response = await call(
      app.url,
      'GET',
      `/products?sort=price&cursor=${page.body.nextCursor}`,
    );
    expect(response.status).toBe(400);
  });

  it('lets admins create, update (with version checks) and delete; others get 401/403', async () => {
    const user = await newUser(app.url);
    const input = { name: 'Test kettle', category: 'kitchen', priceCents: 2599, stock: 3 };
    expect((await call(app.url, 'POST', '/products', { body: input })).status).toBe(401);
    expect(
      (await call(app.url, 'POST', '/products', { body: input, token: user.accessToken })).status,
    ).toBe(403);

    const created = await call(app.url, 'POST', '/products', { body: input, token: admin });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...input, version: 1, description: '' });
    const id = created.body.id;

    const updated = await call(app.url, 'PATCH', `/products/${id}`, {
      body: { priceCents: 2999, version: 1 },
      token: admin,
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ priceCents: 2999, version: 2 });

    // A writer that read version 1 loses the race cleanly instead of overwriting version 2.
    const stale = await call(app.url, 'PATCH', `/products/${id}`, {
      body: { priceCents: 1, version: 1 },
      token: admin,
    });
    expect(stale.status).toBe(409);
    expect((await call(app.url, 'GET', `/products/${id}`)).body.priceCents).toBe(2999);

    expect(
      (await call(app.url, 'PATCH', `/products/${id}`, { body: { priceCents: 5 }, token: admin }))
        .status,
    ).toBe(400);
    expect(
      (await call(app.url, 'DELETE', `/products/${id}`, { token: user.accessToken })).status,
    ).toBe(403);
    expect((await call(app.url, 'DELETE', `/products/${id}`, { token: admin })).status).toBe(204);
    expect((await call(app.url, 'GET', `/products/${id}`, { token: admin })).status).toBe(404);
    expect((await call(app.url, 'DELETE', `/products/${id}`, { token: admin })).status).toBe(404);
  });

  it('a PATCH is one statement that changes only the fields it names and moves version and updatedAt', async () => {
    const input = { name: 'Teapot', category: 'kitchen', priceCents: 4500, stock: 2 };
    const created = (await call(app.url, 'POST', '/products', { body: input, token: admin })).body;
    const patch = (body: Record<string, unknown>) =>
      call(app.url, 'PATCH', `/products/${created.id}`, { body, token: admin });

    const first = await patch({ stock: 7, name: 'Teapot, large', version: 1 });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-db-queries')).toBe('1');
    expect(first.body).toEqual({
      ...created,
      name: 'Teapot, large',
      stock: 7,
      version: 2,
      updatedAt: first.body.updatedAt,
    });
    expect(Date.parse(first.body.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));

    // The same columns named in another order, then other columns: each gets its own prepared statement.
    const second = await patch({ version: 2, name: 'Teapot, small', stock: 1 });
    expect(second.body).toMatchObject({ name: 'Teapot, small', stock: 1, version: 3 });
    const third = await patch({ description: 'Cast iron', priceCents: 3900, version: 3 });
    expect(third.body).toMatchObject({
      name: 'Teapot, small',
      description: 'Cast iron',
      priceCents: 3900,
      stock: 1,
      version: 4,
      createdAt: created.createdAt,
    });
    expect((await call(app.url, 'GET', `/products/${created.id}`)).body).toEqual(third.body);

    // Naming no field changes nothing, and still checks the version.
    expect((await patch({ version: 4 })).body).toEqual(third.body);
    expect((await patch({ version: 3 })).status).toBe(409);
    const missing = await call(app.url, 'PATCH', '/products/00000000-0000-4000-8000-000000000000', {
      body: { stock: 1, version: 1 },
      token: admin,
    });
    expect(missing.status).toBe(404);
  });

  it('a cached read sends the JSON the product is cached as: same bytes and type as the first read', async () => {
    const input = { name: 'Milk jug', category: 'kitchen', priceCents: 1200, stock: 3 };
    const created = (await call(app.url, 'POST', '/products', { body: input, token: admin })).body;
    const read = () => globalThis.fetch(`${app.url}/products/${created.id}`);
    // Cold key: loaded from the database and serialised; then served from the cache as stored.
    const [first, second] = [await read(), await read()];
    expect([first.headers.get('x-db-queries'), second.headers.get('x-db-queries')]).toEqual([
      '1',
      '0',
    ]);
    for (const response of [first, second]) {
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(response.headers.get('etag')).toBe(`W/"${created.id}.1"`);
    }
    const [firstText, secondText] = [await first.text(), await second.text()];
    expect(secondText).toBe(firstText);
    expect(JSON.parse(secondText)).toEqual(created);
    // A missing id is cached too, and still answers 404 with the error body, not the cache's marker.
    const missing = '00000000-0000-4000-8000-0000000000aa';
    for (let i = 0; i < 2; i++) {
      const response = await call(app.url, 'GET', `/products/${missing}`);
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ statusCode: 404 });
    }
  });

  it('the products table keeps 10% of each page free, so stock updates can be HOT', () => {
    const options = services(sharedStackDir(), 'psql', 'primary', '-Atc', PRODUCTS_RELOPTIONS);
    expect(options.trim()).toBe('fillfactor=90');
  });

  it('two concurrent updates of one version: exactly one wins', async () => {
    const created = await call(app.url, 'POST', '/products', {
      body: { name: 'Race', category: 'toys', priceCents: 100 },
      token: admin,
    });
    const results = await Promise.all(
      [1, 2, 3, 4].map((n) =>
        call(app.url, 'PATCH', `/products/${created.body.id}`, {
          body: { priceCents: n, version: 1 },
          token: admin,
        }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409]);
  });

  it('exports every product as CSV for admins', async () => {
    const response = await fetch(`${app.url}/products/export.csv`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await response.text()).trim().split('\n');
    expect(lines[0]).toBe('id,name,category,price_cents,stock,version,created_at,updated_at');
    const total = await call(app.url, 'GET', '/products?limit=1'); // at least the seeded 2,000
    expect(total.status).toBe(200);
    expect(lines.length - 1).toBeGreaterThanOrEqual(2_000);
    expect((await fetch(`${app.url}/products/export.csv`)).status).toBe(401);
  });
});
