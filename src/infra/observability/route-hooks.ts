import type { onResponseHookHandler, RouteOptions } from 'fastify';

/**
 * Adds an onResponse hook to one route as Fastify registers it (from an onRoute hook), after the route's
 * own. A per-route hook knows the route's template when it is made, so it costs a request no lookup.
 */
export function appendOnResponse(route: RouteOptions, hook: onResponseHookHandler): void {
  const existing = route.onResponse;
  route.onResponse =
    existing === undefined ? hook : [...(Array.isArray(existing) ? existing : [existing]), hook];
}
