import { adminLogin, call, json } from '../support/api.js';
import { type AppProcess, startApp } from '../support/app-process.js';
import { downStack, services, stackDir, type StackEnv, upOwnStack } from '../support/stack.js';
import { eventually } from '../support/wait.js';

// This suite stops its primary, so it has a stack of its own.
const DIR = stackDir('primary');

describe('primary outage', () => {
  let stack: StackEnv;
  let app: AppProcess;
  let admin: string;
  let product: { id: string; version: number };

  beforeAll(async () => {
    stack = upOwnStack(DIR, 100, 5);
    // The cache is off: reads must reach a database for this suite to mean anything.
    app = await startApp(stack, {
      env: { CACHE_ENABLED: 'false', READ_YOUR_WRITES_WINDOW_MS: '0' },
    });
    admin = (await adminLogin(app.url)).accessToken;
    product = (await call(app.url, 'GET', '/products?limit=1')).body.items[0];
  });
  const ready = async () => {
    const response = await fetch(`${app.url}/health/ready`);
    return { status: response.status, body: await json(response) };
  };
  afterAll(async () => {
    await app?.stop();
    downStack(DIR);
  });

  it('primary down: ready stays 200 (degraded, naming the primary), reads from the replica, writes 503; back without a restart', async () => {
    expect((await ready()).status).toBe(200);

    services(DIR, 'stop-primary', '--mode', 'immediate');
    const degradedAfterMs = await eventually(
      ready,
      (r) => r.body.details?.primary?.status === 'degraded',
      10_000,
    );
    const degraded = await ready();
    // Every pod shares the primary: were this a 503, the whole fleet would leave the Service.
    expect(degraded.status).toBe(200);
    expect(degraded.body.status).toBe('degraded');
    expect(degraded.body.details.primary.serving).toBe('reads from replicas; writes get 503');
    expect((await fetch(`${app.url}/health/live`)).status).toBe(200);

    const read = await call(app.url, 'GET', `/products/${product.id}`);
    // On failure, the app's last lines say where the read went and what the replica's probe saw.
    if (read.status !== 200) throw new Error(`read ${read.status}:\n${app.output().slice(-4000)}`);
    expect(read.headers.get('x-db-route')).toBe('replica');

    const patch = () =>
      call(app.url, 'PATCH', `/products/${product.id}`, {
        token: admin,
        body: { version: product.version, stock: 7 },
      });
    const write = await patch();
    expect(write.status).toBe(503);
    expect(write.body).toMatchObject({
      statusCode: 503,
      message: 'The database is unavailable; retry later',
    });
    expect(typeof write.body.requestId).toBe('string');
    expect(JSON.stringify(write.body)).not.toMatch(/\bat .*\.js/); // no stack

    // With the replica gone too no database can serve: now the pod is unready.
    services(DIR, 'stop-replica', '--mode', 'immediate');
    const unreadyAfterMs = await eventually(ready, (r) => r.status === 503, 10_000);
    const unready = await ready();
    expect(unready.body.error.primary.status).toBe('down');
    expect((await call(app.url, 'GET', `/products/${product.id}`)).status).toBe(503);

    services(DIR, 'start-primary');
    services(DIR, 'start-replica');
    const backAfterMs = await eventually(ready, (r) => r.body.status === 'ok', 20_000);
    const retried = await eventually(patch, (r) => r.status === 200, 10_000);
    console.log(
      `primary outage: ready degraded (200) after ${degradedAfterMs} ms; read from the replica ${read.status}; ` +
        `write ${write.status}; replica stopped too: ready 503 after ${unreadyAfterMs} ms; ` +
        `ready ok again ${backAfterMs} ms after the restart, write accepted ${retried} ms later`,
    );
  });

  it('primary hung (every process SIGSTOPped): a write is a 503 once its query times out, never a 500; ready 200 degraded; reads from the replica', async () => {
    const current = await call(app.url, 'GET', `/products/${product.id}`, { token: admin });
    const patch = () =>
      call(app.url, 'PATCH', `/products/${product.id}`, {
        token: admin,
        body: { version: current.body.version, stock: 9 },
      });
    services(DIR, 'pause-primary');
    let write: Awaited<ReturnType<typeof call>>;
    let writeMs: number;
    let degraded: Awaited<ReturnType<typeof ready>>;
    let read: Awaited<ReturnType<typeof call>>;
    try {
      // A hung server cancels nothing: the client's query_timeout (statement timeout + 1 s) ends the wait.
      const started = performance.now();
      write = await patch();
      writeMs = Math.round(performance.now() - started);
      await eventually(ready, (r) => r.body.details?.primary?.status === 'degraded', 10_000);
      degraded = await ready();
      read = await call(app.url, 'GET', `/products/${product.id}`);
    } finally {
      services(DIR, 'resume-primary');
    }
    console.log(
      `primary hung: write ${write.status} "${write.body.message}" after ${writeMs} ms; ready ${degraded.status} ` +
        `(${degraded.body.status}); read ${read.status} via ${read.headers.get('x-db-route')}`,
    );
    expect(write.status).toBe(503);
    expect(write.body.message).toMatch(
      /^The database (took too long|is unavailable); retry later$/,
    );
    expect(degraded.status).toBe(200);
    expect(read.status).toBe(200);
    expect(read.headers.get('x-db-route')).toBe('replica');

    await eventually(ready, (r) => r.body.status === 'ok', 20_000);
    // The write may have committed before the stop took hold of it; a fresh version is what counts.
    const after = await call(app.url, 'GET', `/products/${product.id}`, { token: admin });
    const retried = await call(app.url, 'PATCH', `/products/${product.id}`, {
      token: admin,
      body: { version: after.body.version, stock: 9 },
    });
    expect(retried.status).toBe(200);
  });
});
