import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { GuardedRedis } from '../redis/guarded-redis.js';
import { RedisFactory } from '../redis/redis.factory.js';

const CHANNEL = 'cache:invalidate';
const ackChannel = (processId: string) => `cache:ack:${processId}`;
/** The Redis counter of a cache tag's version. */
export const tagKey = (tag: string) => `ctag:${tag}`;

// A write's tag bumps and its PUBLISH in one round trip: they were two (or more) commands in a row on
// every write, each with its own timer, parse and event-loop turn. The message is the JSON the caller
// built up to its tags object; the script appends each tag's new version and closes it.
// KEYS: tag counters. ARGV[1]: channel; ARGV[2]: message prefix; ARGV[3..]: the tags as JSON strings.
// Returns { receivers, version of KEYS[1], ... }.
const BUMP_AND_PUBLISH = `
local result, fields = {0}, {}
for i, key in ipairs(KEYS) do
  local version = redis.call('INCR', key)
  result[i + 1] = version
  fields[i] = ARGV[i + 2] .. ':' .. version
end
result[1] = redis.call('PUBLISH', ARGV[1], ARGV[2] .. table.concat(fields, ',') .. '}}')
return result`;

type BusClient = Redis & {
  bumpAndPublish(...keysThenArgs: Array<string | number>): Promise<number[]>;
};

export interface Invalidation {
  keys: string[];
  /** Tag versions after the write, e.g. { products: 42 }: list entries of older versions are dead. */
  tags: Record<string, number>;
}

interface Message extends Invalidation {
  id: string;
  origin: string;
}

/**
 * Carries invalidations to every process in every pod over Redis pub/sub, and lets the writer wait until
 * each subscriber has applied it: PUBLISH says how many subscribers received the message, and each one
 * answers on the writer's own ack channel once its in-process copy is gone. So when a write's response
 * returns, no process still serves the old value (unless a subscriber failed to answer in time; then the
 * short L1 TTL bounds the staleness and a counter records it).
 */
@Injectable()
export class InvalidationBus implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('CacheInvalidation');
  readonly processId = randomUUID();
  private readonly subscriber: Redis;
  private readonly pendingAcks = new Map<
    string,
    { needed: number; received: number; done: () => void }
  >();
  private handler: (invalidation: Invalidation) => void = () => undefined;
  private connected = false;
  private reconnectListeners: Array<() => void> = [];

  constructor(
    factory: RedisFactory,
    private readonly redis: GuardedRedis,
  ) {
    this.subscriber = factory.create('subscriber');
    redis.client.defineCommand('bumpAndPublish', { lua: BUMP_AND_PUBLISH });
  }

  /** True while invalidations from other processes can reach this one. */
  get listening(): boolean {
    return this.connected;
  }

  onInvalidation(handler: (invalidation: Invalidation) => void): void {
    this.handler = handler;
  }

  /** Called each time the subscription is (re)established: invalidations may have been missed meanwhile. */
  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  onModuleInit(): void {
    this.subscriber.on('message', (channel: string, payload: string) =>
      this.receive(channel, payload),
    );
    let subscribed = false;
    this.subscriber.on('ready', () => {
      // On a reconnect ioredis sends the SUBSCRIBE again before 'ready': messages flow again from here.
      if (!subscribed || this.connected) return;
      this.reconnectListeners.forEach((listener) => listener());
      this.connected = true;
    });
    this.subscriber.on('close', () => (this.connected = false));
    // Not awaited: with Redis down at boot the subscription completes when it comes back, and until
    // then `listening` is false, so the cache runs without L1 rather than blocking startup.
    this.subscriber.subscribe(CHANNEL, ackChannel(this.processId)).then(
      () => {
        subscribed = true;
        this.connected = true;
      },
      (error: Error) => this.logger.warn(`cannot subscribe to invalidations: ${error.message}`),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.pendingAcks.forEach((pending) => pending.done());
  }

  /**
   * Bumps the version of each tag, publishes the invalidation of `keys` and those versions, and resolves
   * once every subscriber applied it, or after `timeoutMs`. Says whether all acknowledged, and the tags'
   * new versions (null when Redis did not answer: nothing was published either).
   */
  async publish(
    keys: string[],
    tags: string[],
    timeoutMs: number,
  ): Promise<{ acknowledged: boolean; tagVersions: Record<string, number> | null }> {
    const id = randomUUID();
    const prefix = `${JSON.stringify({ id, origin: this.processId, keys }).slice(0, -1)},"tags":{`;
    let timer: NodeJS.Timeout | undefined;
    const acked = new Promise<boolean>((resolve) => {
      this.pendingAcks.set(id, { needed: Infinity, received: 0, done: () => resolve(true) });
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      const [receivers, ...versions] = await this.redis.run((r) =>
        (r as BusClient).bumpAndPublish(
          tags.length,
          ...tags.map(tagKey),
          CHANNEL,
          prefix,
          ...tags.map((tag) => JSON.stringify(tag)),
        ),
      );
      const tagVersions = Object.fromEntries(tags.map((tag, i) => [tag, Number(versions[i])]));
      const pending = this.pendingAcks.get(id)!;
      pending.needed = receivers;
      if (pending.received >= receivers) pending.done();
      return { acknowledged: await acked, tagVersions };
    } catch {
      return { acknowledged: false, tagVersions: null };
    } finally {
      clearTimeout(timer);
      this.pendingAcks.delete(id);
    }
  }

  private receive(channel: string, payload: string): void {
    if (channel === CHANNEL) {
      let message: Message;
      try {
        message = JSON.parse(payload) as Message;
      } catch {
        return;
      }
      // The writer applied its own invalidation before publishing; hearing it back only proves that its
      // subscription was among PUBLISH's receivers, so it counts as an ack without a round trip.
      if (message.origin === this.processId) return this.acknowledge(message.id);
      this.handler(message);
      void this.redis
        .run((r) => r.publish(ackChannel(message.origin), message.id))
        .catch(() => undefined);
      return;
    }
    this.acknowledge(payload);
  }

  private acknowledge(messageId: string): void {
    const pending = this.pendingAcks.get(messageId);
    if (pending && ++pending.received >= pending.needed) pending.done();
  }
}
