import { Module } from '@nestjs/common';
import { ConfigModule } from './config/config.module.js';
import { CacheModule } from './infra/cache/cache.module.js';
import { DatabaseModule } from './infra/database/database.module.js';
import { LoggingModule } from './infra/observability/logging.module.js';
import { MetricsModule } from './infra/observability/metrics.module.js';
import { JobWorkerModule } from './infra/queue/job-worker.module.js';
import { QueueModule } from './infra/queue/queue.module.js';
import { RedisModule } from './infra/redis/redis.module.js';
import { NotificationsWorkerModule } from './notifications/notifications.worker-module.js';
import { ProductJobsWorkerModule } from './products/jobs/product-jobs.worker-module.js';

/** The job worker process (src/worker.ts): infrastructure, then every feature's processors. No HTTP. */
@Module({
  imports: [
    ConfigModule,
    LoggingModule,
    MetricsModule,
    RedisModule,
    DatabaseModule,
    // Jobs that change cached rows (product imports) invalidate them in every API process.
    CacheModule,
    QueueModule,
    JobWorkerModule,
    NotificationsWorkerModule,
    ProductJobsWorkerModule,
  ],
})
export class WorkerModule {}
