import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { Metrics } from '../observability/metrics.js';
import { type BreakerState, CircuitBreaker } from './circuit-breaker.js';
import { REQUEST_REDIS } from './redis.tokens.js';

const STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/**
 * The request path's access to Redis: every command has a short timeout (REDIS_COMMAND_TIMEOUT_MS on
 * the connection) and goes through one circuit breaker, so a dead or hung Redis costs at most one timeout
 * per cooldown, not one per request. Callers decide what to do without Redis (serve from the database,
 * fail open, fall back to an in-process limit).
 */
@Injectable()
export class GuardedRedis {
  private readonly logger = new Logger('Redis');
  private readonly breaker: CircuitBreaker;
  private readonly recoveryListeners: Array<() => void> = [];

  constructor(
    @Inject(REQUEST_REDIS) readonly client: Redis,
    metrics: Metrics,
  ) {
    const state = metrics.gauge({
      name: 'redis_circuit_state',
      help: 'Request-path Redis circuit: 0 closed (healthy), 1 half-open (trying), 2 open (skipping Redis)',
      aggregator: 'max',
    });
    this.breaker = new CircuitBreaker({
      name: 'redis',
      failureThreshold: 3,
      cooldownMs: 1_000,
      // A hung Redis makes every command wait the full timeout: stop after the first, not the third.
      tripsImmediately: (error) => error instanceof Error && /timed out/i.test(error.message),
      onStateChange: (next, previous) => {
        state.set(STATE_VALUE[next]);
        if (next === 'open' && previous === 'closed')
          this.logger.warn('Redis unavailable: circuit open, degrading');
        if (next === 'closed') {
          this.logger.log('Redis available again: circuit closed');
          this.recoveryListeners.forEach((listener) => listener());
        }
      },
    });
    state.set(0);
  }

  /** Whether Redis is believed healthy now (the circuit is closed). */
  get healthy(): boolean {
    return this.breaker.state === 'closed';
  }

  /** Runs a command through the breaker; rejects at once while the circuit is open. */
  run<T>(command: (client: Redis) => Promise<T>): Promise<T> {
    return this.breaker.run(() => command(this.client));
  }

  /** Called when Redis comes back after an outage (e.g. to drop state that may have missed updates). */
  onRecovery(listener: () => void): void {
    this.recoveryListeners.push(listener);
  }
}
