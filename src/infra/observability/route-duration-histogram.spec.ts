import { AggregatorRegistry, Registry } from 'prom-client';
import { RouteDurationHistogram } from './route-duration-histogram.js';

async function exposition(...histograms: RouteDurationHistogram[]): Promise<string> {
  const registries = histograms.map((histogram) => {
    const registry = new Registry();
    registry.registerMetric(histogram as never);
    return registry;
  });
  if (registries.length === 1) return registries[0].metrics();
  const snapshots = await Promise.all(registries.map((registry) => registry.getMetricsAsJSON()));
  return AggregatorRegistry.aggregate(snapshots).metrics();
}

describe('RouteDurationHistogram', () => {
  it('exports cumulative buckets, sum and count per method, route and status', async () => {
    const histogram = new RouteDurationHistogram([0.01, 0.1, 1]);
    const products = histogram.forRoute('/products/:id');
    products('GET', 200, 0.005);
    products('GET', 200, 0.05);
    products('GET', 200, 5);
    products('GET', 404, 0.01); // on a bound: counted in that bucket (le is "less or equal")
    histogram.observe('POST', 'unmatched', 404, 0.2);

    const text = await exposition(histogram);
    const route = 'method="GET",route="/products/:id",status_code="200"';
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(text).toContain(`http_request_duration_seconds_bucket{${route},le="0.01"} 1`);
    expect(text).toContain(`http_request_duration_seconds_bucket{${route},le="0.1"} 2`);
    expect(text).toContain(`http_request_duration_seconds_bucket{${route},le="1"} 2`);
    expect(text).toContain(`http_request_duration_seconds_bucket{${route},le="+Inf"} 3`);
    expect(text).toContain(`http_request_duration_seconds_sum{${route}} 5.055`);
    expect(text).toContain(`http_request_duration_seconds_count{${route}} 3`);
    expect(text).toContain(
      'http_request_duration_seconds_bucket{method="GET",route="/products/:id",status_code="404",le="0.01"} 1',
    );
    expect(text).toContain(
      'http_request_duration_seconds_count{method="POST",route="unmatched",status_code="404"} 1',
    );
  });

  it('sums like a prom-client histogram when cluster workers are aggregated', async () => {
    const [a, b] = [new RouteDurationHistogram([0.1]), new RouteDurationHistogram([0.1])];
    a.observe('GET', '/health/live', 200, 0.01);
    b.observe('GET', '/health/live', 200, 0.01);
    b.observe('GET', '/health/live', 200, 0.5);
    const text = await exposition(a, b);
    const labels = 'method="GET",route="/health/live",status_code="200"';
    expect(text).toContain(`http_request_duration_seconds_bucket{${labels},le="0.1"} 2`);
    expect(text).toContain(`http_request_duration_seconds_count{${labels}} 3`);
    expect(text.match(/^http_request_duration_seconds_count/gm)).toHaveLength(1);
  });

  it('reset() empties it, and observers made before keep working', async () => {
    const histogram = new RouteDurationHistogram([0.1]);
    const observe = histogram.forRoute('/a');
    observe('GET', 200, 0.01);
    histogram.reset();
    expect(histogram.get().values).toEqual([]);
    observe('GET', 200, 0.01);
    expect(await exposition(histogram)).toContain(
      'http_request_duration_seconds_count{method="GET",route="/a",status_code="200"} 1',
    );
  });
});
