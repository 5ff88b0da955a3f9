import cluster, { type Worker } from 'node:cluster';
import { pino } from 'pino';
import type { AppConfig } from '../config/config.js';
import { serveClusterMetrics } from '../infra/observability/cluster-metrics.js';

const MAX_RESPAWN_DELAY_MS = 5_000;

/**
 * The cluster primary: it serves no requests. It keeps WEB_CONCURRENCY HTTP workers alive, replaces
 * one that dies (with backoff, giving up on a crash loop), fans SIGTERM/SIGINT out and waits for the
 * workers to drain, and on SIGUSR2 or SIGHUP replaces the workers one at a time without dropping requests.
 */
export function runClusterPrimary(config: AppConfig): void {
  const log = pino({
    level: config.LOG_LEVEL,
    base: { pid: process.pid, context: 'ClusterPrimary' },
    transport:
      config.NODE_ENV === 'development'
        ? { target: 'pino-pretty', options: { singleLine: true } }
        : undefined,
  });
  const retiring = new Set<Worker>(); // workers we asked to stop: their exit is not a crash
  let deaths: number[] = [];
  let stopping = false;
  let restarting = false;

  const fork = (): Worker => {
    const worker = cluster.fork();
    worker.once('listening', () => log.info({ worker: worker.process.pid }, 'worker listening'));
    return worker;
  };

  const live = () =>
    Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());

  cluster.on('exit', (worker, code, signal) => {
    if (retiring.delete(worker) || stopping) return;
    const now = Date.now();
    deaths = [...deaths.filter((t) => now - t < config.CLUSTER_CRASH_LOOP_WINDOW_MS), now];
    if (deaths.length >= config.CLUSTER_CRASH_LOOP_DEATHS) {
      log.fatal(
        `crash loop: ${deaths.length} workers died within ${config.CLUSTER_CRASH_LOOP_WINDOW_MS} ms; ` +
          'stopping. Check the workers\u2019 last log lines for the cause.',
      );
      void stopAll('crash loop', 1);
      return;
    }
    const delay = Math.min(100 * 2 ** (deaths.length - 1), MAX_RESPAWN_DELAY_MS);
    log.warn(
      { worker: worker.process.pid, code, signal, respawnInMs: delay },
      'worker died unexpectedly; replacing it',
    );
    setTimeout(() => {
      if (!stopping) fork();
    }, delay);
  });

  const waitForExit = (worker: Worker) =>
    new Promise<void>((resolve) =>
      worker.isDead() ? resolve() : worker.once('exit', () => resolve()),
    );

  const stopAll = async (reason: string, exitCode: number) => {
    if (stopping) {
      log.info(`${reason}: shutdown already in progress`);
      return;
    }
    stopping = true;
    const workers = live();
    log.info({ workers: workers.length }, `${reason}: stopping workers`);
    // Workers run their own drain; this deadline only catches one that hangs past theirs.
    const deadline = setTimeout(
      () => {
        log.error('workers did not stop in time; killing them');
        for (const worker of live()) worker.process.kill('SIGKILL');
        process.exit(1);
      },
      config.SHUTDOWN_DRAIN_DELAY_MS + config.SHUTDOWN_TIMEOUT_MS + 2_000,
    );
    deadline.unref();
    for (const worker of workers) worker.process.kill('SIGTERM');
    await Promise.all(workers.map(waitForExit));
    log.info('all workers stopped');
    await metricsServer.then((server) => server.close()).catch(() => undefined);
    process.exit(exitCode);
  };

  const rollingRestart = async () => {
    if (restarting || stopping) return;
    restarting = true;
    const old = live();
    log.info({ workers: old.length }, 'rolling restart: replacing workers one at a time');
    try {
      for (const worker of old) {
        if (stopping) return;
        // The replacement must be listening before the old worker starts draining.
        const replacement = fork();
        const up = await new Promise<boolean>((resolve) => {
          replacement.once('listening', () => resolve(true));
          replacement.once('exit', () => resolve(false));
        });
        if (!up) {
          log.error(
            'rolling restart: a replacement worker failed to start; keeping the old workers',
          );
          return;
        }
        retiring.add(worker);
        worker.process.kill('SIGTERM');
        await waitForExit(worker);
      }
      log.info('rolling restart complete');
    } finally {
      restarting = false;
    }
  };

  process.on('SIGTERM', () => void stopAll('SIGTERM', 0));
  process.on('SIGINT', () => void stopAll('SIGINT', 0));
  process.on('SIGUSR2', () => void rollingRestart());
  process.on('SIGHUP', () => void rollingRestart());

  // Workers serve no metrics themselves: one scrape here returns all of theirs, summed.
  const metricsServer = serveClusterMetrics(config);
  metricsServer.then(
    (server) => log.info(`metrics on http://${config.HOST}:${server.port}/metrics`),
    (error: Error) => {
      log.fatal(error.message);
      void stopAll('metrics server failed', 1);
    },
  );

  log.info({ workers: config.WEB_CONCURRENCY }, 'starting cluster');
  for (let i = 0; i < config.WEB_CONCURRENCY; i++) fork();
}
