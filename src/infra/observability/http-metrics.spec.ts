import Fastify from 'fastify';
import { HttpMetrics } from './http-metrics.js';
import { Metrics } from './metrics.js';

describe('HttpMetrics', () => {
  const metrics = new Metrics();
  afterAll(() => metrics.onApplicationShutdown());

  it('labels requests by route template, and every unmatched URL as one "unmatched" route', async () => {
    const httpMetrics = new HttpMetrics(metrics);
    const fastify = Fastify();
    httpMetrics.instrument(fastify); // before the routes, as createHttpApp does
    fastify.get('/products/:id', async () => ({ ok: true }));
    fastify.post('/products/:id', { onResponse: [(_req, _reply, done) => done()] }, async () => ({
      ok: true,
    }));
    await fastify.ready();

    for (const id of ['1', '2', '3']) await fastify.inject(`/products/${id}`);
    await fastify.inject({ method: 'POST', url: '/products/9' });
    await fastify.inject({ method: 'HEAD', url: '/products/4' });
    await fastify.inject('/no/such/route/123?x=1');
    await fastify.inject('/another/missing/path');
    await fastify.close();

    const text = await metrics.registry.metrics();
    const count = (labels: string) =>
      Number(
        text.match(
          new RegExp(`^http_request_duration_seconds_count\\{${labels}\\} (\\S+)$`, 'm'),
        )?.[1],
      );
    expect(count('method="GET",route="/products/:id",status_code="200"')).toBe(3);
    expect(count('method="POST",route="/products/:id",status_code="200"')).toBe(1);
    expect(count('method="HEAD",route="/products/:id",status_code="200"')).toBe(1);
    expect(count('method="GET",route="unmatched",status_code="404"')).toBe(2);
    expect(text).not.toMatch(/route="\/products\/\d/);
    expect(text).not.toContain('/no/such/route');
  });
});
