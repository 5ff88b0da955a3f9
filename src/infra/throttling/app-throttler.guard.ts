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
}

/**
 * @nestjs/throttler's guard with three changes: callers are tracked by user id when authenticated (the
 * access-token guard runs first) and by client IP otherwise (Fastify's `request.ip`, which honours
 * TRUST_PROXY); keys are plain strings instead of a SHA-256 per request; headers use the IETF RateLimit-*
 * names, and every 429 carries a plain Retry-After. The base guard reads six metadata keys per throttler
 * on every request (~5% of a cached read's CPU in a profile); here they are read once per route.
 */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  throttled = 0;
  private readonly routes = new WeakMap<object, WeakMap<object, RouteThrottle[]>>();

  async canActivate(context: ExecutionContext): Promise<boolean> {
    for (const route of this.routeThrottles(context)) {
      if (route.skip || (route.throttler.skipIf ?? this.commonOptions.skipIf)?.(context)) continue;
      const ttl = await this.resolveNumber(context, route.ttl, 'ttl', route.throttler.name);
      await this.handleRequest({
        context,
        throttler: route.throttler,
        limit: await this.resolveNumber(context, route.limit, 'limit', route.throttler.name),
        ttl,
        blockDuration: await this.resolveNumber(
          context,
          route.blockDuration ?? ttl,
          'blockDuration',
          route.throttler.name,
        ),
        getTracker: route.getTracker,
        generateKey: route.generateKey,
      });
    }
    return true;
  }

  private routeThrottles(context: ExecutionContext): RouteThrottle[] {
    const handler = context.getHandler();
    const classRef = context.getClass();
    let byClass = this.routes.get(handler);
    if (!byClass) this.routes.set(handler, (byClass = new WeakMap()));
    let throttles = byClass.get(classRef);
    if (!throttles) {
      const read = <T>(key: string, name: string) =>
        this.reflector.getAllAndOverride<T | undefined>(key + name, [handler, classRef]);
      throttles = this.throttlers.map((throttler) => ({
        throttler,
        skip: Boolean(read<boolean>(META.skip, throttler.name!)),
        limit: read<Resolvable<number>>(META.limit, throttler.name!) ?? throttler.limit,
        ttl: read<Resolvable<number>>(META.ttl, throttler.name!) ?? throttler.ttl,
        blockDuration:
          read<Resolvable<number>>(META.blockDuration, throttler.name!) ?? throttler.blockDuration,
        getTracker:
          read<ThrottlerGetTrackerFunction>(META.tracker, throttler.name!) ??
          throttler.getTracker ??
          this.commonOptions.getTracker!,
        generateKey:
          read<ThrottlerGenerateKeyFunction>(META.keyGenerator, throttler.name!) ??
          throttler.generateKey ??
          this.commonOptions.generateKey!,
      }));
      byClass.set(classRef, throttles);
    }
    return throttles;
  }

  private async resolveNumber(
    context: ExecutionContext,
    value: Resolvable<number>,
    option: string,
    throttlerName = 'default',
  ): Promise<number> {
    const resolved = typeof value === 'function' ? await value(context) : value;
    const number = Number(resolved);
    if (Number.isNaN(number))
      throw new Error(`Invalid "${option}" for the "${throttlerName}" throttler: ${resolved}`);
    return number;
  }

  protected async getTracker(request: Record<string, unknown>): Promise<string> {
    const req = request as unknown as TrackedRequest;
    return req.user ? `u:${req.user.id}` : `ip:${req.ip}`;
  }

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
