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
  constructor(
    private readonly jwt: JwtService,
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
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

  private async authenticate(request: AuthenticatedRequest, header: string): Promise<Actor> {
    const [scheme, token] = header.split(' ');
    if (scheme !== 'Bearer' || !token) throw new UnauthorizedException('Missing bearer token');
    let claims: AccessTokenClaims;
    try {
      claims = await this.jwt.verifyAsync<AccessTokenClaims>(token, {
        algorithms: ['HS256'], // pinned: a token signed with "none" or another algorithm is refused
        issuer: this.config.JWT_ISSUER,
        audience: this.config.JWT_AUDIENCE,
      });
    } catch {
      throw new UnauthorizedException('Invalid or expired access token');
    }
    request.user = { id: claims.sub, role: claims.role };
    // The data layer recognises this client by user id for read-your-writes.
    const ctx = requestContext.current();
    if (ctx) ctx.clientId = `user:${claims.sub}`;
    return request.user;
  }
}
