// `npm start`: the local default. It builds first, here rather than in the npm script: with one command
// npm's shell execs node, so a SIGTERM sent to npm reaches this process (a `build && start` chain left
// the shell in between, which died without passing the signal on).
// With DATABASE_URL and REDIS_URL unset it brings up the local PostgreSQL
// primary + replica and Redis (scripts/services.sh), applies migrations, runs the clustered API and
// JOB_WORKERS job worker processes (dist/worker.js, default 1), and on Ctrl-C or SIGTERM stops the API and
// the workers (each drains) and then the services it started. With both URLs set it starts no services.
import { execFileSync, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { setInterval, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const services = join(root, 'scripts', 'services.sh');
const env = { ...process.env };
const ownServices = !env.DATABASE_URL || !env.REDIS_URL;

execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });

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

const children = new Set();
let signalled = false;

const api = spawn(process.execPath, [join(root, 'dist', 'main.js')], { stdio: 'inherit', env });
children.add(api);

// Job workers: their own processes beside the API (in Kubernetes, their own Deployment). Each serves its
// metrics on the port after the API's, so they do not fight over METRICS_PORT.
const workerCount = /^\d+$/.test(env.JOB_WORKERS ?? '') ? Number(env.JOB_WORKERS) : 1;
const metricsBase = /^\d+$/.test(env.METRICS_PORT ?? '') ? Number(env.METRICS_PORT) : 9464;
const startWorker = (index, delayMs = 1_000) => {
  const worker = spawn(process.execPath, [join(root, 'dist', 'worker.js')], {
    stdio: 'inherit',
    env: { ...env, METRICS_PORT: String(metricsBase === 0 ? 0 : metricsBase + 1 + index) },
  });
  const startedAt = Date.now();
  children.add(worker);
  worker.on('exit', (code, signal) => {
    children.delete(worker);
    if (signalled) return maybeFinish();
    // A crash is restarted with a growing delay (reset once a worker has run a minute): a broken
    // build or an unreachable database does not spin.
    const next = Date.now() - startedAt > 60_000 ? 1_000 : Math.min(delayMs * 2, 30_000);
    process.stderr.write(
      `start: job worker ${index} exited (${signal ?? code}); restarting in ${delayMs} ms\n`,
    );
    setTimeout(() => !signalled && startWorker(index, next), delayMs).unref();
  });
};
for (let i = 0; i < workerCount; i++) startWorker(i);

let exitCode = 0;
const shutdown = () => {
  if (signalled) return;
  signalled = true;
  for (const child of children) child.kill('SIGTERM');
};
const maybeFinish = () => {
  if (children.size > 0) return;
  stopServices();
  process.exit(exitCode);
};

for (const signal of ['SIGINT', 'SIGTERM']) {
  // A terminal's Ctrl-C reaches the children too; forwarding is for SIGTERM from a supervisor.
  process.on(signal, shutdown);
}
// `npm start` execs this in place of npm's shell, so the SIGTERM npm forwards reaches us and npm exits
// with our exit code. A parent that goes away without a signal (a killed npm) is a stop signal too.
const parentPid = process.ppid;
setInterval(() => process.ppid !== parentPid && shutdown(), 250).unref();
// A rolling restart request is passed straight to the cluster primary.
for (const signal of ['SIGUSR2', 'SIGHUP']) process.on(signal, () => api.kill(signal));

api.on('exit', (code, signal) => {
  children.delete(api);
  exitCode = code ?? (signal ? 1 : 0);
  // The API is the app: when it goes (crash loop, fatal config), the workers go too.
  shutdown();
  maybeFinish();
});
