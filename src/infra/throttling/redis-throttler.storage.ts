import { Logger, ServiceUnavailableException } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import type { GuardedRedis } from '../redis/guarded-redis.js';
import { FixedWindowCounters } from './fixed-window.js';

// One round trip, atomic: every process and pod increments the same counter.
const HIT_SCRIPT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {hits, ttl}`;

type ThrottleClient = Redis & {
  throttleHit(key: string, ttlMs: number): Promise<[number, number]>;
};

export type WithoutRedis = 'open' | 'memory' | 'closed';

export interface ThrottleStorageStats {
  failOpen: number;
  memory: number;
  closed: number;
}

/**
 * Fixed-window counters in Redis. @nestjs/throttler's own storage keeps an array of timestamps per key
 * in each process and filters it on every request: per-process limits, and O(hits) work on a hot key.
 * Here a hit is one INCR, whatever the load on the key, and the limit holds across processes and pods.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('Throttler');
  private readonly fallback = new FixedWindowCounters();
  readonly stats: ThrottleStorageStats = { failOpen: 0, memory: 0, closed: 0 };
  private lastWarning = 0;

  constructor(
    private readonly redis: GuardedRedis,
    private readonly policyFor: (throttlerName: string) => WithoutRedis,
  ) {
    redis.client.defineCommand('throttleHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    _blockDuration: number,
    throttlerName: string,
  ) {
    let hits: number;
    let msLeft: number;
    try {
      [hits, msLeft] = await this.redis.run((client) =>
        (client as ThrottleClient).throttleHit(key, ttl),
      );
    } catch (error) {
      ({ hits, msLeft } = this.withoutRedis(key, ttl, throttlerName, error as Error));
    }
    const secondsLeft = Math.max(1, Math.ceil(msLeft / 1000));
    // The window is the block: a client over the limit waits for its window to end.
    return {
      totalHits: hits,
      timeToExpire: secondsLeft,
      isBlocked: hits > limit,
      timeToBlockExpire: secondsLeft,
    };
  }

  private withoutRedis(key: string, ttl: number, throttlerName: string, error: Error) {
    const policy = this.policyFor(throttlerName);
    this.warn(`rate limits without Redis (${error.message}): ${throttlerName} routes ${policy}`);
    if (policy === 'closed') {
      this.stats.closed++;
      throw new ServiceUnavailableException('Rate limiting is unavailable; retry shortly');
    }
    if (policy === 'memory') {
      this.stats.memory++;
      return this.fallback.hit(key, ttl);
    }
    this.stats.failOpen++;
    return { hits: 0, msLeft: ttl };
  }

  private warn(message: string): void {
    // One line per 10 s, not one per request, during an outage.
    if (Date.now() - this.lastWarning < 10_000) return;
    this.lastWarning = Date.now();
    this.logger.warn(message);
  }
}
