import { Counter } from 'prom-client';
import { Metrics } from './metrics.js';

describe('Metrics', () => {
  const metrics = new Metrics();
  afterAll(() => metrics.onApplicationShutdown());

  it('lets a module declare a counter and a scrape-time gauge, once per name', async () => {
    const hits = metrics.counter({
      name: 'cache_requests_total',
      help: 'Cache lookups by tier and result.',
      labelNames: ['tier', 'result'],
    });
    expect(hits).toBeInstanceOf(Counter);
    expect(metrics.counter({ name: 'cache_requests_total', help: 'again' })).toBe(hits);
    hits.inc({ tier: 'l1', result: 'hit' });
    let depth = 4;
    metrics.gauge({
      name: 'queue_depth',
      help: 'Jobs waiting.',
      collect() {
        this.set(depth);
      },
    });
    depth = 6;
    const text = await metrics.registry.metrics();
    expect(text).toContain('cache_requests_total{tier="l1",result="hit"} 1');
    expect(text).toContain('queue_depth 6');
  });

  it('refuses a name already taken by another metric type', () => {
    metrics.counter({ name: 'jobs_completed_total', help: 'h' });
    expect(() => metrics.gauge({ name: 'jobs_completed_total', help: 'h' })).toThrow(
      /already registered as another type/,
    );
  });

  it('collects the default Node metrics and an event-loop delay histogram', async () => {
    await new Promise((resolve) => setTimeout(resolve, 50)); // a few event-loop samples
    const text = await metrics.registry.metrics();
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_gc_duration_seconds',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toContain('# TYPE nodejs_eventloop_delay_seconds histogram');
    expect(
      Number(text.match(/^nodejs_eventloop_delay_seconds_count (\d+)$/m)?.[1]),
    ).toBeGreaterThan(0);
    // Gauges named like counters fail `promtool check metrics`.
    expect(text).not.toMatch(/^# TYPE \S+_total gauge$/m);
  });
});
