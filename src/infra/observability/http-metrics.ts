import { Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest, onResponseHookHandler } from 'fastify';
import { appendOnResponse } from './route-hooks.js';
import { Metrics } from './metrics.js';
import { RouteDurationHistogram } from './route-duration-histogram.js';

/** The route label of every request that matched no route: one series, whatever the URL was. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Request metrics for the HTTP server: one histogram, fed by Fastify hooks. */
@Injectable()
export class HttpMetrics {
  readonly requestDuration = new RouteDurationHistogram();

  constructor(metrics: Metrics) {
    metrics.register(this.requestDuration);
  }

  /**
   * Call before routes are registered (Nest registers them in app.init()). Each route gets its own
   * onResponse hook that already knows the route template, so a request costs two Map lookups and a few
   * additions: no label strings, no objects (request.routeOptions would build one per request).
   * Requests that match no route are counted by a global hook under `route="unmatched"`: labelling them
   * by URL would let any client create series without bound.
   */
  instrument(fastify: FastifyInstance): void {
    const duration = this.requestDuration;
    fastify.addHook('onRoute', (route) => {
      const observe = duration.forRoute(route.url);
      const hook: onResponseHookHandler = (request, reply, done) => {
        observe(request.method, reply.statusCode, reply.elapsedTime / 1000);
        done();
      };
      appendOnResponse(route, hook);
    });
    fastify.addHook('onResponse', (request, reply, done) => {
      if (request.is404) this.observeUnrouted(request, reply);
      done();
    });
  }

  /** A request that matched no route: a 404, or one the router refused (see bootstrap/router-errors.ts). */
  observeUnrouted(request: FastifyRequest, reply: FastifyReply): void {
    this.requestDuration.observe(
      request.method,
      UNMATCHED_ROUTE,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  }
}
