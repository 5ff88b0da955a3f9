import { type ExecutionContext, Injectable } from '@nestjs/common';
import {
  ThrottlerGuard,
  type Resolvable,
  type ThrottlerGenerateKeyFunction,
  type ThrottlerGetTrackerFunction,
  type ThrottlerLimitDetail,
  type ThrottlerOptions,
} from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RouteMemo } from '../../common/route-memo.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';

type TrackedRequest = FastifyRequest & { user?: { id: string } };

// The metadata keys @nestjs/throttler's decorators (@Throttle, @SkipThrottle, ...) write, plus the name
// of the throttler; the package does not export them.
const META = {
  skip: 'THROTTLER:SKIP',
  limit: 'THROTTLER:LIMIT',
  ttl: 'THROTTLER:TTL',
  blockDuration: 'THROTTLER:BLOCK_DURATION',
  tracker: 'THROTTLER:TRACKER',
  keyGenerator: 'THROTTLER:KEY_GENERATOR',
};

/** What one throttler does on one route, read from the route's metadata once. */
interface RouteThrottle {
  throttler: ThrottlerOptions;
  skip: boolean;
  limit: Resolvable<number>;
  ttl: Resolvable<number>;
  blockDuration: Resolvable<number> | undefined;
  getTracker: ThrottlerGetTrackerFunction;
  generateKey: ThrottlerGenerateKeyFunction;
  /** Set when nothing on the route overrides the defaults: a leased hit is then counted without a promise. */
  fast?: FastRoute;
}

/** What the synchronous path needs: static numbers, this guard's own tracker and key, the header names. */
interface FastRoute {
  limit: number;
  keyPrefix: string;
  headers: { limit: string; remaining: string; reset: string } | undefined;
}

/** Authenticated callers by user id (the access-token guard runs first), the rest by client IP. */
function trackerOf(req: TrackedRequest): string {
  return req.user ? `u:${req.user.id}` : `ip:${req.ip}`;
}

/** A limit, ttl or block duration: a number as it is, a function called for this request. */
function resolveNumber(
  context: ExecutionContext,
  value: Resolvable<number>,
  option: string,
  throttlerName: string,
): number | Promise<number> {
  if (typeof value === 'number') return value;
  return Promise.resolve(typeof value === 'function' ? value(context) : value).then((resolved) => {
    const number = Number(resolved);
    if (Number.isNaN(number))
      throw new Error(`Invalid "${option}" for the "${throttlerName}" throttler: ${resolved}`);
    return number;
  });
}

