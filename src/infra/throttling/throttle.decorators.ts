import { SetMetadata } from '@nestjs/common';

export const STRICT_THROTTLE = 'throttle:strict';

/**
 * Adds the stricter `auth` limit (THROTTLE_AUTH_LIMIT per THROTTLE_AUTH_TTL_MS) to a route, on top of the
 * default one: for login, registration and anything else worth brute-forcing.
 */
export const StrictThrottle = () => SetMetadata(STRICT_THROTTLE, true);
