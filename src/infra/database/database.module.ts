import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { dataSourceOptions } from './database-options.js';
import { ReplicaRouter } from './replica-router.js';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        ...dataSourceOptions(config, config.DATABASE_URL, 'primary'),
        autoLoadEntities: true,
        // Fail boot fast when the primary is unreachable: without it the API can serve nothing useful.
        retryAttempts: 3,
        retryDelay: 1_000,
      }),
    }),
  ],
  providers: [ReplicaRouter],
  exports: [ReplicaRouter],
})
export class DatabaseModule {}
