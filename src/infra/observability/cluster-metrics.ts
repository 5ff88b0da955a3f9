import cluster from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import type { AppConfig } from '../../config/config.js';
import { type MetricsServer, metricsListenOptions, startMetricsServer } from './metrics-server.js';

/** One metric as Registry.getMetricsAsJSON() returns it, and as it crosses the IPC channel. */
export interface MetricJson {
  name: string;
  help: string;
  type: string;
  aggregator?: string;
  values: Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
}

// Our own messages rather than prom-client's clusterMetrics(): that one fails the whole scrape when a
// worker is slow or still booting, and loses a dead worker's counts (see ClusterMetrics).
const READY = 'nest-at-scale:metrics-ready';
const REQUEST = 'nest-at-scale:metrics-request';
const SNAPSHOT = 'nest-at-scale:metrics-snapshot';

type ReadyMessage = { type: typeof READY };
type RequestMessage = { type: typeof REQUEST; id: number };
/** `id` null: sent unasked on shutdown, the worker's final counts. */
type SnapshotMessage = { type: typeof SNAPSHOT; id: number | null; metrics?: MetricJson[] };

const isMessage = <T extends { type: string }>(message: unknown, type: T['type']): message is T =>
  typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;

// ---- worker side ------------------------------------------------------------------------------

export interface ClusterScrapeResponder {
  /** Sends this worker's final counts, so the primary keeps them after the worker exits. */
  sendFinal(): Promise<void>;
  stop(): void;
}

/** In a cluster worker: answers the primary's scrape requests with this worker's registry. */
export function answerClusterScrapes(registry: Registry): ClusterScrapeResponder {
  const send = (message: ReadyMessage | SnapshotMessage) =>
    new Promise<void>((resolve) => {
      if (!process.send || !process.connected) return resolve();
      process.send(message, undefined, undefined, () => resolve());
    });
  const snapshot = async (id: number | null): Promise<SnapshotMessage> => {
    try {
      const metrics = (await registry.getMetricsAsJSON()) as unknown as MetricJson[];
      return { type: SNAPSHOT, id, metrics };
    } catch {
      return { type: SNAPSHOT, id }; // the primary uses this worker's previous counts
    }
  };
  const onMessage = (message: unknown) => {
    if (isMessage<RequestMessage>(message, REQUEST)) void snapshot(message.id).then(send);
  };
  process.on('message', onMessage);
  void send({ type: READY });
  return {
    sendFinal: async () => send(await snapshot(null)),
    stop: () => void process.off('message', onMessage),
  };
}

// ---- primary side -----------------------------------------------------------------------------

export interface WorkerLike {
  readonly id: number;
  isConnected(): boolean;
  send(message: RequestMessage, callback?: (error: Error | null) => void): boolean;
}

/** The part of node:cluster the aggregator uses (a fake in unit tests). */
export interface ClusterLike {
  readonly workers?: NodeJS.Dict<WorkerLike>;
  on(event: 'message' | 'exit', listener: (worker: WorkerLike, message?: unknown) => void): unknown;
}

/**
 * Counters and histograms that sum across processes. From a worker that is gone or did not answer in
 * time, these still hold as they were (they only grow); its gauges say nothing any more.
 */
export function monotonic(metrics: MetricJson[]): MetricJson[] {
  return metrics.filter(
    (metric) =>
      (metric.type === 'counter' || metric.type === 'histogram') &&
      (metric.aggregator ?? 'sum') === 'sum',
  );
}

const seriesKey = (value: MetricJson['values'][number]) =>
  `${value.metricName ?? ''}{${Object.keys(value.labels)
    .sort()
    .map((label) => `${label}=${String(value.labels[label])}`)
    .join(',')}}`;

/** Adds up series with the same name and labels (for counters and histograms). */
export function sumMetrics(lists: MetricJson[][]): MetricJson[] {
  const byName = new Map<
    string,
    { metric: MetricJson; series: Map<string, MetricJson['values'][number]> }
  >();
  for (const list of lists) {
    for (const metric of list) {
      let entry = byName.get(metric.name);
      if (!entry) byName.set(metric.name, (entry = { metric, series: new Map() }));
      for (const value of metric.values) {
        const key = seriesKey(value);
        const existing = entry.series.get(key);
        if (existing) existing.value += value.value;
        else entry.series.set(key, { ...value, labels: { ...value.labels } });
      }
    }
  }
  return [...byName.values()].map(({ metric, series }) => ({
    ...metric,
    values: [...series.values()],
  }));
}

