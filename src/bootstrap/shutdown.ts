import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';

export interface ShutdownPlan {
  /** Called at once: readiness turns false so load balancers stop sending. */
  beginDrain(): void;
  /** How long to keep serving after readiness fails, so endpoints lists catch up. */
  drainDelayMs: number;
  /** Stops accepting, finishes in-flight work and closes connections to Postgres and Redis. */
  close(): Promise<void>;
  /** After this the process exits 1 whatever is still running. */
  timeoutMs: number;
  log(message: string): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the drain sequence on SIGTERM or SIGINT, once: a second signal is logged and ignored,
 * so an impatient Ctrl-C cannot cut a drain short; the deadline is what bounds it.
 */
export function installGracefulShutdown(plan: ShutdownPlan): void {
  let started = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (started) {
      plan.log(`${signal} received again; shutdown already in progress`);
      return;
    }
    started = true;
    void drain(signal);
  };
  const drain = async (signal: NodeJS.Signals) => {
    const startedAt = Date.now();
    const deadline = setTimeout(() => {
      plan.log(`shutdown did not finish within ${plan.timeoutMs} ms; exiting with work still open`);
      process.exit(1);
    }, plan.timeoutMs);
    deadline.unref();
    plan.log(`${signal} received: readiness off, draining for ${plan.drainDelayMs} ms`);
    plan.beginDrain();
    await sleep(plan.drainDelayMs);
    try {
      await plan.close();
      plan.log(`shutdown complete in ${Date.now() - startedAt} ms`);
      process.exit(0);
    } catch (error) {
      plan.log(`shutdown failed: ${(error as Error).stack ?? String(error)}`);
      process.exit(1);
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * While the server closes, keep closing sockets that turn idle: a keep-alive socket whose last reply
 * finished after close() began would otherwise hold the process open until its idle timeout.
 */
export async function closeWhileReapingIdleSockets(
  server: Server,
  close: () => Promise<void>,
): Promise<void> {
  const reaper = setInterval(() => server.closeIdleConnections(), 100);
  try {
    await close();
  } finally {
    clearInterval(reaper);
  }
}

/**
 * Stops the HTTP server, then runs the app's shutdown hooks. Nest's own close() runs onModuleDestroy and
 * beforeApplicationShutdown first and closes the server only after them, so a request arriving in between
 * meets half-stopped providers, and terminus answers every health check (liveness too) with 503 from its
 * beforeApplicationShutdown on: a rolling restart under load saw 1 such 503 in 7,362 requests.
 */
export async function closeHttpThenApp(app: INestApplication): Promise<void> {
  await closeWhileReapingIdleSockets(app.getHttpServer() as Server, () =>
    app.getHttpAdapter().close(),
  );
  await app.close(); // closing the adapter again is a no-op
}
