import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '../config/config.js';

type CorsOptions = NonNullable<Parameters<NestFastifyApplication['enableCors']>[0]>;

// What a browser page may send and read. Auth is a bearer token, not a cookie, so no credentials mode:
// a cross-site page cannot ride on a user's session. Headers a client needs to read: the request id
// (support tickets), the ETag (If-None-Match), and the rate limit ones (back off before a 429).
const ALLOWED_HEADERS = ['authorization', 'content-type', 'if-none-match', 'x-request-id'];
const EXPOSED_HEADERS = [
  'etag',
  'x-request-id',
  'retry-after',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
];

/**
 * CORS for CORS_ORIGINS, through Nest's `enableCors` (@fastify/cors, answered in the first onRequest
 * hook: a preflight never reaches guards, the throttler or the request log). Nothing is registered when
 * the list is empty, so an API without browser clients pays nothing per request and sends no CORS headers.
 */
export function enableCors(app: NestFastifyApplication, config: AppConfig): void {
  if (config.CORS_ORIGINS.length === 0) return;
  const options: CorsOptions = {
    // A list is matched exactly and echoed back with `Vary: Origin`; other origins get no CORS headers,
    // so the browser withholds the response from the page.
    origin: config.CORS_ORIGINS.includes('*') ? '*' : config.CORS_ORIGINS,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    credentials: false,
    maxAge: 600, // browsers cache a preflight for 10 min (Chromium caps it at 2 h): one OPTIONS, not one per call
  };
  app.enableCors(options);
}
