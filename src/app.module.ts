import { Module } from '@nestjs/common';
import { ConfigModule } from './config/config.module.js';
import { loadConfig } from './config/config.js';
import { DatabaseModule } from './infra/database/database.module.js';
import { DiagnosticsController } from './infra/health/diagnostics.controller.js';
import { HealthModule } from './infra/health/health.module.js';
import { LoggingModule } from './infra/observability/logging.module.js';
import { MetricsModule } from './infra/observability/metrics.module.js';
import { RedisModule } from './infra/redis/redis.module.js';
import { AuthModule } from './auth/auth.module.js';
import { ProductsModule } from './products/products.module.js';
import { UsersModule } from './users/users.module.js';

@Module({
  imports: [
    // Infrastructure first, then features.
    ConfigModule,
    LoggingModule,
    MetricsModule,
    RedisModule,
    DatabaseModule,
    HealthModule,
    UsersModule,
    AuthModule,
    ProductsModule,
  ],
  controllers: loadConfig().ENABLE_DIAGNOSTICS ? [DiagnosticsController] : [],
})
export class AppModule {}
