/** What Redis answered for one lease: the key's count after it, its window's ms left, the tokens granted. */
export interface LeaseGrant {
  hits: number;
  msLeft: number;
  granted: number;
}

/** Takes up to `wanted` hits of `limit` from the shared counter at once (one atomic Redis script). */
export type TakeLease = (
  key: string,
  ttlMs: number,
  limit: number,
  wanted: number,
) => Promise<LeaseGrant>;

export interface Hit {
  totalHits: number;
  msLeft: number;
}

interface KeyLease {
  tokens: number; // hits this process may still admit without asking Redis
  hits: number; // the shared count when the last lease was granted
  size: number; // the last lease asked for: doubles while the key stays busy
  expiresAt: number;
}

/** A process never holds more than this share of a key's limit unspent (and never more than MAX_LEASE hits). */
const LEASE_SHARE = 0.01;
const MAX_LEASE = 500;

/**
 * Quota leases over a shared fixed-window counter. A hit that finds no local token asks Redis for a lease
 * of N hits (one atomic script: never more than the limit left) and the next N-1 hits of that key in this
 * process are admitted without a round trip. N starts at 1 and doubles with each lease in the same window,
 * up to 1% of the limit: a key far from busy costs one Redis call per hit as before, a hot one (a heavy
 * client, a load test) one per few hundred. The shared count never exceeds the limit, so the limit holds
 * across processes and pods exactly; what a process leased and did not spend is lost for the others, so
 * a client spread over P processes may be refused up to (P-1)% of its limit early. Limits under 200 get
 * leases of 1: every hit is counted in Redis at once, as without leases.
 */
export class QuotaLeases {
  private readonly leases = new Map<string, KeyLease>();
  /** Hits paid for by a local token, and hits that asked Redis (for the metrics). */
  readonly stats = { local: 0, redis: 0 };

  constructor(
    private readonly take: TakeLease,
    private readonly maxKeys = 100_000,
  ) {}

  static maxLease(limit: number): number {
    return Math.max(1, Math.min(MAX_LEASE, Math.floor(limit * LEASE_SHARE)));
  }

  /** Counts one hit if a local token pays for it; undefined (and nothing spent) when Redis must be asked. */
  local(key: string, now = Date.now()): Hit | undefined {
    const lease = this.leases.get(key);
    if (!lease || lease.expiresAt <= now || lease.tokens <= 0) return undefined;
    lease.tokens--;
    this.stats.local++;
    return { totalHits: lease.hits - lease.tokens, msLeft: lease.expiresAt - now };
  }

  /** Counts one hit: the result itself when a local token pays for it, a promise when Redis is asked. */
  hit(key: string, ttlMs: number, limit: number, now = Date.now()): Hit | Promise<Hit> {
    const paid = this.local(key, now);
    if (paid) return paid;
    const lease = this.leases.get(key);
    const current = lease && lease.expiresAt > now ? lease : undefined;
    const wanted = current ? Math.min(current.size * 2, QuotaLeases.maxLease(limit)) : 1;
    this.stats.redis++;
    return this.take(key, ttlMs, limit, wanted).then((grant) => this.granted(key, wanted, grant));
  }

  private granted(key: string, wanted: number, grant: LeaseGrant): Hit {
    const now = Date.now();
    const expiresAt = now + grant.msLeft;
    const lease = this.leases.get(key);
    // This hit spends one token; concurrent leases of the same key add up instead of dropping tokens.
    if (lease && lease.expiresAt > now) {
      lease.tokens += grant.granted - 1;
      lease.hits = Math.max(lease.hits, grant.hits);
      lease.size = Math.max(lease.size, wanted);
      lease.expiresAt = expiresAt;
      return { totalHits: lease.hits - lease.tokens, msLeft: grant.msLeft };
    }
    if (this.leases.size >= this.maxKeys) this.sweep(now);
    this.leases.set(key, { tokens: grant.granted - 1, hits: grant.hits, size: wanted, expiresAt });
    return { totalHits: grant.hits - (grant.granted - 1), msLeft: grant.msLeft };
  }

  private sweep(now: number): void {
    for (const [key, lease] of this.leases) if (lease.expiresAt <= now) this.leases.delete(key);
    if (this.leases.size >= this.maxKeys) this.leases.delete(this.leases.keys().next().value!);
  }
}
