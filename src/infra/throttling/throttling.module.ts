import { Module } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { RouteMemo } from '../../common/route-memo.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { Metrics } from '../observability/metrics.js';
import { GuardedRedis } from '../redis/guarded-redis.js';
import { AppThrottlerGuard } from './app-throttler.guard.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';
import { STRICT_THROTTLE } from './throttle.decorators.js';

/**
 * Two limits, both in Redis: `default` on every route (fails open without Redis: availability first),
 * and `auth` on routes marked @StrictThrottle() (without Redis: an in-process limit, or 503, per
 * THROTTLE_AUTH_WITHOUT_REDIS). The guard is registered by AppModule after the access-token guard.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG, GuardedRedis, Reflector, Metrics],
      useFactory: (
        config: AppConfig,
        redis: GuardedRedis,
        reflector: Reflector,
        metrics: Metrics,
      ) => {
        // Routes marked @StrictThrottle(), read from their metadata once per route.
        const strictRoutes = new RouteMemo(([handler]) =>
          Boolean(reflector.get<boolean>(STRICT_THROTTLE, handler)),
        );
        const storage = new RedisThrottlerStorage(redis, (name) =>
          name === 'auth' ? config.THROTTLE_AUTH_WITHOUT_REDIS : 'open',
        );
        metrics.counter({
          name: 'throttle_without_redis_total',
          help: 'Rate-limit checks made without Redis, by outcome: fail-open, memory (in-process limit), closed (503)',
          labelNames: ['outcome'],
          collect() {
            this.reset();
            this.inc({ outcome: 'fail-open' }, storage.stats.failOpen);
            this.inc({ outcome: 'memory' }, storage.stats.memory);
            this.inc({ outcome: 'closed' }, storage.stats.closed);
          },
        });
        metrics.counter({
          name: 'throttle_checks_total',
          help: 'Rate-limit checks by where they were counted: redis (a round trip) or lease (a token this process leased)',
          labelNames: ['counted'],
          collect() {
            this.reset();
            this.inc({ counted: 'redis' }, storage.leases.stats.redis);
            this.inc({ counted: 'lease' }, storage.leases.stats.local);
          },
        });
        return {
          throttlers: [
            { name: 'default', limit: config.THROTTLE_LIMIT, ttl: config.THROTTLE_TTL_MS },
            {
              name: 'auth',
              limit: config.THROTTLE_AUTH_LIMIT,
              ttl: config.THROTTLE_AUTH_TTL_MS,
              skipIf: (context) => !strictRoutes.get(context),
            },
          ],
          storage,
        };
      },
    }),
  ],
  providers: [
    AppThrottlerGuard,
    {
      provide: 'THROTTLED_METRIC',
      inject: [Metrics, AppThrottlerGuard],
      useFactory: (metrics: Metrics, guard: AppThrottlerGuard) =>
        metrics.counter({
          name: 'throttled_requests_total',
          help: 'Requests refused with 429',
          collect() {
            this.reset();
            this.inc(guard.throttled);
          },
        }),
    },
  ],
  exports: [AppThrottlerGuard],
})
export class ThrottlingModule {}
