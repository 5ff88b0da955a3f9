import 'reflect-metadata';
import { fileURLToPath } from 'node:url';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../config/config.js';
import { dataSourceOptions } from './database-options.js';

// The DataSource the TypeORM CLI and the migrate command use. It finds entities and migrations by file
// name in the build output, so this infrastructure file still names no feature.
const dist = fileURLToPath(new URL('../../', import.meta.url));

export default new DataSource({
  ...dataSourceOptions(loadConfig(), loadConfig().DATABASE_URL, 'primary'),
  entities: [`${dist}**/*.entity.js`],
  migrations: [`${dist}infra/database/migrations/*.js`],
  migrationsTableName: 'migrations',
});
