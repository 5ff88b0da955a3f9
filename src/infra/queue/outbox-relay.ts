import { AsyncResource } from 'node:async_hooks';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntitySubscriberInterface, TransactionCommitEvent } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { Metrics } from '../observability/metrics.js';
import { JobQueues } from './job-queues.js';
import { transactionsWithOutboxRows } from './outbox.js';
import { isQueueName, type QueueName } from './queue-names.js';

const BATCH = 100;
const RETENTION = '3 days';
// Pruning sent rows is housekeeping: once every this many passes is plenty.
const PRUNE_EVERY_PASSES = 300;

interface UnsentRow {
  id: string;
  queue: string;
  job_name: string;
  payload: Record<string, unknown>;
}

/**
 * Moves committed outbox rows to BullMQ. Runs in every API process: `FOR UPDATE SKIP LOCKED` hands each
 * row to one of them, and a row is marked sent in the same transaction that locked it, only after Redis
 * accepted the job. A relay that dies after the add but before the commit leaves the row unsent; the next
 * pass adds it again with the same jobId, which BullMQ ignores while the first job is still kept (and
 * the processor is idempotent for when it is not). Wakes at once when a transaction with outbox rows
 * commits in this process, and polls every OUTBOX_POLL_INTERVAL_MS for the rest (other processes, rows
 * left by a crash, Redis outages).
 */
@Injectable()
export class OutboxRelay
  implements OnApplicationBootstrap, BeforeApplicationShutdown, EntitySubscriberInterface
{
  private readonly logger = new Logger('OutboxRelay');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private passes = 0;
  private failing = false;
  private readonly relayed;
  // Bound here, outside any request: a pass woken by a request's commit must not run (and log) as
  // part of that request's async context.
  private readonly detached = AsyncResource.bind((work: () => void) => work());

  constructor(
    @InjectDataSource() private readonly primary: DataSource,
    private readonly queues: JobQueues,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: Metrics,
  ) {
    this.relayed = metrics.counter({
      name: 'outbox_relayed_total',
      help: 'Outbox rows handed to the job queue.',
      labelNames: ['queue'],
    });
    const pending = () =>
      this.primary.isInitialized
        ? this.primary.query(`SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL`)
        : Promise.resolve([{ n: 0 }]);
    metrics.gauge({
      name: 'outbox_pending',
      help: 'Committed jobs not yet handed to the queue (grows while Redis is down).',
      aggregator: 'max',
      async collect() {
        try {
          this.set(((await pending()) as Array<{ n: number }>)[0].n);
        } catch {
          // the database is down: keep the last value
        }
      },
    });
    // TypeORM calls afterTransactionCommit on every registered subscriber.
    primary.subscribers.push(this);
  }

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (!transactionsWithOutboxRows.has(event.queryRunner)) return;
    transactionsWithOutboxRows.delete(event.queryRunner);
    this.wake();
  }

  /** Runs a pass now (or right after the one in progress). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  /** Stops polling and waits for a pass in progress, before the database and Redis close. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass: relays up to BATCH rows; returns how many. */
  async relayOnce(): Promise<number> {
    const count = await this.primary.transaction(async (em) => {
      const rows = (await em.query(
        `SELECT id, queue, job_name, payload FROM outbox
          WHERE sent_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [BATCH],
      )) as UnsentRow[];
      if (rows.length === 0) return 0;
      const byQueue = new Map<QueueName, UnsentRow[]>();
      for (const row of rows) {
        if (!isQueueName(row.queue)) {
          // A row from a newer release that knows a queue this one does not: leave it for that release.
          this.logger.warn(`outbox row ${row.id} names unknown queue ${row.queue}; skipped`);
          continue;
        }
        byQueue.set(row.queue, [...(byQueue.get(row.queue) ?? []), row]);
      }
      const sent: string[] = [];
      for (const [queue, group] of byQueue) {
        await this.queues.run(queue, (q) =>
          q.addBulk(
            group.map((row) => ({
              name: row.job_name,
              data: row.payload,
              opts: { jobId: row.id },
            })),
          ),
        );
        sent.push(...group.map((row) => row.id));
        this.relayed.inc({ queue }, group.length);
      }
      if (sent.length > 0) {
        await em.query(`UPDATE outbox SET sent_at = now() WHERE id = ANY($1::uuid[])`, [sent]);
      }
      return sent.length;
    });
    if (++this.passes % PRUNE_EVERY_PASSES === 0) await this.prune();
    return count;
  }

  private async prune(): Promise<void> {
    await this.primary.query(
      `DELETE FROM outbox WHERE id IN (
         SELECT id FROM outbox WHERE sent_at < now() - interval '${RETENTION}' LIMIT 1000)`,
    );
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () =>
        this.detached(() => {
          this.running = this.pass().finally(() => {
            this.running = undefined;
          });
        }),
      delayMs,
    );
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    let more = false;
    try {
      const relayed = await this.relayOnce();
      more = relayed === BATCH;
      if (this.failing) this.logger.log('relaying again');
      this.failing = false;
    } catch (error) {
      // Redis or the database is down: the rows stay and the next pass retries. One line per outage.
      if (!this.failing) this.logger.warn(`outbox relay failed: ${(error as Error).message}`);
      this.failing = true;
    }
    const next = more || this.again ? 0 : this.config.OUTBOX_POLL_INTERVAL_MS;
    this.again = false;
    this.schedule(this.failing ? this.config.OUTBOX_POLL_INTERVAL_MS : next);
  }
}
