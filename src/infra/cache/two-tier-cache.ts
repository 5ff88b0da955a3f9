import { Inject, Injectable, Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { Counter } from 'prom-client';
import { requestContext } from '../../common/request-context.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { Metrics } from '../observability/metrics.js';
import { GuardedRedis } from '../redis/guarded-redis.js';
import { InvalidationBus, tagKey } from './invalidation-bus.js';

// Negative results are cached too (a burst of requests for a missing id must not each hit the database).
const NOT_FOUND = '\u0000nf';
const L2_PREFIX = 'c:'; // the cache's namespace in a Redis it shares with BullMQ: never FLUSHDB

export interface LoadOptions {
  ttlMs?: number;
  /** Tags whose recent bump (a write) makes this load read from the primary, e.g. ['products']. */
  tags?: string[];
}

type Stored = { json: string; value: unknown };

/**
 * A cached value with the JSON it is stored as. A route can send `json` as its body (the bytes
 * serialising `value` gives, without doing it again on every hit). Undefined when the cache is off;
 * not JSON when `value` is null (a cached "not found").
 */
export interface CachedEntry<T> {
  value: T | null;
  json: string | undefined;
}

/**
 * In-process LRU (L1) over Redis (L2), with one load per key per process at a time (single-flight),
 * TTL jitter, short negative caching, and invalidation that reaches every process before a write returns.
 *
 * Consistency rules, each closing a race:
 * - A write invalidates L1 everywhere (acknowledged) *before* deleting the L2 key, so a process that was
 *   loading the old value either wrote it to L2 before the delete or sees the key's invalidation and does not.
 * - A load that started before an invalidation of its key is returned but not cached. Per key, not one
 *   epoch for the whole cache: under a steady stream of writes, loads of other keys must still fill it.
 * - For a short window after its invalidation a key (or a tag) is loaded from the primary, so a lagging
 *   replica cannot refill the cache with the old row.
 * - L1 is bypassed while invalidations may be missed (subscriber down, or Redis unhealthy), and cleared
 *   when they flow again.
 */
@Injectable()
export class TwoTierCache {
  private readonly logger = new Logger('Cache');
  private readonly l1: LRUCache<string, Stored>;
  private readonly inflight = new Map<string, Promise<Stored>>();
  // key → when its primary-read window ends and the epoch of its last invalidation.
  private readonly recentlyInvalidated = new Map<string, { freshUntil: number; epoch: number }>();
  private readonly tagVersions = new Map<string, number>();
  private readonly tagsBumpedAt = new Map<string, number>();
  // Counts invalidations. Loads that started before `untrustedBefore` cache nothing: their key's
  // invalidation may have been pruned from `recentlyInvalidated`, or L1 was cleared while they ran.
  private epoch = 0;
  private untrustedBefore = 0;
  // Plain numbers on the hot path; the Prometheus counter reads them at scrape time.
  private readonly counts = { l1Hit: 0, l1Miss: 0, l2Hit: 0, l2Miss: 0 };
  private readonly unacknowledged: Counter;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: GuardedRedis,
    private readonly bus: InvalidationBus,
    metrics: Metrics,
  ) {
    this.l1 = new LRUCache<string, Stored>({
      maxSize: config.CACHE_L1_MAX_BYTES,
      sizeCalculation: (stored, key) => stored.json.length + key.length + 64,
      ttlAutopurge: false,
    });
    const counts = this.counts;
    metrics.counter({
      name: 'cache_requests_total',
      help: 'Cache lookups by tier (l1, l2) and result (hit, miss); a database load is a miss in both tiers',
      labelNames: ['tier', 'result'],
      collect() {
        this.reset();
        this.inc({ tier: 'l1', result: 'hit' }, counts.l1Hit);
        this.inc({ tier: 'l1', result: 'miss' }, counts.l1Miss);
        this.inc({ tier: 'l2', result: 'hit' }, counts.l2Hit);
        this.inc({ tier: 'l2', result: 'miss' }, counts.l2Miss);
      },
    });
    this.unacknowledged = metrics.counter({
      name: 'cache_invalidations_unacknowledged_total',
      help: 'Invalidations not acknowledged by every process in time (L1 TTL bounds their staleness)',
    });
    const l1 = this.l1;
    metrics.gauge({
      name: 'cache_l1_bytes',
      help: 'Approximate size of the in-process cache (bounded by CACHE_L1_MAX_BYTES)',
      collect() {
        this.set(l1.calculatedSize);
      },
    });
    bus.onInvalidation((invalidation) => this.apply(invalidation.keys, invalidation.tags));
    bus.onReconnect(() => this.clearL1('invalidation subscription re-established'));
    redis.onRecovery(() => this.clearL1('Redis recovered'));
  }

  /**
   * The cached value for `key`, or the loader's result (cached in both tiers). `null` from the loader
   * means "not found" and is cached briefly.
   */
  async getOrLoad<T>(
    key: string,
    loader: () => Promise<T | null>,
    options: LoadOptions = {},
  ): Promise<T | null> {
    return (await this.getOrLoadEntry(key, loader, options)).value;
  }

  /**
   * getOrLoad, with the JSON the value is cached as (see CachedEntry). Not async: an L1 hit is returned
   * as it is, without a promise of its own on the hot path.
   */
  getOrLoadEntry<T>(
    key: string,
    loader: () => Promise<T | null>,
    options: LoadOptions = {},
  ): CachedEntry<T> | Promise<CachedEntry<T>> {
    if (!this.config.CACHE_ENABLED) return loader().then((value) => ({ value, json: undefined }));
    const useL1 = this.bus.listening && this.redis.healthy;
    if (useL1) {
      const hit = this.l1.get(key);
      if (hit !== undefined) {
        this.counts.l1Hit++;
        return hit as CachedEntry<T>;
      }
      this.counts.l1Miss++;
    }
    const running = this.inflight.get(key);
    if (running) return running as Promise<CachedEntry<T>>;
    const load = this.loadThrough(key, loader, options, useL1).finally(() =>
      this.inflight.delete(key),
    );
    this.inflight.set(key, load);
    return load as Promise<CachedEntry<T>>;
  }

  /** The current version of a tag (e.g. `products`), to build keys of entries a write must retire. */
  async tagVersion(tag: string): Promise<number | null> {
    if (!this.config.CACHE_ENABLED) return null;
    const known = this.tagVersions.get(tag);
    if (known !== undefined && this.bus.listening) return known;
    try {
      const stored = await this.redis.run((r) => r.get(tagKey(tag)));
      const version = Number(stored ?? 0);
      this.tagVersions.set(tag, Math.max(version, this.tagVersions.get(tag) ?? 0));
      return this.tagVersions.get(tag)!;
    } catch {
      return null; // unknown: callers skip the cache for tagged entries
    }
  }

  /**
   * Retires keys and tags everywhere. Resolves after every process dropped its copy (or the ack timeout),
   * so call it after the write commits and before answering.
   */
  async invalidate(keys: string[], tags: string[] = []): Promise<void> {
    // This process drops its copies first; the others when the message reaches them.
    this.apply(keys, {});
    const { acknowledged, tagVersions } = await this.bus.publish(
      keys,
      tags,
      this.config.CACHE_INVALIDATION_ACK_TIMEOUT_MS,
    );
    // Without Redis the tags still move on here, so this process stops serving their old entries.
    if (tags.length)
      this.apply(
        [],
        tagVersions ??
          Object.fromEntries(tags.map((tag) => [tag, (this.tagVersions.get(tag) ?? 0) + 1])),
      );
    if (!acknowledged) {
      this.unacknowledged.inc();
      this.logger.warn(
        `invalidation of ${keys.length} key(s) not acknowledged by every process in time`,
      );
    }
    if (keys.length)
      await this.redis.run((r) => r.del(...keys.map((k) => L2_PREFIX + k))).catch(() => undefined);
  }

  private apply(keys: string[], tags: Record<string, number>): void {
    const epoch = ++this.epoch;
    const freshUntil = Date.now() + this.config.READ_YOUR_WRITES_WINDOW_MS;
    for (const key of keys) {
      this.l1.delete(key);
      this.recentlyInvalidated.set(key, { freshUntil, epoch });
    }
    for (const [tag, version] of Object.entries(tags)) {
      this.tagVersions.set(tag, Math.max(version, this.tagVersions.get(tag) ?? 0));
      this.tagsBumpedAt.set(tag, Date.now());
    }
    if (this.recentlyInvalidated.size > 10_000) {
      const now = Date.now();
      for (const [key, entry] of this.recentlyInvalidated) {
        if (entry.freshUntil > now) continue;
        this.recentlyInvalidated.delete(key);
        this.untrustedBefore = Math.max(this.untrustedBefore, entry.epoch);
      }
    }
  }

  private async loadThrough<T>(
    key: string,
    loader: () => Promise<T | null>,
    options: LoadOptions,
    useL1: boolean,
  ): Promise<Stored> {
    const epoch = this.epoch;
    const fresh = this.writtenRecently(key, options.tags);
    if (!fresh) {
      const cached = await this.redis.run((r) => r.get(L2_PREFIX + key)).catch(() => undefined);
      if (cached != null) {
        this.counts.l2Hit++;
        const stored = { json: cached, value: cached === NOT_FOUND ? null : JSON.parse(cached) };
        if (useL1 && !this.invalidatedSince(key, epoch))
          this.l1.set(key, stored, { ttl: this.l1Ttl(stored.value) });
        return stored;
      }
      this.counts.l2Miss++;
    }
    // Right after a write, replicas may not have it yet: such loads read from the primary.
    const value = fresh ? await requestContext.preferPrimary(loader) : await loader();
    const stored = { json: value === null ? NOT_FOUND : JSON.stringify(value), value };
    // An invalidation arrived while loading: the value may predate the write. Serve it, cache nothing.
    if (this.invalidatedSince(key, epoch)) return stored;
    const ttlMs =
      value === null
        ? this.config.CACHE_NEGATIVE_TTL_MS
        : this.jitter(options.ttlMs ?? this.config.CACHE_TTL_MS);
    if (useL1) this.l1.set(key, stored, { ttl: this.l1Ttl(value) });
    // A process that may have missed invalidations does not know whether its read was fresh: no L2 fill.
    if (this.bus.listening) {
      void this.redis
        .run((r) => r.set(L2_PREFIX + key, stored.json, 'PX', ttlMs))
        .catch(() => undefined);
    }
    return stored;
  }

  /** Whether `key` may have been invalidated after a load that started at `epoch`. */
  private invalidatedSince(key: string, epoch: number): boolean {
    if (epoch < this.untrustedBefore) return true;
    return (this.recentlyInvalidated.get(key)?.epoch ?? 0) > epoch;
  }

  private writtenRecently(key: string, tags: string[] = []): boolean {
    const since = Date.now() - this.config.READ_YOUR_WRITES_WINDOW_MS;
    if ((this.recentlyInvalidated.get(key)?.freshUntil ?? 0) > Date.now()) return true;
    return tags.some((tag) => (this.tagsBumpedAt.get(tag) ?? 0) > since);
  }

  private l1Ttl(value: unknown): number {
    return value === null
      ? this.config.CACHE_NEGATIVE_TTL_MS
      : this.jitter(this.config.CACHE_L1_TTL_MS);
  }

  /** ±10%: entries filled together (a warm-up, a deploy) do not all expire in the same second. */
  private jitter(ttlMs: number): number {
    return Math.round(ttlMs * (0.9 + Math.random() * 0.2));
  }

  private clearL1(reason: string): void {
    if (this.l1.size) this.logger.log(`dropping ${this.l1.size} in-process entries: ${reason}`);
    this.l1.clear();
    // Loads still in flight may carry values from before the invalidations this process missed.
    this.untrustedBefore = ++this.epoch;
  }
}
