import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { type Job, Worker } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { Metrics } from '../observability/metrics.js';
import { RedisFactory } from '../redis/redis.factory.js';
import { JobQueues } from './job-queues.js';
import { JOB_PROCESSOR, type JobHandler, type JobProcessorMetadata } from './job-processor.js';
import { workerOptions } from './queue-options.js';

/**
 * Runs a BullMQ Worker for every provider marked @JobProcessor. Only the worker process (src/worker.ts)
 * has this, so the API never processes jobs.
 *
 * Shutdown (driven by worker.ts, before Nest closes the database and Redis): `beginShutdown()` aborts the
 * shutdown signal long jobs watch, `close()` stops fetching and waits for every active job.
 */
@Injectable()
export class JobWorkers implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('JobWorkers');
  private readonly workers: Worker[] = [];
  private readonly shutdownController = new AbortController();
  private readonly processed;
  private readonly duration;
  private readonly stalled;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
    private readonly redis: RedisFactory,
    private readonly queues: JobQueues,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: Metrics,
  ) {
    this.processed = metrics.counter({
      name: 'jobs_processed_total',
      help: 'Job attempts by outcome: completed, retried (failed, will run again) or failed (dead-lettered).',
      labelNames: ['queue', 'outcome'],
    });
    this.duration = metrics.histogram({
      name: 'job_duration_seconds',
      help: 'How long one attempt of a job ran, by queue and outcome.',
      labelNames: ['queue', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800],
    });
    this.stalled = metrics.counter({
      name: 'jobs_stalled_total',
      help: 'Jobs whose worker stopped renewing the lock (killed, or the event loop blocked too long).',
      labelNames: ['queue'],
    });
  }

  onApplicationBootstrap(): void {
    const handlers = this.discovery
      .getProviders()
      .filter((wrapper) => wrapper.instance && wrapper.metatype)
      .map((wrapper) => ({
        handler: wrapper.instance as JobHandler,
        meta: this.reflector.get<JobProcessorMetadata | undefined>(
          JOB_PROCESSOR,
          wrapper.metatype as object as new () => unknown,
        ),
      }))
      .filter(
        (entry): entry is { handler: JobHandler; meta: JobProcessorMetadata } => !!entry.meta,
      );
    const seen = new Set<string>();
    for (const { handler, meta } of handlers) {
      if (seen.has(meta.queue)) throw new Error(`two processors for queue ${meta.queue}`);
      seen.add(meta.queue);
      this.workers.push(this.start(meta, handler));
    }
    // Not awaited: boot (and so the metrics port the probes watch) must not wait for Redis. Workers
    // connect, and reconnect, on their own; until then they have nothing to do.
    void this.whenConnected(handlers);
  }

  private async whenConnected(
    handlers: Array<{ handler: JobHandler; meta: JobProcessorMetadata }>,
  ): Promise<void> {
    try {
      await Promise.all(this.workers.map((worker) => worker.waitUntilReady()));
    } catch {
      return; // closed before it ever connected
    }
    for (const { handler, meta } of handlers) {
      for (let attempt = 1; handler.onWorkerStarted && !this.closing; attempt++) {
        try {
          await handler.onWorkerStarted(this.queues.get(meta.queue));
          break;
        } catch (error) {
          this.logger.warn(
            `${meta.queue}: start-up step failed (attempt ${attempt}), retrying: ${(error as Error).message}`,
          );
          await new Promise((resolve) => setTimeout(resolve, Math.min(1_000 * attempt, 10_000)));
        }
      }
    }
    this.logger.log(
      `worker ready: ${this.workers.map((w) => `${w.name} (concurrency ${w.concurrency})`).join(', ')} (pid ${process.pid})`,
    );
  }

  /** Long jobs watch this signal and yield at a safe point. */
  beginShutdown(): void {
    this.shutdownController.abort();
  }

  /** Stops taking jobs and waits for the active ones to finish (or hand themselves back). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.beginShutdown();
      const active = this.workers.reduce((sum, worker) => sum + activeJobs(worker), 0);
      this.logger.log(`stopping workers: waiting for ${active} active job(s)`);
      await Promise.all(this.workers.map((worker) => worker.close()));
      this.logger.log('workers stopped');
    })();
    return this.closing;
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  private start(meta: JobProcessorMetadata, handler: JobHandler): Worker {
    const concurrency = meta.concurrency ?? this.config.JOB_CONCURRENCY;
    const shutdown = this.shutdownController.signal;
    const worker = new Worker(
      meta.queue,
      async (job: Job, token?: string) => {
        const startedAt = process.hrtime.bigint();
        let outcome = 'completed';
        try {
          return await handler.process(job, { token, shutdown });
        } catch (error) {
          outcome = 'error';
          throw error;
        } finally {
          const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
          this.duration.observe({ queue: meta.queue, outcome }, seconds);
        }
      },
      workerOptions(this.config, this.redis, concurrency),
    );
    let outageReported = false;
    worker.on('error', (error: Error) => {
      if (!outageReported) this.logger.warn(`${meta.queue} worker: ${error.message}`);
      outageReported = true;
    });
    worker.on('ready', () => (outageReported = false));
    worker.on('completed', (job: Job) => {
      this.processed.inc({ queue: meta.queue, outcome: 'completed' });
      this.logger.log(
        `${meta.queue} job ${job.id} (${job.name}) completed, attempt ${attempt(job)}`,
      );
    });
    worker.on('failed', (job: Job | undefined, error: Error) => {
      if (!job) return;
      // BullMQ has already decided: the job is back in delayed (retry) or in the failed set.
      const willRetry = job.finishedOn === undefined;
      this.processed.inc({ queue: meta.queue, outcome: willRetry ? 'retried' : 'failed' });
      const what = willRetry ? 'will retry' : 'dead-lettered';
      this.logger.warn(
        `${meta.queue} job ${job.id} (${job.name}) failed, attempt ${attempt(job)}/${job.opts.attempts ?? 1}, ${what}: ${error.message}`,
      );
    });
    worker.on('stalled', (jobId: string) => {
      this.stalled.inc({ queue: meta.queue });
      this.logger.warn(`${meta.queue} job ${jobId} stalled (its worker died or blocked); requeued`);
    });
    return worker;
  }
}

// BullMQ counts the attempt when it settles it, so in 'completed'/'failed' this is the attempt just made.
const attempt = (job: Job) => job.attemptsMade;

function activeJobs(worker: Worker): number {
  // Not public API; only for the log line.
  const tracked = (worker as unknown as { lockManager?: { getActiveJobCount?(): number } })
    .lockManager;
  return tracked?.getActiveJobCount?.() ?? 0;
}
