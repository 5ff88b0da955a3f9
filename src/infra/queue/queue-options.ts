import type { ConnectionOptions, DefaultJobOptions, QueueOptions, WorkerOptions } from 'bullmq';
import type { AppConfig } from '../../config/config.js';
import type { RedisFactory } from '../redis/redis.factory.js';

// Keys are namespaced per app, so a Redis shared with other apps (or the cache) never mixes them up.
export const QUEUE_PREFIX = 'nest-at-scale';

/**
 * Retry policy for every job: exponential backoff (JOB_BACKOFF_MS, 2x, 4x ...) with 50 % jitter, so
 * jobs that failed together (a dependency was down) do not retry together. Completed jobs are trimmed;
 * failed ones are kept with their reason and stack: that set is the dead-letter queue.
 */
export function defaultJobOptions(config: AppConfig): DefaultJobOptions {
  return {
    attempts: config.JOB_ATTEMPTS,
    backoff: { type: 'exponential', delay: config.JOB_BACKOFF_MS, jitter: 0.5 },
    removeOnComplete: { count: config.JOB_KEEP_COMPLETED },
    removeOnFail: { count: config.JOB_KEEP_FAILED },
    stackTraceLimit: 10,
  };
}

/**
 * Queues used to add jobs and read counts. Producers are on the request path, so their connection fails
 * fast (no offline queue, command timeout): with Redis down the API answers 503 instead of hanging.
 */
export function producerQueueOptions(config: AppConfig, redis: RedisFactory): QueueOptions {
  return {
    connection: { url: config.REDIS_URL, ...redis.options('queue-producer') } as ConnectionOptions,
    prefix: QUEUE_PREFIX,
    defaultJobOptions: defaultJobOptions(config),
  };
}

/** Workers block on Redis and must retry forever (`maxRetriesPerRequest: null`). */
export function workerOptions(
  config: AppConfig,
  redis: RedisFactory,
  concurrency: number,
): WorkerOptions {
  return {
    connection: { url: config.REDIS_URL, ...redis.options('queue') } as ConnectionOptions,
    prefix: QUEUE_PREFIX,
    concurrency,
    lockDuration: config.JOB_LOCK_DURATION_MS,
    stalledInterval: config.JOB_STALLED_INTERVAL_MS,
    maxStalledCount: config.JOB_MAX_STALLED_COUNT,
    // Jobs are added with these too; repeated here for jobs added by older releases or by hand.
    removeOnComplete: { count: config.JOB_KEEP_COMPLETED },
    removeOnFail: { count: config.JOB_KEEP_FAILED },
    // Poll for delayed jobs at most this long when idle: short enough to notice a shutdown quickly.
    drainDelay: 5,
  };
}
