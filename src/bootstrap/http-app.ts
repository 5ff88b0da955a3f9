import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppModule } from '../app.module.js';
import { HttpErrorFilter } from '../common/http-error.filter.js';
import { type RequestContext, requestContext } from '../common/request-context.js';
import { createValidationPipe } from '../common/validation.pipe.js';
import type { AppConfig } from '../config/config.js';
import { Lifecycle } from '../infra/health/lifecycle.js';
import { HttpMetrics } from '../infra/observability/http-metrics.js';
import { RequestLogging } from '../infra/observability/request-logging.js';
import { apiSecurityHeaders, securityHeaders } from './security-headers.js';
import { BOARD_PATH, BullBoardMount } from '../admin/bull-board.js';
import { MultipartSupport } from '../products/jobs/product-jobs.module.js';
import { enableCors } from './cors.js';
import { answerWrongMethodWith405 } from './method-not-allowed.js';
import { type RouterErrorListener, routerErrorHandler } from './router-errors.js';
import { setupOpenApi } from './openapi.js';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Accepts the caller's x-request-id when it is a sane token, else makes one. */
function requestIdFor(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  const id = typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
  (req as IncomingMessage & { id?: string }).id = id; // pino-http reads it from the raw request
  return id;
}

/** Builds the HTTP application: Fastify, security headers, validation, error shape, request ids. */
export async function createHttpApp(config: AppConfig): Promise<NestFastifyApplication> {
  const apiHeaders = apiSecurityHeaders();
  // The router's errors are answered before Nest exists; they are counted and logged once it does.
  const routerErrors: { after?: RouterErrorListener } = {};
  const adapter = new FastifyAdapter({
    frameworkErrors: routerErrorHandler(apiHeaders, routerErrors),
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY, // validated in the config: see env.schema.ts
    genReqId: requestIdFor,
    // Keep answering requests on open keep-alive sockets while draining; Node closes them after the reply.
    return503OnClosing: false,
    // Idle keep-alive sockets are closed at once on shutdown; busy ones after their reply.
    forceCloseConnections: 'idle',
    keepAliveTimeout: 65_000, // longer than common load balancers' idle timeout (60 s), so they close first
    // Fastify sets no request deadline by default (Node's own is 300 s), and Node checks its deadlines
    // only every 30 s: without these, a client that trickles its headers or body holds a socket for as long
    // as it likes, and enough of them exhaust the server's file descriptors and memory (slowloris).
    requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
    http: {
      headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
      connectionsCheckingInterval: Math.min(
        5_000,
        Math.max(100, Math.round(config.HTTP_HEADERS_TIMEOUT_MS / 4)),
      ),
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, adapter, {
    bufferLogs: true,
  });
  const lifecycle = app.get(Lifecycle);
  const fastify = adapter.getInstance();
  enableCors(app, config);
  // Pages (the docs UI and the queue dashboard, whose assets are all served from here) get helmet's full
  // set. JSON responses get the headers that protect an API response (OWASP REST Security Cheat Sheet):
  // the rest only act on documents. Setting and checking headers was 7.8-8.0% of a cached read's CPU in
  // the profile with helmet's 12 on every reply, 5.8% with these 4.
  const pageHeaders = securityHeaders({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
      },
    },
  });
  const isPage = (url: string) => url.startsWith('/docs') || url.startsWith(BOARD_PATH);
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(isPage(request.url) ? pageHeaders : apiHeaders);
    void reply.header('x-request-id', request.id);
    // While draining, tell keep-alive clients to reconnect elsewhere instead of reusing this socket.
    if (lifecycle.isShuttingDown) void reply.header('connection', 'close');
    (request as unknown as { context: RequestContext }).context = { requestId: String(request.id) };
    done();
  });
  // The request context (async local storage) is entered last, right before the handler: Fastify parses
  // bodies on socket events, which would drop a context entered in onRequest.
  fastify.addHook('preHandler', (request, _reply, done) => {
    requestContext.run((request as unknown as { context: RequestContext }).context, done);
  });
  answerWrongMethodWith405(fastify); // before app.init(), which adds the routes it must see
  // Before app.init() registers the routes: each route gets its own duration hook.
  app.get(HttpMetrics).instrument(fastify);
  app.get(RequestLogging).instrument(fastify);
  const [metrics, logging] = [app.get(HttpMetrics), app.get(RequestLogging)];
  routerErrors.after = (request, reply) => {
    metrics.observeUnrouted(request, reply);
    logging.logUnrouted(request, reply);
  };
  if (config.ENABLE_DIAGNOSTICS) {
    // Lets tests assert how many queries a request ran (one per page, one per cold key) and where reads went.
    fastify.addHook('onSend', (request, reply, payload, done) => {
      const context = (request as unknown as { context?: RequestContext }).context;
      void reply.header('x-db-queries', String(context?.queries ?? 0));
      void reply.header('x-pid', String(process.pid));
      if (context?.dbRoute) void reply.header('x-db-route', context.dbRoute);
      done(null, payload);
    });
  }

  // Fastify plugins go in before Nest initialises, so Nest's error handler covers their routes too.
  for (const mount of [MultipartSupport, BullBoardMount]) await app.get(mount).registerOn(app);

  app.useLogger(app.get(Logger));
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter());
  setupOpenApi(app);
  return app;
}