/**
 * @nestjs/throttler's guard with three changes: callers are tracked by user id when authenticated (the
 * access-token guard runs first) and by client IP otherwise (Fastify's `request.ip`, which honours
 * TRUST_PROXY); keys are plain strings instead of a SHA-256 per request; headers use the IETF RateLimit-*
 * names, and every 429 carries a plain Retry-After. The base guard reads six metadata keys per throttler
 * on every request (with the access-token guard's, reflect-metadata was 4.8% of a cached read's CPU in
 * a profile, 0.5% after); here they are read once per route.
 */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  throttled = 0;
  private readonly routes = new RouteMemo((targets) =>
    this.throttlers.map((throttler): RouteThrottle => {
      const read = <T>(key: string) =>
        this.reflector.getAllAndOverride<T | undefined>(key + throttler.name, targets);
      const route: RouteThrottle = {
        throttler,
        skip: Boolean(read<boolean>(META.skip)),
        limit: read<Resolvable<number>>(META.limit) ?? throttler.limit,
        ttl: read<Resolvable<number>>(META.ttl) ?? throttler.ttl,
        blockDuration: read<Resolvable<number>>(META.blockDuration) ?? throttler.blockDuration,
        getTracker:
          read<ThrottlerGetTrackerFunction>(META.tracker) ??
          throttler.getTracker ??
          this.commonOptions.getTracker!,
        generateKey:
          read<ThrottlerGenerateKeyFunction>(META.keyGenerator) ??
          throttler.generateKey ??
          this.commonOptions.generateKey!,
      };
      route.fast = this.fastRoute(route, targets);
      return route;
    }),
  );

  /** The synchronous path's settings for a route, or undefined when something on it needs the full one. */
  private fastRoute(
    route: RouteThrottle,
    [handler, classRef]: [{ name: string }, { name: string }],
  ): FastRoute | undefined {
    const { throttler } = route;
    const moduleOptions = Array.isArray(this.options) ? undefined : this.options;
    const ownTracker =
      route.getTracker === this.commonOptions.getTracker && !moduleOptions?.getTracker;
    const ownKey =
      route.generateKey === this.commonOptions.generateKey && !moduleOptions?.generateKey;
    const staticNumbers = [route.limit, route.ttl, route.blockDuration ?? route.ttl].every(
      (value) => typeof value === 'number',
    );
    const userAgents = throttler.ignoreUserAgents ?? this.commonOptions.ignoreUserAgents;
    if (!(this.storageService instanceof RedisThrottlerStorage)) return undefined;
    if (!ownTracker || !ownKey || !staticNumbers || Array.isArray(userAgents)) return undefined;
    const name = throttler.name ?? 'default';
    const suffix = name === 'default' ? '' : `-${name}`;
    const setHeaders = throttler.setHeaders ?? this.commonOptions.setHeaders ?? true;
    const prefix = this.headerPrefix;
    return {
      limit: route.limit as number,
      keyPrefix: `thr:${name}:${classRef.name}.${handler.name}:`,
      headers: setHeaders
        ? {
            limit: `${prefix}-Limit${suffix}`,
            remaining: `${prefix}-Remaining${suffix}`,
            reset: `${prefix}-Reset${suffix}`,
          }
        : undefined,
    };
  }

  /**
   * A busy client's hit is usually paid by a token this process leased (QuotaLeases): then it is counted,
   * and its headers set, without a promise, so the request goes on in the same tick (the async path cost
   * a cached read about 8 µs in a profile, most of it in promises and microtasks). Anything else (a key
   * with no token, a route with its own tracker, key or resolvable limits) takes the full path from there.
   */
  // @ts-expect-error The base declares Promise<boolean>; Nest's guards consumer takes a boolean as it is.
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const routes = this.routes.get(context);
    // switchToHttp() makes three closures on every call: once per request.
    const http = context.switchToHttp();
    for (let index = 0; index < routes.length; index++) {
      const route = routes[index];
      if (this.skipped(route, context)) continue;
      const fast = route.fast;
      if (!fast) return this.activateFrom(context, routes, index);
      const counted = (this.storageService as RedisThrottlerStorage).leased(
        fast.keyPrefix + trackerOf(http.getRequest<TrackedRequest>()),
        fast.limit,
      );
      // A leased token is never over the limit; a hit that is goes through the full path to its 429.
      if (!counted || counted.isBlocked) return this.activateFrom(context, routes, index);
      if (fast.headers) {
        const reply = http.getResponse<FastifyReply>();
        reply.header(fast.headers.limit, fast.limit);
        reply.header(fast.headers.remaining, Math.max(0, fast.limit - counted.totalHits));
        reply.header(fast.headers.reset, counted.timeToExpire);
      }
    }
    return true;
  }

  private skipped(route: RouteThrottle, context: ExecutionContext): boolean {
    return Boolean(route.skip || (route.throttler.skipIf ?? this.commonOptions.skipIf)?.(context));
  }

  /** @nestjs/throttler's loop over the throttlers, from `start`, with each option resolved per request. */
  private async activateFrom(
    context: ExecutionContext,
    routes: RouteThrottle[],
    start: number,
  ): Promise<boolean> {
    for (let index = start; index < routes.length; index++) {
      const route = routes[index];
      if (index > start && this.skipped(route, context)) continue;
      const name = route.throttler.name ?? 'default';
      // Static numbers (the usual case) are used as they are: no await, so no microtask per option.
      let ttl = resolveNumber(context, route.ttl, 'ttl', name);
      if (typeof ttl !== 'number') ttl = await ttl;
      let limit = resolveNumber(context, route.limit, 'limit', name);
      if (typeof limit !== 'number') limit = await limit;
      let blockDuration = resolveNumber(context, route.blockDuration ?? ttl, 'blockDuration', name);
      if (typeof blockDuration !== 'number') blockDuration = await blockDuration;
      await this.handleRequest({
        context,
        throttler: route.throttler,
        limit,
        ttl,
        blockDuration,
        getTracker: route.getTracker,
        generateKey: route.generateKey,
      });
    }
    return true;
  }

  protected async getTracker(request: Record<string, unknown>): Promise<string> {
    return trackerOf(request as unknown as TrackedRequest);
  }

  // The fast path builds the same key from its precomputed prefix: change both together.
  protected generateKey(context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `thr:${throttlerName}:${context.getClass().name}.${context.getHandler().name}:${tracker}`;
  }

  protected async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    this.throttled++;
    // The base class names it Retry-After-<throttler> for named limits; clients look for the plain one.
    void context
      .switchToHttp()
      .getResponse<FastifyReply>()
      .header('retry-after', detail.timeToBlockExpire);
    return super.throwThrottlingException(context, detail);
  }

  async onModuleInit(): Promise<void> {
    await super.onModuleInit();
    this.headerPrefix = 'RateLimit';
  }
}
