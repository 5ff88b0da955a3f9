import type { Server } from 'node:http';
import { Logger } from '@nestjs/common';
import type { AppConfig } from '../config/config.js';
import { Lifecycle } from '../infra/health/lifecycle.js';
import { createHttpApp } from './http-app.js';
import { closeWhileReapingIdleSockets, installGracefulShutdown } from './shutdown.js';

/** One HTTP process: the whole app when WEB_CONCURRENCY=1, or one cluster worker. */
export async function runHttpProcess(config: AppConfig): Promise<void> {
  const app = await createHttpApp(config);
  const logger = new Logger('Lifecycle');
  installGracefulShutdown({
    beginDrain: () => app.get(Lifecycle).beginShutdown(),
    drainDelayMs: config.SHUTDOWN_DRAIN_DELAY_MS,
    // Nest closes the HTTP server first (in-flight requests finish), then runs shutdown hooks that
    // close the database pools and Redis connections.
    close: () => closeWhileReapingIdleSockets(app.getHttpServer() as Server, () => app.close()),
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    log: (message) => logger.log(message),
  });
  await app.listen(config.PORT, config.HOST);
  logger.log(`listening on http://${config.HOST}:${config.PORT} (pid ${process.pid})`);
}
