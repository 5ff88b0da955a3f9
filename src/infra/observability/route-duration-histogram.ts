import type { ExportedMetric } from './metrics.js';

/** Upper bounds in seconds: fine below 100 ms, where a healthy API answers, coarse above. */
export const REQUEST_DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

type Labels = { method: string; route: string; status_code: string };

interface Cell {
  readonly labels: Labels;
  /** Observations per bucket (not cumulative); the last slot holds those above every bound. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

export type RouteObserver = (method: string, statusCode: number, seconds: number) => void;

/**
 * `http_request_duration_seconds{method, route, status_code}`, built for the request hot path.
 *
 * prom-client's Histogram.observe builds a label key string and several objects on every call (about
 * 0.5 µs here); this finds the request's cell in nested Maps and bumps numbers (about 30 ns), allocating
 * only the first time a (route, method, status) combination is seen. The registry reads it through
 * `get()`, which returns exactly what a prom-client Histogram returns, so exposition and cluster
 * aggregation treat it as one.
 */
export class RouteDurationHistogram implements ExportedMetric {
  readonly name = 'http_request_duration_seconds';
  readonly help = 'Time from request start to the last byte of the response, by route template.';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly cells = new Map<string, Map<string, Map<number, Cell>>>();

  constructor(private readonly bounds: readonly number[] = REQUEST_DURATION_BUCKETS) {}

  /** An observer bound to one route, so a request skips the route lookup. */
  forRoute(route: string): RouteObserver {
    const byMethod = this.routeCells(route);
    return (method, statusCode, seconds) =>
      this.record(
        byMethod.get(method)?.get(statusCode) ??
          this.createCell(byMethod, route, method, statusCode),
        seconds,
      );
  }

  observe(method: string, route: string, statusCode: number, seconds: number): void {
    const byMethod = this.routeCells(route);
    this.record(
      byMethod.get(method)?.get(statusCode) ?? this.createCell(byMethod, route, method, statusCode),
      seconds,
    );
  }

  get() {
    const values: Array<{
      labels: Labels | (Labels & { le: number | string });
      value: number;
      metricName: string;
    }> = [];
    for (const byMethod of this.cells.values()) {
      for (const byStatus of byMethod.values()) {
        for (const cell of byStatus.values()) {
          let cumulative = 0;
          this.bounds.forEach((le, i) => {
            cumulative += cell.counts[i];
            values.push({
              labels: { ...cell.labels, le },
              value: cumulative,
              metricName: `${this.name}_bucket`,
            });
          });
          values.push(
            {
              labels: { ...cell.labels, le: '+Inf' },
              value: cell.count,
              metricName: `${this.name}_bucket`,
            },
            { labels: cell.labels, value: cell.sum, metricName: `${this.name}_sum` },
            { labels: cell.labels, value: cell.count, metricName: `${this.name}_count` },
          );
        }
      }
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    };
  }

  reset(): void {
    // Clear in place: observers made by forRoute() hold the inner maps.
    for (const byMethod of this.cells.values()) byMethod.clear();
  }

  private record(cell: Cell, seconds: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]) i++;
    cell.counts[i]++;
    cell.sum += seconds;
    cell.count++;
  }

  private routeCells(route: string): Map<string, Map<number, Cell>> {
    let byMethod = this.cells.get(route);
    if (!byMethod) this.cells.set(route, (byMethod = new Map()));
    return byMethod;
  }

  private createCell(
    byMethod: Map<string, Map<number, Cell>>,
    route: string,
    method: string,
    statusCode: number,
  ): Cell {
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    const cell: Cell = {
      labels: { method, route, status_code: String(statusCode) },
      counts: new Float64Array(this.bounds.length + 1),
      sum: 0,
      count: 0,
    };
    byStatus.set(statusCode, cell);
    return cell;
  }
}
