import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  SetMetadata,
  UseInterceptors,
  applyDecorators,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { notModified, weakEtag } from '../../common/http-cache.js';
import { TwoTierCache } from './two-tier-cache.js';

const CACHEABLE = 'cache:route';

export interface CacheableOptions {
  /** Writes that bump one of these tags retire every cached response of the route. */
  tags: string[];
  ttlMs?: number;
}

interface CachedResponse {
  body: unknown;
  etag: string;
}

/**
 * Caches a GET route's response in the two-tier cache, keyed by its URL (path + query) and the current
 * versions of its tags, and answers If-None-Match with 304. For routes whose result depends only on the URL.
 */
export function Cacheable(options: CacheableOptions) {
  return applyDecorators(SetMetadata(CACHEABLE, options), UseInterceptors(CacheableInterceptor));
}

@Injectable()
export class CacheableInterceptor implements NestInterceptor {
  constructor(
    private readonly cache: TwoTierCache,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const options = this.reflector.get<CacheableOptions | undefined>(
      CACHEABLE,
      context.getHandler(),
    );
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!options || request.method !== 'GET') return next.handle();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return from(this.respond(options, request, reply, next));
  }

  private async respond(
    options: CacheableOptions,
    request: FastifyRequest,
    reply: FastifyReply,
    next: CallHandler,
  ) {
    const versions = await Promise.all(options.tags.map((tag) => this.cache.tagVersion(tag)));
    const render = async (): Promise<CachedResponse> => {
      const body = await lastValueFrom(next.handle());
      return { body, etag: weakEtag(JSON.stringify(body)) };
    };
    // Tag versions unknown (Redis down): serve uncached rather than risk a stale page.
    const response = versions.includes(null)
      ? await render()
      : await this.cache.getOrLoad(`route:${request.url}|${versions.join(',')}`, render, options);
    return notModified(request, reply, response!.etag) ? undefined : response!.body;
  }
}
