import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import type { FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { requestContext } from '../common/request-context.js';
import { RouteMemo } from '../common/route-memo.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import type { Actor } from '../users/users.service.js';
import type { Role } from '../users/user.entity.js';

export const ROLES_KEY = 'auth:roles';

export interface AccessTokenClaims {
  sub: string;
  role: Role;
}

export type AuthenticatedRequest = FastifyRequest & { user: Actor };

type VerifiedToken = Actor & { expiresAt: number };

/** Tokens whose signature and claims were checked, per process: a client sends the same one for minutes. */
const VERIFIED_TOKENS = 10_000;

/**
 * Runs on every route (registered as the global guard by AuthModule).
 * - Routes marked @Auth(): a valid access token is required, and one of the roles when given.
 * - Public routes: a valid token, if sent, still identifies the caller, so read-your-writes follows a
 *   client that writes on a protected route and reads on a public one; an invalid token is ignored there.
 * Tokens must be HS256 from our issuer for our audience and unexpired.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  // The route's @Auth() roles (undefined: a public route), read from its metadata once per route.
  private readonly routeRoles = new RouteMemo((targets) =>
    this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets),
  );

  // Verifying an HS256 token (jsonwebtoken: decode, HMAC, claim checks) was ~9% of a PATCH's CPU in the
  // profile. Only tokens that passed are kept, keyed by the whole token string, and each use checks the
  // expiry again, so a hit accepts exactly what verifying again would; refused tokens are never kept.
  // The secret is read at boot, so a rotation (a restart) starts with an empty cache.
  private readonly verified = new LRUCache<string, VerifiedToken>({ max: VERIFIED_TOKENS });

  constructor(
    private readonly jwt: JwtService,
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const roles = this.routeRoles.get(context);
    const header = request.headers.authorization;
    if (roles === undefined) {
      // A public route without a token (most reads) passes in the same tick: Nest takes a boolean from
      // a guard as it is, where a promise costs it two awaits.
      if (!header) return true;
      return this.authenticate(request, header).then(
        () => true,
        () => true,
      );
    }
    return this.authorize(request, header, roles);
  }

  private async authorize(
    request: AuthenticatedRequest,
    header: string | undefined,
    roles: Role[],
  ): Promise<boolean> {
    if (!header) throw new UnauthorizedException('Missing bearer token');
    const actor = await this.authenticate(request, header);
    if (roles.length && !roles.includes(actor.role)) {
      throw new ForbiddenException(`Requires role: ${roles.join(' or ')}`);
    }
    return true;
  }

  /**
   * Verifies an access token exactly as the guard does, for routes outside Nest's router (Bull Board is a
   * Fastify plugin). Returns the caller and the token's expiry (epoch seconds).
   */
  async verifyToken(token: string): Promise<VerifiedToken> {
    const known = this.verified.get(token);
    if (known) {
      if (known.expiresAt * 1000 > Date.now()) return known;
      this.verified.delete(token);
      throw new UnauthorizedException('Invalid or expired access token');
    }
    let claims: AccessTokenClaims & { exp: number };
    try {
      claims = await this.jwt.verifyAsync<AccessTokenClaims & { exp: number }>(token, {
        algorithms: ['HS256'], // pinned: a token signed with "none" or another algorithm is refused
        issuer: this.config.JWT_ISSUER,
        audience: this.config.JWT_AUDIENCE,
      });
    } catch {
      throw new UnauthorizedException('Invalid or expired access token');
    }
    const actor = { id: claims.sub, role: claims.role, expiresAt: claims.exp };
    this.verified.set(token, actor);
    return actor;
  }

  private async authenticate(request: AuthenticatedRequest, header: string): Promise<Actor> {
    const [scheme, token] = header.split(' ');
    if (scheme !== 'Bearer' || !token) throw new UnauthorizedException('Missing bearer token');
    const claims = await this.verifyToken(token);
    request.user = { id: claims.id, role: claims.role };
    // The data layer recognises this client by user id for read-your-writes.
    const ctx = requestContext.current();
    if (ctx) ctx.clientId = `user:${claims.id}`;
    return request.user;
  }
}
