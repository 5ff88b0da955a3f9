/**
 * In-process fixed-window counters: the fallback limit for routes that must stay limited while Redis is
 * down. Per process, so N processes admit up to N times the limit; the map is bounded and swept.
 */
export class FixedWindowCounters {
  private readonly windows = new Map<string, { hits: number; resetAt: number }>();

  constructor(private readonly maxKeys = 100_000) {}

  hit(key: string, ttlMs: number, now = Date.now()): { hits: number; msLeft: number } {
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      if (this.windows.size >= this.maxKeys) this.sweep(now);
      window = { hits: 0, resetAt: now + ttlMs };
      this.windows.set(key, window);
    }
    window.hits++;
    return { hits: window.hits, msLeft: window.resetAt - now };
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
    // Still full of live windows: drop the oldest rather than grow without bound.
    if (this.windows.size >= this.maxKeys) this.windows.delete(this.windows.keys().next().value!);
  }
}
