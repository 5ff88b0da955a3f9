import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import helmet from '@fastify/helmet';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppModule } from '../app.module.js';
import { HttpErrorFilter } from '../common/http-error.filter.js';
import { requestContext } from '../common/request-context.js';
import { createValidationPipe } from '../common/validation.pipe.js';
import type { AppConfig } from '../config/config.js';
import { Lifecycle } from '../infra/health/lifecycle.js';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Accepts the caller's x-request-id when it is a sane token, else makes one. */
function requestIdFor(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  const id = typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
  (req as IncomingMessage & { id?: string }).id = id; // pino-http reads it from the raw request
  return id;
}

/** TRUST_PROXY: true, false, a hop count, or a comma list of proxy addresses/CIDRs. */
function trustProxy(value: string): boolean | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  // Fastify takes a hop count as a number, but its type only names strings.
  return (/^\d+$/.test(value) ? Number(value) : value) as string;
}

/** Builds the HTTP application: Fastify, security headers, validation, error shape, request ids. */
export async function createHttpApp(config: AppConfig): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: trustProxy(config.TRUST_PROXY),
    genReqId: requestIdFor,
    // Keep answering requests on open keep-alive sockets while draining; Node closes them after the reply.
    return503OnClosing: false,
    // Idle keep-alive sockets are closed at once on shutdown; busy ones after their reply.
    forceCloseConnections: 'idle',
    keepAliveTimeout: 65_000, // longer than common load balancers' idle timeout (60 s), so they close first
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, adapter, {
    bufferLogs: true,
  });
  const lifecycle = app.get(Lifecycle);
  const fastify = adapter.getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    // While draining, tell keep-alive clients to reconnect elsewhere instead of reusing this socket.
    if (lifecycle.isShuttingDown) void reply.header('connection', 'close');
    (request.raw as IncomingMessage & { routeUrl?: string }).routeUrl = request.routeOptions.url;
    requestContext.run({ requestId: String(request.id) }, done);
  });

  app.useLogger(app.get(Logger));
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter());
  // The API serves JSON only, so the content-security policy can be the strictest one.
  await app.register(helmet, { contentSecurityPolicy: { directives: { defaultSrc: ["'none'"] } } });
  return app;
}
