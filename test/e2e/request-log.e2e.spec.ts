import { call } from '../support/api.js';
import { type AppProcess, startApp } from '../support/app-process.js';
import { sharedStackEnv } from '../support/stack.js';
import { until } from '../support/wait.js';

/** The request lines a real process writes to stdout: one JSON object per request, probes left out. */
describe('request log', () => {
  let app: AppProcess;
  beforeAll(async () => {
    app = await startApp(sharedStackEnv());
  });
  afterAll(() => app.stop());

  const requestLines = () =>
    app
      .output()
      .split('\n')
      .filter((line) => line.includes('"request completed"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  it('writes one line per request with its id, route, status and duration; escapes the URL', async () => {
    const listed = await call(app.url, 'GET', '/products?limit=1');
    const id = (listed.body.items[0] as { id: string }).id;
    const found = await call(app.url, 'GET', `/products/${id}`, {
      headers: { 'x-request-id': 'trace.42:a-b' },
    });
    const strange = '/nope/%22quoted%22/\\back?q="x"&u=é';
    const missing = await call(app.url, 'GET', strange);
    await call(app.url, 'GET', '/health/live');
    expect([listed.status, found.status, missing.status]).toEqual([200, 200, 404]);
    // Lines leave in batches: the last one within the batch's flush interval (250 ms).
    await until(() => requestLines().length >= 3, 5_000);
    const lines = requestLines();
    expect(lines).toHaveLength(3);
    expect(lines[1]).toEqual({
      level: 30,
      time: expect.any(Number),
      pid: expect.any(Number),
      hostname: expect.any(String),
      requestId: 'trace.42:a-b',
      method: 'GET',
      url: `/products/${id}`,
      route: '/products/:id',
      status: 200,
      ms: expect.any(Number),
      msg: 'request completed',
    });
    expect(lines[0]).toMatchObject({
      route: '/products',
      requestId: listed.headers.get('x-request-id'),
    });
    expect(lines[2]).toMatchObject({
      level: 40,
      status: 404,
      url: new URL(strange, app.url).pathname + new URL(strange, app.url).search,
    });
    expect('route' in lines[2]).toBe(false);
    expect(lines.some((line) => String(line.url).startsWith('/health'))).toBe(false);
  });
});
