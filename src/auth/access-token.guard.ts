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

  constructor(
    private readonly jwt: JwtService,
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const roles = this.routeRoles.get(context);
    const header = request.headers.authorization;
    if (roles === undefined) {
      if (header) await this.authenticate(request, header).catch(() => undefined);
      return true;
    }
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
  async verifyToken(token: string): Promise<Actor & { expiresAt: number }> {
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
    return { id: claims.sub, role: claims.role, expiresAt: claims.exp };
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
