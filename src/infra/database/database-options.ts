import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../../config/config.js';
import { QueryCountingLogger } from './query-counter.js';

export type DatabaseRole = 'primary' | `replica${number}`;

/**
 * Connection options shared by the primary and every replica. Entities are added by Nest
 * (`autoLoadEntities`) so infrastructure never names a feature's entity.
 */
export function dataSourceOptions(
  config: AppConfig,
  url: string,
  role: DatabaseRole,
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    // Migrations are committed and run as their own step; never let the schema drift from the entities.
    synchronize: false,
    migrationsRun: false,
    migrations: [],
    logger: new QueryCountingLogger(['error', 'warn']),
    // gen_random_uuid() is built into PostgreSQL 13+: no extension to install, and nothing for a
    // read-only replica connection to try (and fail) to create at connect time.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    connectTimeoutMS: config.DATABASE_CONNECT_TIMEOUT_MS,
    applicationName: `nest-at-scale:${role}`,
    extra: {
      max: config.DATABASE_POOL_SIZE,
      // A query that outlives this is cancelled by the server (statement_timeout) and abandoned by the client.
      statement_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS,
      query_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS + 1_000,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: config.DATABASE_CONNECT_TIMEOUT_MS,
    },
  };
}
