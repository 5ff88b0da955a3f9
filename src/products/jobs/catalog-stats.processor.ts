import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job, Queue, RepeatOptions } from 'bullmq';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { JobProcessor, type JobHandler } from '../../infra/queue/job-processor.js';
import { QUEUES } from '../../infra/queue/queue-names.js';

export const CATALOG_STATS_SCHEDULER = 'catalog-stats';
export const CATALOG_STATS_JOB = 'recalculate-category-stats';

/** CATALOG_STATS_SCHEDULE: digits = a period in ms, anything else a cron pattern (UTC). */
export function catalogStatsRepeat(schedule: string): RepeatOptions {
  return /^\d+$/.test(schedule) ? { every: Number(schedule) } : { pattern: schedule, tz: 'UTC' };
}

/**
 * Recomputes `category_stats` (count, stock, min/avg/max price per category) on a schedule.
 *
 * Once per period for the whole deployment, however many workers: BullMQ's job scheduler keeps exactly
 * one pending job per scheduler id, with an id derived from the due time (`repeat:catalog-stats:<ms>`),
 * and only one worker can take it. Every worker upserts the same scheduler at boot, which is idempotent,
 * so a new schedule rolls out with the deployment. The job itself is idempotent (an upsert of figures).
 */
@Injectable()
@JobProcessor(QUEUES.catalogMaintenance, { concurrency: 1 })
export class CatalogStatsProcessor implements JobHandler {
  private readonly logger = new Logger('CatalogStats');

  constructor(
    @InjectDataSource() private readonly primary: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onWorkerStarted(queue: Queue): Promise<void> {
    const repeat = catalogStatsRepeat(this.config.CATALOG_STATS_SCHEDULE);
    await queue.upsertJobScheduler(CATALOG_STATS_SCHEDULER, repeat, {
      name: CATALOG_STATS_JOB,
      data: {},
      opts: {
        attempts: 3,
        backoff: { type: 'exponential', delay: this.config.JOB_BACKOFF_MS, jitter: 0.5 },
        removeOnComplete: { count: this.config.JOB_KEEP_COMPLETED },
        removeOnFail: { count: this.config.JOB_KEEP_FAILED },
      },
    });
  }

  async process(job: Job): Promise<{ categories: number }> {
    const categories = await this.primary.transaction(async (em) => {
      // A full scan of products: allowed longer than a request's statement timeout.
      await em.query(`SET LOCAL statement_timeout = '5min'`);
      const upserted = (await em.query(`
        INSERT INTO category_stats
          (category, product_count, total_stock, min_price_cents, max_price_cents, avg_price_cents, computed_at)
        SELECT category, count(*), coalesce(sum(stock), 0), min(price_cents), max(price_cents),
               round(avg(price_cents)), now()
          FROM products GROUP BY category
        ON CONFLICT (category) DO UPDATE SET
          product_count = EXCLUDED.product_count, total_stock = EXCLUDED.total_stock,
          min_price_cents = EXCLUDED.min_price_cents, max_price_cents = EXCLUDED.max_price_cents,
          avg_price_cents = EXCLUDED.avg_price_cents, computed_at = EXCLUDED.computed_at
        RETURNING category`)) as unknown[];
      // Categories that have no products any more.
      await em.query(
        `DELETE FROM category_stats s WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.category = s.category)`,
      );
      return upserted.length;
    });
    this.logger.log(`catalog stats recalculated: ${categories} categories (job ${job.id})`);
    return { categories };
  }
}
