import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorBody } from '../common/http-error.filter.js';

/**
 * A second router over the same routes, asked only when Fastify's found none: if the path is served
 * for other methods, the answer is 405 with an `Allow` header (RFC 9110 §15.5.6) instead of Nest's
 * 404, so a client that sends PUT where the API takes PATCH learns which it takes. Unmatched requests
 * only; a matched one never reaches it. find-my-way is Fastify's own router, so paths match alike.
 */
export class AllowedMethods {
  private readonly router = FindMyWay({ ignoreTrailingSlash: false, caseSensitive: true });
  private readonly methods = new Set<HTTPMethod>();

  add(method: string | string[], url: string): void {
    // A catch-all (CORS's OPTIONS *) would make every unknown path "allowed" for it.
    if (url === '*' || url === '/*') return;
    for (const one of ([] as string[]).concat(method) as HTTPMethod[]) {
      if (this.router.hasRoute(one, url)) continue; // the same path under another constraint
      this.router.on(one, url, () => undefined);
      this.methods.add(one);
    }
  }

  /** The methods that serve this path, sorted; empty when none does. */
  allowedFor(url: string): string[] {
    const path = url.split('?', 1)[0]!;
    return [...this.methods].filter((method) => this.router.find(method, path) !== null).sort();
  }
}

/**
 * Records every route as Fastify registers it (so, before Nest's init adds them), and answers an
 * unmatched request 405 when it can. In preHandler, so the onRequest hooks (request id, security and
 * CORS headers) have run; the 404 path's own hooks log and count it as route="unmatched".
 */
export function answerWrongMethodWith405(fastify: FastifyInstance): void {
  const allowed = new AllowedMethods();
  fastify.addHook('onRoute', (route) => allowed.add(route.method, route.url));
  fastify.addHook('preHandler', (request: FastifyRequest, reply: FastifyReply, done) => {
    if (!request.is404) return done();
    const methods = allowed.allowedFor(request.url);
    if (methods.length === 0) return done();
    const body: ErrorBody = {
      statusCode: 405,
      error: 'Method Not Allowed',
      message: `${request.method} is not served here; use ${methods.join(', ')}`,
      requestId: String(request.id),
    };
    void reply.code(405).header('allow', methods.join(', ')).send(body);
  });
}
