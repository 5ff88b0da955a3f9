import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessTokenGuard } from './auth/access-token.guard.js';
import { ConfigModule } from './config/config.module.js';
import { loadConfig } from './config/config.js';
import { DatabaseModule } from './infra/database/database.module.js';
import { DiagnosticsController } from './infra/health/diagnostics.controller.js';
import { HealthModule } from './infra/health/health.module.js';
import { LoggingModule } from './infra/observability/logging.module.js';
import { MetricsModule } from './infra/observability/metrics.module.js';
import { RedisModule } from './infra/redis/redis.module.js';
import { CacheModule } from './infra/cache/cache.module.js';
import { AppThrottlerGuard } from './infra/throttling/app-throttler.guard.js';
import { ThrottlingModule } from './infra/throttling/throttling.module.js';
import { AuthModule } from './auth/auth.module.js';
import { ProductsModule } from './products/products.module.js';
import { UsersModule } from './users/users.module.js';
import { QueuesAdminModule } from './admin/queues-admin.module.js';
import { OutboxRelayModule } from './infra/queue/outbox-relay.module.js';
import { QueueModule } from './infra/queue/queue.module.js';
import { ProductJobsModule } from './products/jobs/product-jobs.module.js';

@Module({
  imports: [
    // Infrastructure first, then features.
    ConfigModule,
    LoggingModule,
    MetricsModule,
    RedisModule,
    DatabaseModule,
    CacheModule,
    ThrottlingModule,
    // Job producers and the outbox relay; the processors run in the worker process (src/worker.ts).
    QueueModule,
    OutboxRelayModule,
    HealthModule,
    UsersModule,
    AuthModule,
    ProductsModule,
    ProductJobsModule,
    QueuesAdminModule,
  ],
  controllers: loadConfig().ENABLE_DIAGNOSTICS ? [DiagnosticsController] : [],
  providers: [
    // Global guards run in this order: identify the caller first, so limits can be kept per user.
    { provide: APP_GUARD, useExisting: AccessTokenGuard },
    ...(loadConfig().THROTTLE_ENABLED
      ? [{ provide: APP_GUARD, useExisting: AppThrottlerGuard }]
      : []),
  ],
})
export class AppModule {}
