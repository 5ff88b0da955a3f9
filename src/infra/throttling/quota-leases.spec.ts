import { type LeaseGrant, QuotaLeases } from './quota-leases.js';

/** The lease script's arithmetic over one in-memory counter per key, with the same window rules. */
function sharedCounter() {
  const counts = new Map<string, number>();
  const calls = { count: 0 };
  const take = async (key: string, ttlMs: number, limit: number, wanted: number) => {
    calls.count++;
    const used = counts.get(key) ?? 0;
    const granted = Math.max(1, Math.min(wanted, limit - used));
    counts.set(key, used + granted);
    return { hits: used + granted, msLeft: ttlMs, granted } satisfies LeaseGrant;
  };
  return { take, counts, calls };
}

async function admitted(leases: QuotaLeases, key: string, limit: number): Promise<boolean> {
  const hit = await leases.hit(key, 60_000, limit);
  return hit.totalHits <= limit;
}

describe('QuotaLeases', () => {
  it('leases 1% of the limit at most, at least 1, at most 500', () => {
    expect(QuotaLeases.maxLease(20)).toBe(1);
    expect(QuotaLeases.maxLease(600)).toBe(6);
    expect(QuotaLeases.maxLease(1_000_000_000)).toBe(500);
  });

  it('asks Redis on every hit when the limit is small (20): each hit is counted at once', async () => {
    const redis = sharedCounter();
    const leases = new QuotaLeases(redis.take);
    const results = [];
    for (let i = 0; i < 30; i++) results.push(await admitted(leases, 'k', 20));
    expect(redis.calls.count).toBe(30);
    expect(results.filter(Boolean)).toHaveLength(20);
    expect(results.slice(20).some(Boolean)).toBe(false);
  });

  it('pays for most hits of a hot key locally, and without a promise', async () => {
    const redis = sharedCounter();
    const leases = new QuotaLeases(redis.take);
    let synchronous = 0;
    for (let i = 0; i < 10_000; i++) {
      const hit = leases.hit('hot', 60_000, 1_000_000_000);
      if (!(hit instanceof Promise)) synchronous++;
      await hit;
    }
    // Leases of 1, 2, 4, ... 256, then 500 each: 9 + ceil((10,000 - 511) / 500) = 28 round trips.
    expect(redis.calls.count).toBe(28);
    expect(synchronous).toBe(10_000 - 28);
  });

  it('never admits more than the limit across processes sharing the counter', async () => {
    const redis = sharedCounter();
    const processes = [new QuotaLeases(redis.take), new QuotaLeases(redis.take)];
    let admittedCount = 0;
    for (let i = 0; i < 1_500; i++) {
      if (await admitted(processes[i % 2], 'client', 1_000)) admittedCount++;
    }
    expect(redis.counts.get('client')!).toBeGreaterThanOrEqual(1_000);
    expect(admittedCount).toBeLessThanOrEqual(1_000);
    // What the other process leased and did not spend: at most 1% of the limit.
    expect(admittedCount).toBeGreaterThanOrEqual(990);
  });

  it('keeps the tokens of concurrent leases of the same key', async () => {
    const redis = sharedCounter();
    const leases = new QuotaLeases(redis.take);
    for (let i = 0; i < 3; i++) await leases.hit('k', 60_000, 100_000); // leases of 1, 2 -> size 2
    // Both miss at once and lease 4 each: 8 tokens, 2 of them spent by these hits.
    await Promise.all([leases.hit('k', 60_000, 100_000), leases.hit('k', 60_000, 100_000)]);
    const before = redis.calls.count;
    for (let i = 0; i < 6; i++)
      expect(leases.hit('k', 60_000, 100_000)).not.toBeInstanceOf(Promise);
    expect(redis.calls.count).toBe(before);
    await leases.hit('k', 60_000, 100_000);
    expect(redis.calls.count).toBe(before + 1);
  });

  it('local() spends a leased token or nothing: it never asks Redis', async () => {
    const redis = sharedCounter();
    const leases = new QuotaLeases(redis.take);
    expect(leases.local('k')).toBeUndefined();
    await leases.hit('k', 60_000, 100_000); // a lease of 1, spent by this hit
    expect(leases.local('k')).toBeUndefined();
    await leases.hit('k', 60_000, 100_000); // a lease of 2: one token left
    expect(leases.local('k')).toMatchObject({ totalHits: 3 });
    expect(leases.local('k')).toBeUndefined();
    expect(redis.calls.count).toBe(2);
    expect(leases.stats).toEqual({ local: 1, redis: 2 });
  });

  it('starts again with a lease of 1 when the window has ended', async () => {
    const redis = sharedCounter();
    const leases = new QuotaLeases(redis.take);
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) await leases.hit('k', 60_000, 100_000, t0);
    // The lease of 2 still has a token, but its window ended: the hit goes to Redis.
    const calls = redis.calls.count;
    expect(leases.hit('k', 60_000, 100_000, t0 + 61_000)).toBeInstanceOf(Promise);
    expect(redis.calls.count).toBe(calls + 1);
  });
});
