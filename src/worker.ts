import 'reflect-metadata';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { installGracefulShutdown } from './bootstrap/shutdown.js';
import { loadConfig } from './config/config.js';
import { JobWorkers } from './infra/queue/job-workers.js';
import { WorkerModule } from './worker.module.js';

// The job worker: runs the queue processors, serves only Prometheus metrics on METRICS_PORT (the
// Deployment's probes and the image's HEALTHCHECK hit /metrics there). Scaled apart from the API.
const config = loadConfig();

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  const logger = new NestLogger('Lifecycle');
  const workers = app.get(JobWorkers);
  installGracefulShutdown({
    // Stop taking jobs at once: no load balancer needs time to notice a worker going away.
    beginDrain: () => workers.beginShutdown(),
    drainDelayMs: 0,
    // Active jobs finish first (within SHUTDOWN_TIMEOUT_MS; past it the process exits 1 and BullMQ's
    // stalled-job check gives the unfinished ones to another worker), then Nest closes the database,
    // Redis and the metrics server.
    close: async () => {
      await workers.close();
      await app.close();
    },
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    log: (message) => logger.log(message),
  });
}

main().catch((error: Error) => {
  process.stderr.write(`worker failed to start: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
