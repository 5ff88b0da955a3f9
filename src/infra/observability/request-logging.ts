import { Inject, Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest, onResponseHookHandler } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { requestLineWriter, routeField } from './request-line.js';
import { appendOnResponse } from './route-hooks.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';

/** Probe routes come every few seconds per pod and would drown the rest. */
const isProbe = (route: string) => route.startsWith('/health/');

/**
 * One line per request: method, route template, URL, status, duration and request id. Logged from
 * Fastify's onResponse hook, after the response has been sent, so the client never waits for it.
 * Probe routes (/health/*) are not logged.
 */
@Injectable()
export class RequestLogging {
  private unrouted?: (request: FastifyRequest, reply: FastifyReply) => void;

  constructor(
    private readonly logger: PinoLogger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Call before routes are registered (Nest registers them in app.init()), like HttpMetrics: each route
   * gets its own hook that already knows its template, so a request neither builds
   * `request.routeOptions` (a new object per read) nor tests its path. Requests that match no route are
   * logged by one global hook, without a route.
   */
  instrument(fastify: FastifyInstance): void {
    if (!this.config.REQUEST_LOGGING) return;
    const root = this.logger.logger;
    const write = requestLineWriter(root);
    const log = (
      request: FastifyRequest,
      reply: FastifyReply,
      route: string | undefined,
      field: string,
    ) => {
      const status = reply.statusCode;
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      const ms = Math.round(reply.elapsedTime * 10) / 10;
      if (write) {
        write(level, {
          requestId: request.id,
          method: request.method,
          url: request.url,
          routeField: field,
          status,
          ms,
        });
        return;
      }
      root[level](
        // Flat keys: pino's standard serializers would treat `req`/`res` as Node request objects.
        {
          requestId: request.id,
          method: request.method,
          url: request.url,
          route,
          status,
          ms,
        },
        'request completed',
      );
    };
    fastify.addHook('onRoute', (route) => {
      if (isProbe(route.url)) return;
      const template = route.url;
      const field = routeField(template);
      const hook: onResponseHookHandler = (request, reply, done) => {
        log(request, reply, template, field);
        done();
      };
      appendOnResponse(route, hook);
    });
    const unrouted = (this.unrouted = (request, reply) => log(request, reply, undefined, ''));
    fastify.addHook('onResponse', (request, reply, done) => {
      if (request.is404) unrouted(request, reply);
      done();
    });
  }

  /** A request the router refused before any hook ran (see bootstrap/router-errors.ts), without a route. */
  logUnrouted(request: FastifyRequest, reply: FastifyReply): void {
    this.unrouted?.(request, reply);
  }
}
