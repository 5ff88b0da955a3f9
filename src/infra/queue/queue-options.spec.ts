import { parseConfig } from '../../config/config.js';
import { RedisFactory } from '../redis/redis.factory.js';
import { defaultJobOptions, producerQueueOptions, workerOptions } from './queue-options.js';

const config = parseConfig({
  DATABASE_URL: 'postgres://u@localhost:5432/db',
  REDIS_URL: 'redis://localhost:6379',
});
const redis = new RedisFactory(config);

describe('queue options', () => {
  it('retries with exponential backoff and jitter, trims completed jobs and keeps failed ones', () => {
    expect(defaultJobOptions(config)).toMatchObject({
      attempts: 5,
      backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 },
      removeOnComplete: { count: 1_000 },
      removeOnFail: { count: 10_000 },
    });
  });

  it('producers fail fast; workers wait for Redis forever', () => {
    expect(producerQueueOptions(config, redis).connection).toMatchObject({
      url: 'redis://localhost:6379',
      enableOfflineQueue: false,
      commandTimeout: 2_000,
    });
    const worker = workerOptions(config, redis, 4);
    expect(worker.connection).toMatchObject({ maxRetriesPerRequest: null });
    expect(worker).toMatchObject({
      concurrency: 4,
      lockDuration: 30_000,
      stalledInterval: 30_000,
      maxStalledCount: 2,
    });
  });

  it('takes stalled-job settings from the environment', () => {
    const fast = parseConfig({
      DATABASE_URL: 'postgres://u@localhost:5432/db',
      REDIS_URL: 'redis://localhost:6379',
      JOB_LOCK_DURATION_MS: '2000',
      JOB_STALLED_INTERVAL_MS: '1000',
    });
    expect(workerOptions(fast, redis, 1)).toMatchObject({
      lockDuration: 2_000,
      stalledInterval: 1_000,
    });
  });
});
