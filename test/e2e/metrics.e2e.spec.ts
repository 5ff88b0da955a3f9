import { randomUUID } from 'node:crypto';
import { type AppProcess, startApp } from '../support/app-process.js';
import { hitLive, promtoolCheck, sample, scrape, seriesOf } from '../support/metrics.js';
import { sharedStackEnv } from '../support/stack.js';

const LIVE_COUNT =
  'http_request_duration_seconds_count{method="GET",route="/health/live",status_code="200"}';

function expectPromtoolPasses(text: string): void {
  const result = promtoolCheck(text);
  if (result === null) {
    console.warn('promtool is not installed (apt-get install prometheus): promtool check skipped');
    return;
  }
  if (result.status !== 0) throw new Error(`promtool check metrics failed:\n${result.output}`);
  console.log(
    `promtool check metrics: passed (exit 0)${result.output ? `\n${result.output}` : ''}`,
  );
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('metrics, one process', () => {
  let app: AppProcess;
  beforeAll(async () => {
    app = await startApp(sharedStackEnv());
  });
  afterAll(() => app.stop());

  it('serves request durations by route template, pool and replica gauges on METRICS_PORT', async () => {
    const id = randomUUID();
    for (let i = 0; i < 3; i++) await (await fetch(`${app.url}/products/${id}`)).arrayBuffer();
    await (await fetch(`${app.url}/no/such/route/${id}`)).arrayBuffer();
    await (await fetch(`${app.url}/_diagnostics/sleep?ms=0`)).arrayBuffer();

    const response = await fetch(`${app.metricsUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();

    const productReads = seriesOf(text)
      .filter((s) =>
        s.startsWith('http_request_duration_seconds_count{method="GET",route="/products/:id",'),
      )
      .reduce((sum, s) => sum + sample(text, s)!, 0);
    expect(productReads).toBe(3);
    expect(
      sample(
        text,
        'http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"}',
      ),
    ).toBe(1);
    expect(
      sample(
        text,
        'http_request_duration_seconds_count{method="GET",route="/_diagnostics/sleep",status_code="200"}',
      ),
    ).toBe(1);
    expect(text).not.toContain(id); // never the raw URL

    for (const pool of ['primary', 'replica1']) {
      expect(sample(text, `db_pool_connections{pool="${pool}"}`)).toBeGreaterThanOrEqual(1);
      expect(sample(text, `db_pool_idle_connections{pool="${pool}"}`)).toBeGreaterThanOrEqual(0);
      expect(sample(text, `db_pool_waiting_clients{pool="${pool}"}`)).toBeGreaterThanOrEqual(0);
      expect(sample(text, `db_pool_max_connections{pool="${pool}"}`)).toBe(10);
    }
    expect(sample(text, 'db_replica_healthy{replica="replica1"}')).toBe(1);
    expect(sample(text, 'db_replica_lag_seconds{replica="replica1"}')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'db_read_route_total{route="primary-fallback"}')).toBeDefined();
    expect(sample(text, 'nodejs_eventloop_delay_seconds_count')).toBeGreaterThan(0);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expectPromtoolPasses(text);
  });

  it('is not served on the public port, and the metrics port serves nothing else', async () => {
    expect((await fetch(`${app.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${app.metricsUrl}/health/live`)).status).toBe(404);
  });
});

describe('metrics, cluster (WEB_CONCURRENCY=2)', () => {
  let app: AppProcess;
  const workersListening = () => app.output().match(/"msg":"worker listening"/g)?.length ?? 0;
  beforeAll(async () => {
    app = await startApp(sharedStackEnv(), { env: { WEB_CONCURRENCY: '2' } });
    await until(() => workersListening() === 2, 20_000);
  });
  afterAll(async () => {
    const { code } = await app.stop();
    expect(code).toBe(0);
  });

  it('one scrape of the primary returns both workers summed, each series once, promtool-clean', async () => {
    const N = 200;
    const byPid = await hitLive(app, N);
    expect(byPid.size).toBe(2); // both workers served some
    console.log(`requests per worker: ${JSON.stringify(Object.fromEntries(byPid))}`);

    let text = await scrape(app);
    // onResponse runs when the reply is flushed; allow the last few a moment (no request can be counted twice).
    for (let i = 0; i < 10 && sample(text, LIVE_COUNT) !== N; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      text = await scrape(app);
    }
    expect(sample(text, LIVE_COUNT)).toBe(N);
    expect(
      sample(
        text,
        'http_request_duration_seconds_bucket{method="GET",route="/health/live",status_code="200",le="+Inf"}',
      ),
    ).toBe(N);

    const series = seriesOf(text);
    expect(series.length).toBeGreaterThan(100);
    expect(series.filter((s, i) => series.indexOf(s) !== i)).toEqual([]);
    const types = text.split('\n').filter((line) => line.startsWith('# TYPE '));
    expect(types.filter((t, i) => types.indexOf(t) !== i)).toEqual([]);

    expect(sample(text, 'cluster_workers')).toBe(2);
    expect(sample(text, 'db_replica_healthy{replica="replica1"}')).toBe(1); // min across workers
    // Pools are per process: two workers, two primary pools of up to 10.
    expect(sample(text, 'db_pool_max_connections{pool="primary"}')).toBe(20);
    console.log(
      `aggregated /metrics sample:\n${text
        .split('\n')
        .filter((l) =>
          /^(http_request_duration_seconds_(count|bucket\{[^}]*le="0\.005")|db_pool_connections|db_replica|db_read_route_total|cluster_)/.test(
            l,
          ),
        )
        .join('\n')}`,
    );
    expectPromtoolPasses(text);
  });

  it('workers serve no metrics of their own; the public port serves none', async () => {
    expect(app.output().match(/metrics on http/g)).toHaveLength(1); // the primary only
    expect((await fetch(`${app.url}/metrics`)).status).toBe(404);
  });
});
