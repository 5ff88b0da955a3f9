import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** A weak validator for a JSON body: equal bodies, equal tags. */
export function weakEtag(body: string): string {
  return `W/"${createHash('sha1').update(body).digest('base64url')}"`;
}

/**
 * Sets the validator and the caching policy, and answers 304 when the client already has this version.
 * `no-cache` lets browsers and CDNs keep a copy but revalidate every time: one cheap 304, never a stale read.
 * Returns true when the response is a 304 (send no body).
 */
export function notModified(request: FastifyRequest, reply: FastifyReply, etag: string): boolean {
  void reply.header('etag', etag);
  void reply.header('cache-control', 'no-cache');
  const ifNoneMatch = request.headers['if-none-match'];
  if (!ifNoneMatch) return false;
  const matches =
    ifNoneMatch === '*' ||
    ifNoneMatch.split(',').some((tag) => stripWeak(tag.trim()) === stripWeak(etag));
  if (matches) void reply.status(304);
  return matches;
}

function stripWeak(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}
