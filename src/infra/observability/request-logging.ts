import { Inject, Injectable } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';

/**
 * One line per request: method, route template, URL, status, duration and request id. Logged from
 * Fastify's onResponse hook, after the response has been sent, so the client never waits for it.
 * Probe routes (/health/*) are not logged: they come every few seconds per pod and drown the rest.
 */
@Injectable()
export class RequestLogging {
  constructor(
    private readonly logger: PinoLogger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  instrument(fastify: FastifyInstance): void {
    if (!this.config.REQUEST_LOGGING) return;
    const root = this.logger.logger;
    fastify.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url;
      if (route?.startsWith('/health/')) return done();
      const status = reply.statusCode;
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      root[level](
        // Flat keys: pino's standard serializers would treat `req`/`res` as Node request objects.
        {
          requestId: request.id,
          method: request.method,
          url: request.url,
          route,
          status,
          ms: Math.round(reply.elapsedTime * 10) / 10,
        },
        'request completed',
      );
      done();
    });
  }
}