/**
 * In the cluster primary: one scrape returns every worker's metrics, each series once, counts summed
 * (per metric `aggregator`, as prom-client's AggregatorRegistry does).
 *
 * Summed counters must never go down, or Prometheus reads a reset and rate() shows a spike as large as
 * every other worker's total. So the primary keeps each worker's latest answer: when a worker exits, its
 * counters and histograms move into a `retired` total that stays in every later scrape (a draining
 * worker sends its final counts, so a rolling restart loses nothing; a killed one loses what it counted
 * since the last scrape). A worker that does not answer within `answerTimeoutMs` contributes its
 * previous counters instead of failing the scrape.
 */
export class ClusterMetrics {
  private readonly answering = new Set<number>();
  private readonly latest = new Map<number, MetricJson[]>();
  private retired: MetricJson[] = [];
  private readonly pending = new Map<number, (workerId: number, answered: boolean) => void>();
  private nextRequestId = 0;
  private readonly own = new Registry();
  private readonly staleWorkers: Gauge;
  private readonly exits: Counter;

  constructor(
    private readonly clusterApi: ClusterLike = cluster,
    private readonly answerTimeoutMs = 2_000,
  ) {
    const liveWorkers = () => this.liveWorkers().length;
    new Gauge({
      name: 'cluster_workers',
      help: 'HTTP worker processes alive under the cluster primary.',
      registers: [this.own],
      collect() {
        this.set(liveWorkers());
      },
    });
    this.exits = new Counter({
      name: 'cluster_worker_exits_total',
      help: 'Worker processes that exited (crashes and rolling restarts).',
      registers: [this.own],
    });
    this.staleWorkers = new Gauge({
      name: 'cluster_metrics_stale_workers',
      help: 'Workers that did not answer this scrape in time; their counters are from their last answer.',
      registers: [this.own],
    });
    clusterApi.on('message', (worker, message) => this.onMessage(worker, message));
    clusterApi.on('exit', (worker) => this.onExit(worker));
  }

  async metrics(): Promise<string> {
    const asked = this.liveWorkers().filter((worker) => this.answering.has(worker.id));
    const answered = await this.ask(asked);
    let stale = 0;
    for (const worker of asked) if (!answered.has(worker.id)) stale++;
    this.staleWorkers.set(stale);
    const own = (await this.own.getMetricsAsJSON()) as unknown as MetricJson[];
    // Built without an await in between, so a worker that exits meanwhile is counted exactly once:
    // either through its latest answer or through `retired`.
    const parts: MetricJson[][] = [this.retired, own];
    for (const worker of asked) {
      const latest = this.latest.get(worker.id);
      if (latest) parts.push(answered.has(worker.id) ? latest : monotonic(latest));
    }
    return AggregatorRegistry.aggregate(parts).metrics();
  }

  private liveWorkers(): WorkerLike[] {
    return Object.values(this.clusterApi.workers ?? {}).filter(
      (worker): worker is WorkerLike => worker !== undefined && worker.isConnected(),
    );
  }

  private ask(workers: WorkerLike[]): Promise<Set<number>> {
    const answered = new Set<number>();
    if (workers.length === 0) return Promise.resolve(answered);
    const id = this.nextRequestId++;
    return new Promise((resolve) => {
      let settled = 0;
      const finish = () => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(answered);
      };
      const timer = setTimeout(finish, this.answerTimeoutMs);
      const settle = (workerId: number, ok: boolean) => {
        if (ok) answered.add(workerId);
        if (++settled === workers.length) finish();
      };
      this.pending.set(id, settle);
      for (const worker of workers) {
        worker.send({ type: REQUEST, id }, (error) => {
          if (error) settle(worker.id, false); // it just died: its exit moves its counts to `retired`
        });
      }
    });
  }

  private onMessage(worker: WorkerLike, message: unknown): void {
    if (isMessage<ReadyMessage>(message, READY)) {
      this.answering.add(worker.id);
    } else if (isMessage<SnapshotMessage>(message, SNAPSHOT) && this.answering.has(worker.id)) {
      if (message.metrics) this.latest.set(worker.id, message.metrics);
      if (message.id !== null) this.pending.get(message.id)?.(worker.id, !!message.metrics);
    }
  }

  private onExit(worker: WorkerLike): void {
    this.exits.inc();
    this.answering.delete(worker.id);
    const latest = this.latest.get(worker.id);
    this.latest.delete(worker.id);
    if (latest) this.retired = sumMetrics([this.retired, monotonic(latest)]);
  }
}

/** Serves every worker's metrics, summed, on METRICS_PORT of the cluster primary. */
export async function serveClusterMetrics(config: AppConfig): Promise<MetricsServer> {
  const listen = metricsListenOptions(config);
  const aggregator = new ClusterMetrics();
  return startMetricsServer({ ...listen, render: () => aggregator.metrics() });
}
