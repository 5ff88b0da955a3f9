import { Logger, ServiceUnavailableException } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import type { GuardedRedis } from '../redis/guarded-redis.js';
import { FixedWindowCounters } from './fixed-window.js';
import { type Hit, QuotaLeases } from './quota-leases.js';

// One round trip, atomic: every process and pod counts against the same counter. It grants up to ARGV[3]
// hits but never more than the limit leaves; over the limit it still counts the hit (so it is refused).
const LEASE_SCRIPT = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local grant = math.min(tonumber(ARGV[3]), tonumber(ARGV[2]) - used)
if grant < 1 then grant = 1 end
local hits = redis.call('INCRBY', KEYS[1], grant)
if hits == grant then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {hits, ttl, grant}`;

type ThrottleClient = Redis & {
  throttleLease(
    key: string,
    ttlMs: number,
    limit: number,
    wanted: number,
  ): Promise<[number, number, number]>;
};

/** What ThrottlerStorage.increment resolves to (the package does not export the type by name). */
export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** A counted hit as the throttler guard reads it. The window is the block: over the limit, wait it out. */
function record({ totalHits, msLeft }: Hit, limit: number): ThrottlerStorageRecord {
  const secondsLeft = Math.max(1, Math.ceil(msLeft / 1000));
  return {
    totalHits,
    timeToExpire: secondsLeft,
    isBlocked: totalHits > limit,
    timeToBlockExpire: secondsLeft,
  };
}

export type WithoutRedis = 'open' | 'memory' | 'closed';

export interface ThrottleStorageStats {
  failOpen: number;
  memory: number;
  closed: number;
}

/**
 * Fixed-window counters in Redis. @nestjs/throttler's own storage keeps an array of timestamps per key
 * in each process and filters it on every request: per-process limits, and O(hits) work on a hot key.
 * Here a hit costs at most one INCRBY, whatever the load on the key, and the limit holds across processes
 * and pods; a busy key takes its hits in leases (see QuotaLeases), so most of its hits cost no round trip.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('Throttler');
  private readonly fallback = new FixedWindowCounters();
  readonly stats: ThrottleStorageStats = { failOpen: 0, memory: 0, closed: 0 };
  private lastWarning = 0;
  readonly leases: QuotaLeases;

  constructor(
    private readonly redis: GuardedRedis,
    private readonly policyFor: (throttlerName: string) => WithoutRedis,
  ) {
    redis.client.defineCommand('throttleLease', { numberOfKeys: 1, lua: LEASE_SCRIPT });
    this.leases = new QuotaLeases(async (key, ttlMs, limit, wanted) => {
      const [hits, msLeft, granted] = await this.redis.run((client) =>
        (client as ThrottleClient).throttleLease(key, ttlMs, limit, wanted),
      );
      return { hits, msLeft, granted };
    });
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    _blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    let hit: Hit;
    try {
      hit = await this.leases.hit(key, ttl, limit);
    } catch (error) {
      const { hits, msLeft } = this.withoutRedis(key, ttl, throttlerName, error as Error);
      hit = { totalHits: hits, msLeft };
    }
    return record(hit, limit);
  }

  /**
   * The hit counted synchronously when this process holds a leased token for the key (most hits of a
   * busy key), undefined when Redis must be asked: then call increment(), which asks it.
   */
  leased(key: string, limit: number): ThrottlerStorageRecord | undefined {
    const hit = this.leases.local(key);
    return hit && record(hit, limit);
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
