/** The shared request-path connection: fails fast, never queues commands while Redis is down. */
export const REQUEST_REDIS = Symbol('REQUEST_REDIS');
