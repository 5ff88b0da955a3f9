import { Logger } from '@nestjs/common';
import type { AppConfig } from '../config/config.js';
import { Lifecycle } from '../infra/health/lifecycle.js';
import { createHttpApp } from './http-app.js';
import { closeHttpThenApp, installGracefulShutdown } from './shutdown.js';

/** One HTTP process: the whole app when WEB_CONCURRENCY=1, or one cluster worker. */
export async function runHttpProcess(config: AppConfig): Promise<void> {
  const app = await createHttpApp(config);
  const logger = new Logger('Lifecycle');
  installGracefulShutdown({
    beginDrain: () => app.get(Lifecycle).beginShutdown(),
    drainDelayMs: config.SHUTDOWN_DRAIN_DELAY_MS,
    // The HTTP server closes first (in-flight requests finish), then the shutdown hooks close the
    // database pools and Redis connections.
    close: () => closeHttpThenApp(app),
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    log: (message) => logger.log(message),
  });
  await app.listen(config.PORT, config.HOST);
  logger.log(`listening on http://${config.HOST}:${config.PORT} (pid ${process.pid})`);
}
