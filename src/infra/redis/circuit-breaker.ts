export type BreakerState = 'closed' | 'open' | 'half-open';

export class BreakerOpenError extends Error {
  constructor(name: string) {
    super(`${name} circuit is open: skipping the call`);
  }
}

export interface BreakerOptions {
  name: string;
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long it stays open before one trial call is let through. */
  cooldownMs: number;
  /** Failures that open the circuit at once (a timeout: each one costs a caller the whole timeout). */
  tripsImmediately?: (error: unknown) => boolean;
  onStateChange?: (state: BreakerState, previous: BreakerState) => void;
  now?: () => number;
}

/**
 * A circuit breaker for a dependency the request path can live without (Redis here). Once open, a call
 * costs a comparison and a thrown error instead of a timeout; after the cooldown one trial call decides
 * whether to close again, so recovery needs no restart.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openUntil = 0;
  private trialInFlight = false;
  private readonly now: () => number;

  constructor(private readonly options: BreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  get state(): BreakerState {
    return this.current;
  }

  /** True when a call would be attempted now. */
  get allowsCalls(): boolean {
    return this.current === 'closed' || (this.now() >= this.openUntil && !this.trialInFlight);
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.current !== 'closed') {
      if (this.now() < this.openUntil || this.trialInFlight)
        throw new BreakerOpenError(this.options.name);
      this.transition('half-open');
      this.trialInFlight = true;
    }
    try {
      const result = await call();
      this.succeeded();
      return result;
    } catch (error) {
      this.failed(this.options.tripsImmediately?.(error) ?? false);
      throw error;
    }
  }

  private succeeded(): void {
    this.failures = 0;
    this.trialInFlight = false;
    if (this.current !== 'closed') this.transition('closed');
  }

  private failed(severe: boolean): void {
    this.trialInFlight = false;
    this.failures++;
    if (severe || this.current === 'half-open' || this.failures >= this.options.failureThreshold) {
      this.openUntil = this.now() + this.options.cooldownMs;
      if (this.current !== 'open') this.transition('open');
    }
  }

  private transition(next: BreakerState): void {
    const previous = this.current;
    this.current = next;
    this.options.onStateChange?.(next, previous);
  }
}
