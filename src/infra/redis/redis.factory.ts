import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';

/**
 * What a connection is for decides how it behaves when Redis is slow or gone:
 * - `request`: on the request path; fails fast (no offline queue, short command timeout).
 * - `subscriber`: pub/sub listener; reconnects forever, never times out commands.
 * - `queue`: BullMQ; must block and retry forever (`maxRetriesPerRequest: null`).
 * - `queue-producer`: BullMQ producers on the request path (`queue.add`); fails fast so the API answers 503.
 */
export type RedisPurpose = 'request' | 'subscriber' | 'queue' | 'queue-producer';

@Injectable()
export class RedisFactory implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisFactory.name);
  private readonly clients = new Set<Redis>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  options(purpose: RedisPurpose): RedisOptions {
    // Reconnect with capped backoff: a Redis restart is recovered without restarting the app.
    const retryStrategy = (attempt: number) => Math.min(50 * 2 ** attempt, 2_000);
    const base: RedisOptions = {
      connectTimeout: 2_000,
      retryStrategy,
      connectionName: `nest-at-scale:${purpose}`,
    };
    switch (purpose) {
      case 'request':
        return {
          ...base,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          // Commands issued in the same tick go out as one pipeline: under load most requests share a write.
          enableAutoPipelining: true,
          commandTimeout: this.config.REDIS_COMMAND_TIMEOUT_MS,
        };
      case 'subscriber':
        // The ready check (INFO) is refused once the connection is subscribed, so a resubscribe after a
        // reconnect would never report 'ready' with it on.
        return { ...base, maxRetriesPerRequest: null, enableReadyCheck: false };
      case 'queue':
        return { ...base, maxRetriesPerRequest: null, enableReadyCheck: false };
      case 'queue-producer':
        // No offline queue: while Redis is down an add fails at once instead of waiting in memory. The
        // timeout is longer than a cache read's: adding a job is one short Lua script, but it is a write
        // the caller waits for, and a slow answer beats a false 503.
        return {
          ...base,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          commandTimeout: Math.max(this.config.REDIS_COMMAND_TIMEOUT_MS, 2_000),
        };
    }
  }

  /** Creates a connection that is closed when the application shuts down. */
  create(purpose: RedisPurpose): Redis {
    const client = new Redis(this.config.REDIS_URL, this.options(purpose));
    // Without a listener ioredis prints every failed reconnect; one warning per outage is enough.
    let reported = false;
    client.on('error', (error: Error) => {
      if (!reported) this.logger.warn(`redis (${purpose}) unavailable: ${error.message}`);
      reported = true;
    });
    client.on('ready', () => (reported = false));
    this.clients.add(client);
    return client;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(
      [...this.clients].map((client) => client.quit().catch(() => client.disconnect())),
    );
    this.clients.clear();
  }
}
