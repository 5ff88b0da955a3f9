import { type AppProcess, startApp } from '../support/app-process.js';
import { streamRequests } from '../support/load.js';
import { sharedStackEnv } from '../support/stack.js';
import { until, workerPids } from '../support/wait.js';

describe('cluster supervisor (WEB_CONCURRENCY=2)', () => {
  let app: AppProcess;
  beforeAll(async () => {
    app = await startApp(sharedStackEnv(), { env: { WEB_CONCURRENCY: '2' } });
  });
  afterAll(async () => {
    const { code } = await app.stop();
    expect(code).toBe(0);
  });

  it('replaces a worker killed with SIGKILL', async () => {
    const [victim] = workerPids(app);
    const killedAt = Date.now();
    process.kill(victim, 'SIGKILL');
    await until(() => workerPids(app).length === 3, 15_000);
    const replacedInMs = Date.now() - killedAt;
    console.log(`worker replaced ${replacedInMs} ms after SIGKILL`);
    await app.waitForOutput(/worker died unexpectedly; replacing it/, 5_000);
    const ready = await fetch(`${app.url}/health/ready`);
    expect(ready.status).toBe(200);
  });

  it('restarts every worker one at a time without failing a request (SIGUSR2)', async () => {
    const before = new Set(workerPids(app).slice(-2));
    let restarted = false;
    const load = streamRequests(`${app.url}/health/live`, {
      concurrency: 8,
      maxMs: 60_000,
      maxRequests: 500_000,
      stop: () => restarted,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    process.kill(app.child.pid!, 'SIGUSR2');
    await app.waitForOutput(/rolling restart complete/, 45_000);
    await new Promise((resolve) => setTimeout(resolve, 500)); // keep the load on the new workers briefly
    restarted = true;
    const result = await load;
    console.log(
      `rolling restart: ${result.sent} requests, ${result.failures.length} failed, ` +
        `${result.retried.length} sent again after their keep-alive connection closed unanswered`,
    );
    expect(result.failures).toEqual([]);
    expect(result.sent).toBeGreaterThan(200);
    const after = workerPids(app).slice(-2);
    expect(after.some((pid) => before.has(pid))).toBe(false);
  });
});

describe('cluster crash loop', () => {
  it('stops with a clear message and a non-zero exit when workers keep dying', async () => {
    const stack = sharedStackEnv();
    // Workers cannot reach this primary, so each fails at boot: a crash loop by construction.
    const app = await startApp(
      { ...stack, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/app' },
      {
        env: {
          WEB_CONCURRENCY: '2',
          CLUSTER_CRASH_LOOP_DEATHS: '3',
          DATABASE_CONNECT_TIMEOUT_MS: '200',
        },
        waitForReady: false,
      },
    );
    const { code } = await app.exited;
    expect(code).toBe(1);
    expect(app.output()).toMatch(/crash loop: 3 workers died within 30000 ms; stopping/);
  });
});
