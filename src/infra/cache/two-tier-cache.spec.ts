import type { AppConfig } from '../../config/config.js';
import { Metrics } from '../observability/metrics.js';
import type { GuardedRedis } from '../redis/guarded-redis.js';
import type { Invalidation, InvalidationBus } from './invalidation-bus.js';
import { TwoTierCache } from './two-tier-cache.js';

// The cache's own rules, with a Map standing in for Redis and a bus that delivers to this process only.
// Cross-process behaviour against a real Redis is test/reliability/cache-cluster.spec.ts.
function cacheWithFakes() {
  const l2 = new Map<string, string>();
  const client = {
    get: async (key: string) => l2.get(key) ?? null,
    set: async (key: string, value: string) => void l2.set(key, value),
    del: async (...keys: string[]) => keys.forEach((key) => l2.delete(key)),
  };
  const redis = {
    healthy: true,
    run: <T>(command: (c: typeof client) => Promise<T>) => command(client),
    onRecovery: () => undefined,
  } as unknown as GuardedRedis;
  let deliver: (invalidation: Invalidation) => void = () => undefined;
  let tagVersion = 0;
  const bus = {
    listening: true,
    onInvalidation: (handler: typeof deliver) => (deliver = handler),
    onReconnect: () => undefined,
    publish: async (keys: string[], tags: string[]) => {
      const tagVersions = Object.fromEntries(tags.map((tag) => [tag, ++tagVersion]));
      deliver({ keys, tags: tagVersions });
      return { acknowledged: true, tagVersions };
    },
  } as unknown as InvalidationBus;
  const config = {
    CACHE_ENABLED: true,
    CACHE_TTL_MS: 60_000,
    CACHE_L1_TTL_MS: 10_000,
    CACHE_NEGATIVE_TTL_MS: 2_000,
    CACHE_L1_MAX_BYTES: 1_048_576,
    CACHE_INVALIDATION_ACK_TIMEOUT_MS: 250,
    READ_YOUR_WRITES_WINDOW_MS: 0,
  } as AppConfig;
  return { cache: new TwoTierCache(config, redis, bus, new Metrics()), l2 };
}

/** A loader that resolves when told to, counting its calls. */
function gatedLoader(value: string) {
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const loader = Object.assign(
    async () => {
      loader.calls++;
      await gate;
      return value;
    },
    { calls: 0, open: () => open() },
  );
  return loader;
}

describe('TwoTierCache', () => {
  it('single-flights concurrent loads of one key', async () => {
    const { cache } = cacheWithFakes();
    const loader = gatedLoader('v1');
    const all = Promise.all(Array.from({ length: 50 }, () => cache.getOrLoad('k', loader)));
    loader.open();
    expect(await all).toEqual(Array(50).fill('v1'));
    expect(loader.calls).toBe(1);
  });

  it('does not cache a load that an invalidation of its own key overtook', async () => {
    const { cache, l2 } = cacheWithFakes();
    const stale = gatedLoader('old');
    const pending = cache.getOrLoad('k', stale);
    await cache.invalidate(['k']);
    stale.open();
    expect(await pending).toBe('old'); // served to the request that asked, never cached
    expect(l2.has('c:k')).toBe(false);
    expect(await cache.getOrLoad('k', async () => 'new')).toBe('new');
  });

  it('still caches a load when only other keys were invalidated meanwhile', async () => {
    const { cache, l2 } = cacheWithFakes();
    const loader = gatedLoader('v1');
    const pending = cache.getOrLoad('k', loader);
    await cache.invalidate(['other-key'], ['products']);
    loader.open();
    await pending;
    expect(l2.get('c:k')).toBe('"v1"');
    const again = gatedLoader('unused');
    expect(await cache.getOrLoad('k', again)).toBe('v1');
    expect(again.calls).toBe(0);
  });
});
