// `npm start`: the local default. With DATABASE_URL and REDIS_URL unset it brings up the local PostgreSQL
// primary + replica and Redis (scripts/services.sh), applies migrations, runs the clustered API, and on
// Ctrl-C or SIGTERM stops the API first and then the services it started. With both set it starts nothing.
import { execFileSync, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const services = join(root, 'scripts', 'services.sh');
const env = { ...process.env };
const ownServices = !env.DATABASE_URL || !env.REDIS_URL;

function run(script) {
  execFileSync(process.execPath, [join(root, 'dist', script)], { stdio: 'inherit', env });
}

if (ownServices) {
  const lines = execFileSync('bash', [services, 'up'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for (const line of lines.trim().split('\n')) {
    const [key, ...value] = line.split('=');
    // Only fill what the caller left unset: a given REDIS_URL with a local database is fine.
    if (key && env[key] === undefined) env[key] = value.join('=');
  }
}

const stopServices = () => {
  if (ownServices) execFileSync('bash', [services, 'down'], { stdio: 'inherit' });
};

try {
  run('bootstrap/migrate.js');
} catch {
  stopServices();
  process.exit(1);
}

const api = spawn(process.execPath, [join(root, 'dist', 'main.js')], { stdio: 'inherit', env });
let signalled = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    // A terminal's Ctrl-C reaches the API too; forwarding is for SIGTERM from a supervisor.
    if (!signalled) api.kill('SIGTERM');
    signalled = true;
  });
}
// A rolling restart request is passed straight to the cluster primary.
for (const signal of ['SIGUSR2', 'SIGHUP']) process.on(signal, () => api.kill(signal));

api.on('exit', (code, signal) => {
  stopServices();
  process.exit(code ?? (signal ? 1 : 0));
});
