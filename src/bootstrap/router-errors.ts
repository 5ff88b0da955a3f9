import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorBody } from '../common/http-error.filter.js';

/** What the app does once it has answered: count and log the request (no Fastify hook runs for it). */
export type RouterErrorListener = (request: FastifyRequest, reply: FastifyReply) => void;

/** Fastify's router errors, in our words. The path is not repeated: it can be as long as a URL gets. */
const MESSAGES: Record<string, string> = {
  FST_ERR_BAD_URL: 'The URL is not valid: a "%" must start an escape such as %20',
  FST_ERR_MAX_PARAM_LENGTH: 'A path parameter is too long',
};

/**
 * Fastify's `frameworkErrors`: the router answers a malformed URL (`/products/%ZZ`, 400) or an
 * over-long path parameter (414) before any hook, guard or exception filter runs. Its own answer
 * (and Nest's, which passes the error to Fastify's default handler) has another shape, a `code`, no
 * request id and no security headers, and repeats the whole path (5 KB for a 5 KB parameter). This one
 * sends the error shape every other response has, with the API's headers.
 */
export function routerErrorHandler(
  headers: Record<string, string>,
  /** Set once the app exists: the handler can run before (a request during startup). */
  listeners: { after?: RouterErrorListener },
) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const statusCode =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 600
        ? error.statusCode
        : 500;
    const requestId = String(request.id);
    const body: ErrorBody = {
      statusCode,
      error: STATUS_CODES[statusCode] ?? 'Error',
      message:
        MESSAGES[error.code] ??
        (statusCode < 500 ? STATUS_CODES[statusCode]! : 'Internal server error'),
      requestId,
    };
    void reply.headers(headers).header('x-request-id', requestId).status(statusCode).send(body);
    listeners.after?.(request, reply);
  };
}
