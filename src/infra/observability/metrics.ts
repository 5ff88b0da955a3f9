import { performance } from 'node:perf_hooks';
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import {
  collectDefaultMetrics,
  Counter,
  type CounterConfiguration,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  type Metric,
  Registry,
} from 'prom-client';

/** A metric's configuration without `registers`: a metric made through Metrics lives in its registry. */
export type MetricOptions<C> = Omit<C, 'registers'>;

/** Something the registry can export: a prom-client metric, or an object with the same `get()` shape. */
export interface ExportedMetric {
  readonly name: string;
  get(): unknown;
  reset?(): void;
}

// Default metrics that promtool rejects: gauges named `_total` (that suffix is reserved for counters).
// Each is the sum of its labelled sibling (e.g. nodejs_active_handles by type), so nothing is lost.
const MISNAMED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

const EVENT_LOOP_SAMPLE_MS = 10;

/**
 * The process's Prometheus registry, and the one way modules add metrics to it:
 * `metrics.counter({ name: 'cache_requests_total', help, labelNames: ['tier', 'result'] })`.
 * Asking twice for the same name returns the same metric, so a module may declare its metrics where it
 * uses them. A gauge that reflects state (a queue's depth) should read it at scrape time with `collect()`
 * instead of being updated on every change.
 *
 * In a cluster every worker has its own registry; the primary sums them (cluster-metrics.ts), using each
 * metric's `aggregator` (default `sum`): set `aggregator: 'min' | 'max' | 'average'` where a sum across
 * processes means nothing.
 */
@Injectable()
export class Metrics implements OnApplicationShutdown {
  readonly registry = new Registry();
  private readonly stopEventLoopSampler: () => void;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    for (const name of MISNAMED_DEFAULT_METRICS) this.registry.removeSingleMetric(name);
    this.stopEventLoopSampler = sampleEventLoopDelay(
      this.histogram({
        name: 'nodejs_eventloop_delay_seconds',
        help:
          `How late a ${EVENT_LOOP_SAMPLE_MS} ms timer fired: event-loop lag as a histogram ` +
          '(summable across processes, unlike the nodejs_eventloop_lag_* gauges).',
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      }),
    );
  }

  counter<T extends string = string>(options: MetricOptions<CounterConfiguration<T>>): Counter<T> {
    return this.getOrCreate(options.name, Counter, () => new Counter(this.inRegistry(options)));
  }

  gauge<T extends string = string>(options: MetricOptions<GaugeConfiguration<T>>): Gauge<T> {
    return this.getOrCreate(options.name, Gauge, () => new Gauge(this.inRegistry(options)));
  }

  histogram<T extends string = string>(
    options: MetricOptions<HistogramConfiguration<T>>,
  ): Histogram<T> {
    return this.getOrCreate(options.name, Histogram, () => new Histogram(this.inRegistry(options)));
  }

  /** Adds a metric implemented outside prom-client's classes (see RouteDurationHistogram). */
  register(metric: ExportedMetric): void {
    this.registry.registerMetric(metric as unknown as Metric);
  }

  onApplicationShutdown(): void {
    this.stopEventLoopSampler();
  }

  private inRegistry<C>(options: C): C & { registers: Registry[] } {
    return { ...options, registers: [this.registry] };
  }

  private getOrCreate<M>(
    name: string,
    kind: abstract new (...args: never[]) => M,
    create: () => M,
  ): M {
    const existing = this.registry.getSingleMetric(name);
    if (existing === undefined) return create();
    if (existing instanceof kind) return existing;
    throw new Error(`metric ${name} is already registered as another type`);
  }
}

/**
 * Observes, every few milliseconds, how late a timer fired. prom-client's event-loop gauges are
 * percentiles of one process since the last scrape; a histogram can be summed across workers and
 * queried over any window with histogram_quantile().
 */
function sampleEventLoopDelay(histogram: Histogram): () => void {
  let expected = performance.now() + EVENT_LOOP_SAMPLE_MS;
  const timer = setInterval(() => {
    const now = performance.now();
    histogram.observe(Math.max(0, now - expected) / 1000);
    expected = now + EVENT_LOOP_SAMPLE_MS;
  }, EVENT_LOOP_SAMPLE_MS);
  timer.unref();
  return () => clearInterval(timer);
}
