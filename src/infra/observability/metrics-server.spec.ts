import { parseConfig } from '../../config/config.js';
import { metricsListenOptions, type MetricsServer, startMetricsServer } from './metrics-server.js';

describe('startMetricsServer', () => {
  let server: MetricsServer;
  let body: () => Promise<string> = async () => 'up 1\n';
  let base: string;
  beforeAll(async () => {
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, render: () => body() });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(() => server.close());

  it('serves GET /metrics in the Prometheus text format', async () => {
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await response.text()).toBe('up 1\n');
  });

  it('answers 404 for any other path or method', async () => {
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics/x`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(404);
  });

  it('answers 500 with the reason when collecting fails', async () => {
    body = async () => {
      throw new Error('boom');
    };
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(500);
    expect(await response.text()).toContain('boom');
  });

  it('reports a port that is taken', async () => {
    await expect(
      startMetricsServer({ host: '127.0.0.1', port: server.port, render: body }),
    ).rejects.toThrow(/metrics server cannot listen on 127.0.0.1:\d+: .*EADDRINUSE/);
  });
});

describe('metricsListenOptions', () => {
  const base = { DATABASE_URL: 'postgres://a@h/db', REDIS_URL: 'redis://h:6379' };
  it('refuses to serve metrics on the public port', () => {
    expect(() =>
      metricsListenOptions(parseConfig({ ...base, PORT: '8080', METRICS_PORT: '8080' })),
    ).toThrow(/METRICS_PORT must differ from PORT/);
    expect(metricsListenOptions(parseConfig({ ...base, HOST: '127.0.0.1' }))).toEqual({
      host: '127.0.0.1',
      port: 9464,
    });
  });
});
