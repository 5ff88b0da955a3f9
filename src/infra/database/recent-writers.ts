import type { GuardedRedis } from '../redis/guarded-redis.js';

/**
 * Clients that wrote within the read-your-writes window. The mark lives in this process (free to read)
 * and in Redis (so the client's next request, served by another process or pod, sees it too).
 * When Redis cannot answer we assume the client did write: a primary read is slower, never stale.
 */
export class RecentWriters {
  private readonly local = new Map<string, number>();

  constructor(
    private readonly redis: GuardedRedis,
    private readonly windowMs: number,
  ) {}

  async mark(clientId: string): Promise<void> {
    if (this.windowMs === 0) return;
    const now = Date.now();
    if (this.local.size >= 10_000)
      for (const [id, until] of this.local) if (until <= now) this.local.delete(id);
    this.local.set(clientId, now + this.windowMs);
    await this.redis
      .run((r) => r.set(this.key(clientId), '1', 'PX', this.windowMs))
      .catch(() => undefined);
  }

  async wroteRecently(clientId: string): Promise<boolean> {
    if (this.windowMs === 0) return false;
    const until = this.local.get(clientId);
    if (until !== undefined) {
      if (until > Date.now()) return true;
      this.local.delete(clientId);
    }
    try {
      return (await this.redis.run((r) => r.exists(this.key(clientId)))) === 1;
    } catch {
      return true;
    }
  }

  private key(clientId: string): string {
    return `ryw:${clientId}`;
  }
}
