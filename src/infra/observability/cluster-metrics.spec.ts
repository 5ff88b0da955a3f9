import { EventEmitter } from 'node:events';
import { Counter, Gauge, Registry } from 'prom-client';
import {
  ClusterMetrics,
  type MetricJson,
  monotonic,
  sumMetrics,
  type WorkerLike,
} from './cluster-metrics.js';

/** A worker process stand-in: a registry with one counter and one gauge, answering over a fake IPC. */
class FakeWorker implements WorkerLike {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'requests_total',
    help: 'h',
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({ name: 'in_flight', help: 'h', registers: [this.registry] });
  silent = false;
  connected = true;

  constructor(
    readonly id: number,
    private readonly cluster: FakeCluster,
  ) {}

  isConnected(): boolean {
    return this.connected;
  }

  send(message: { type: string; id: number }): boolean {
    if (!this.silent) void this.snapshot(message.id);
    return true;
  }

  ready(): void {
    this.cluster.emit('message', this, { type: 'nest-at-scale:metrics-ready' });
  }

  async snapshot(id: number | null): Promise<void> {
    // Copied as the IPC channel would: prom-client hands out its live value objects.
    const metrics = JSON.parse(JSON.stringify(await this.registry.getMetricsAsJSON()));
    this.cluster.emit('message', this, { type: 'nest-at-scale:metrics-snapshot', id, metrics });
  }

  exit(): void {
    this.connected = false;
    delete this.cluster.workers[this.id];
    this.cluster.emit('exit', this);
  }
}

class FakeCluster extends EventEmitter {
  workers: Record<number, FakeWorker> = {};
  private nextId = 1;
  fork(): FakeWorker {
    const worker = new FakeWorker(this.nextId++, this);
    this.workers[worker.id] = worker;
    worker.ready();
    return worker;
  }
}

const value = (text: string, series: string) =>
  Number(text.match(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm'))?.[1]);

describe('ClusterMetrics', () => {
  let cluster: FakeCluster;
  let aggregator: ClusterMetrics;
  beforeEach(() => {
    cluster = new FakeCluster();
    aggregator = new ClusterMetrics(cluster, 200);
  });

  it('sums every worker into one series per name and labels', async () => {
    const [a, b] = [cluster.fork(), cluster.fork()];
    a.requests.inc(3);
    b.requests.inc(4);
    a.inFlight.set(1);
    b.inFlight.set(2);
    const text = await aggregator.metrics();
    expect(value(text, 'requests_total')).toBe(7);
    expect(value(text, 'in_flight')).toBe(3);
    expect(value(text, 'cluster_workers')).toBe(2);
    expect(text.match(/^requests_total /gm)).toHaveLength(1);
  });

  it('keeps the counts of a worker that exited, so the summed counter never goes down', async () => {
    const [a, b] = [cluster.fork(), cluster.fork()];
    a.requests.inc(10);
    b.requests.inc(5);
    b.inFlight.set(7);
    expect(value(await aggregator.metrics(), 'requests_total')).toBe(15);
    b.requests.inc(100); // counted after the last scrape, then killed: lost, but nothing goes down
    b.exit();
    const c = cluster.fork();
    c.requests.inc(1);
    const text = await aggregator.metrics();
    expect(value(text, 'requests_total')).toBe(16);
    expect(value(text, 'in_flight')).toBe(0); // a dead worker's gauges are gone
    expect(value(text, 'cluster_worker_exits_total')).toBe(1);
  });

  it('keeps everything a draining worker reported in its final snapshot', async () => {
    const [a, b] = [cluster.fork(), cluster.fork()];
    a.requests.inc(2);
    b.requests.inc(3);
    await b.snapshot(null); // what MetricsExporter sends on shutdown
    b.exit();
    expect(value(await aggregator.metrics(), 'requests_total')).toBe(5);
  });

  it('uses the last counters of a worker that does not answer in time instead of failing', async () => {
    const [a, b] = [cluster.fork(), cluster.fork()];
    a.requests.inc(1);
    b.requests.inc(2);
    await aggregator.metrics();
    b.silent = true;
    b.requests.inc(5);
    b.inFlight.set(9);
    const started = Date.now();
    const text = await aggregator.metrics();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(value(text, 'requests_total')).toBe(3);
    expect(value(text, 'cluster_metrics_stale_workers')).toBe(1);
    expect(value(text, 'in_flight')).toBe(0);
    b.silent = false;
    expect(value(await aggregator.metrics(), 'requests_total')).toBe(8);
  });

  it('does not ask a worker that has not announced itself (still booting)', async () => {
    const booting = new FakeWorker(42, cluster);
    booting.silent = true;
    cluster.workers[42] = booting;
    cluster.fork().requests.inc(1);
    const started = Date.now();
    expect(value(await aggregator.metrics(), 'requests_total')).toBe(1);
    expect(Date.now() - started).toBeLessThan(150);
  });
});

describe('monotonic / sumMetrics', () => {
  const metric = (
    name: string,
    type: string,
    values: MetricJson['values'],
    aggregator = 'sum',
  ): MetricJson => ({ name, help: 'h', type, aggregator, values });

  it('keeps only counters and histograms that are summed', () => {
    const kept = monotonic([
      metric('a_total', 'counter', []),
      metric('b', 'gauge', []),
      metric('c_seconds', 'histogram', []),
      metric('d', 'gauge', [], 'max'),
      metric('e_total', 'counter', [], 'first'),
    ]);
    expect(kept.map((m) => m.name)).toEqual(['a_total', 'c_seconds']);
  });

  it('adds series with the same labels whatever their order, and keeps the rest apart', () => {
    const [summed] = sumMetrics([
      [metric('x_total', 'counter', [{ value: 1, labels: { a: '1', b: '2' } }])],
      [
        metric('x_total', 'counter', [
          { value: 2, labels: { b: '2', a: '1' } },
          { value: 5, labels: { a: '9', b: '2' } },
        ]),
      ],
    ]);
    expect(summed.values).toEqual([
      { value: 3, labels: { a: '1', b: '2' } },
      { value: 5, labels: { a: '9', b: '2' } },
    ]);
  });
});
