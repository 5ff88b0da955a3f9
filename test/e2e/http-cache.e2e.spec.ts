import { adminLogin, call } from '../support/api.js';
import { type AppProcess, startApp } from '../support/app-process.js';
import { sharedStackEnv } from '../support/stack.js';

describe('HTTP caching (ETag, 304, Cache-Control)', () => {
  let app: AppProcess;
  let admin: string;
  beforeAll(async () => {
    app = await startApp(sharedStackEnv());
    admin = (await adminLogin(app.url)).accessToken;
  });
  afterAll(() => app.stop());

  it('a product: 304 for the ETag held, 200 with a new ETag after an update', async () => {
    const created = await call(app.url, 'POST', '/products', {
      token: admin,
      body: { name: 'Etag lamp', category: 'home', priceCents: 1500 },
    });
    const path = `/products/${created.body.id}`;
    const first = await call(app.url, 'GET', path);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^W\/".+"$/);
    expect(first.headers.get('cache-control')).toBe('no-cache');
    const again = await call(app.url, 'GET', path, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
    await call(app.url, 'PATCH', path, { token: admin, body: { priceCents: 1600, version: 1 } });
    const changed = await call(app.url, 'GET', path, { headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.body.priceCents).toBe(1600);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it('a list page: 304 while unchanged, a new page and ETag once a product changes', async () => {
    const path = '/products?category=home&sort=price&order=asc&limit=5';
    const first = await call(app.url, 'GET', path);
    const etag = first.headers.get('etag')!;
    expect((await call(app.url, 'GET', path, { headers: { 'if-none-match': etag } })).status).toBe(
      304,
    );
    const cheapest = first.body.items[0];
    await call(app.url, 'PATCH', `/products/${cheapest.id}`, {
      token: admin,
      body: {
        priceCents: cheapest.priceCents,
        name: `${cheapest.name} (renamed)`,
        version: cheapest.version,
      },
    });
    const after = await call(app.url, 'GET', path, { headers: { 'if-none-match': etag } });
    expect(after.status).toBe(200);
    expect(after.body.items[0].name).toBe(`${cheapest.name} (renamed)`);
  });
});
