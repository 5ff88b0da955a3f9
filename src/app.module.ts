import { Module } from '@nestjs/common';
import { ConfigModule } from './config/config.module.js';
import { loadConfig } from './config/config.js';
import { DatabaseModule } from './infra/database/database.module.js';
import { DiagnosticsController } from './infra/health/diagnostics.controller.js';
import { HealthModule } from './infra/health/health.module.js';
import { LoggingModule } from './infra/observability/logging.module.js';
import { RedisModule } from './infra/redis/redis.module.js';

@Module({
  imports: [ConfigModule, LoggingModule, RedisModule, DatabaseModule, HealthModule],
  controllers: loadConfig().ENABLE_DIAGNOSTICS ? [DiagnosticsController] : [],
})
export class AppModule {}
