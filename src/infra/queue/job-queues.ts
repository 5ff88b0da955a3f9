import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  ServiceUnavailableException,
} from '@nestjs/common';
import { type Job, type JobsOptions, Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { RedisFactory } from '../redis/redis.factory.js';
import { QUEUE_NAMES, type QueueName } from './queue-names.js';
import { producerQueueOptions } from './queue-options.js';

/** Redis cannot take or answer queue commands: the caller gets 503 in the usual error shape. */
export class QueueUnavailableError extends ServiceUnavailableException {
  constructor(queue: string, cause: string) {
    super(`Background jobs are unavailable (queue ${queue}: ${cause}); retry later`);
  }
}

/**
 * The process's producer handles, one BullMQ Queue per queue name. Used by the API to add jobs and by
 * every process to read counts. Nothing here waits for Redis: an operation before the first connection,
 * or while Redis is down, throws QueueUnavailableError at once.
 */
@Injectable()
export class JobQueues implements OnApplicationShutdown {
  private readonly logger = new Logger('Queues');
  private readonly queues = new Map<QueueName, Queue>();
  // BullMQ waits for the first connection inside every command (the offline queue does not apply to
  // it), so until a queue has connected once we refuse instead of letting requests hang.
  private readonly connected = new Set<QueueName>();
  private outageReported = false;

  constructor(@Inject(APP_CONFIG) config: AppConfig, redis: RedisFactory) {
    for (const name of QUEUE_NAMES) {
      const queue = new Queue(name, producerQueueOptions(config, redis));
      queue.on('error', (error: Error) => {
        if (!this.outageReported)
          this.logger.warn(`redis unavailable for queues: ${error.message}`);
        this.outageReported = true;
      });
      queue.waitUntilReady().then(
        () => this.connected.add(name),
        () => undefined, // closed before it ever connected
      );
      this.queues.set(name, queue);
    }
  }

  names(): readonly QueueName[] {
    return QUEUE_NAMES;
  }

  /** The raw queue, for reads (Bull Board, counts, failed jobs); prefer `add`/`run` on request paths. */
  get(name: QueueName): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`unknown queue ${name}`);
    return queue;
  }

  /**
   * Adds a job. Give `jobId` when the work must happen once: adding an id that exists is a no-op,
   * so a producer that retries (the outbox relay after a crash) cannot enqueue the same work twice.
   */
  add<D extends object>(
    name: QueueName,
    jobName: string,
    data: D,
    options?: JobsOptions,
  ): Promise<Job<D>> {
    return this.run(name, (queue) => queue.add(jobName, data, options) as Promise<Job<D>>);
  }

  /** Runs a command on a queue, turning "Redis is not there" into QueueUnavailableError. */
  async run<T>(name: QueueName, command: (queue: Queue) => Promise<T>): Promise<T> {
    const queue = this.get(name);
    if (!this.connected.has(name)) throw new QueueUnavailableError(name, 'not connected to Redis');
    try {
      const result = await command(queue);
      this.outageReported = false;
      return result;
    } catch (error) {
      if (isRedisUnavailable(error))
        throw new QueueUnavailableError(name, (error as Error).message);
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(
      [...this.queues.values()].map((queue) =>
        // close() sends QUIT, which cannot go out while Redis is down; then just drop the socket.
        queue.close().catch(() => queue.disconnect().catch(() => undefined)),
      ),
    );
  }
}

/** The errors ioredis gives when a command cannot reach Redis (not a bug in the command). */
export function isRedisUnavailable(error: unknown): boolean {
  const message = (error as Error | undefined)?.message ?? '';
  return /Stream isn't writeable|Connection is closed|Command timed out|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Reached the max retries per request limit|connect ETIMEDOUT/.test(
    message,
  );
}
