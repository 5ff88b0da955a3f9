import {
  applyDecorators,
  createParamDecorator,
  type ExecutionContext,
  SetMetadata,
} from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator.js';
import type { Actor } from '../users/users.service.js';
import type { Role } from '../users/user.entity.js';
import { type AuthenticatedRequest, ROLES_KEY } from './access-token.guard.js';

/** Requires a valid access token, and one of `roles` when given (enforced by the global AccessTokenGuard). */
export function Auth(...roles: Role[]) {
  return applyDecorators(
    SetMetadata(ROLES_KEY, roles),
    ApiBearerAuth(),
    ApiErrors(401, ...(roles.length ? [403] : [])),
  );
}

/** The authenticated caller (use with @Auth()). */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Actor =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().user,
);
