import dataSource from '../infra/database/data-source.js';

// Applies pending migrations and exits: the release step in production (a Kubernetes Job or the
// compose `migrate` service) and the first step of `npm start` locally.
await dataSource.initialize();
try {
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  process.stdout.write(
    `migrations: ${applied.length} applied${applied.map((m) => `\n  ${m.name}`).join('')}\n`,
  );
} finally {
  await dataSource.destroy();
}
