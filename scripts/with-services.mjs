// Runs a command with DATABASE_URL/REDIS_URL set: as given, or from the local services (started if needed).
// Used by the migration and seed scripts so they work the same against local and remote databases.
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env };
if (!env.DATABASE_URL || !env.REDIS_URL) {
  const lines = execFileSync('bash', [join(root, 'scripts', 'services.sh'), 'up'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for (const line of lines.trim().split('\n')) {
    const [key, ...value] = line.split('=');
    if (key && env[key] === undefined) env[key] = value.join('=');
  }
}
const [command, ...args] = process.argv.slice(2);
const result = spawnSync(command, args, { stdio: 'inherit', env });
process.exit(result.status ?? 1);
