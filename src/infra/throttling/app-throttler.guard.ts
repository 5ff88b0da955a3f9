import { type ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';

type TrackedRequest = FastifyRequest & { user?: { id: string } };

/**
 * @nestjs/throttler's guard with three changes: callers are tracked by user id when authenticated (the
 * access-token guard runs first) and by client IP otherwise (Fastify's `request.ip`, which honours
 * TRUST_PROXY); keys are plain strings instead of a SHA-256 per request; headers use the IETF RateLimit-*
 * names, and every 429 carries a plain Retry-After.
 */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  throttled = 0;

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
