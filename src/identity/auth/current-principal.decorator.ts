import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Principal } from '#src/identity/auth/principal.js';

/** The verified caller of a @Roles route (set by the AccessGuard). */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => {
    const request = context.switchToHttp().getRequest<{ user?: Principal }>();
    if (!request.user) throw new Error('CurrentPrincipal used on a route without @Roles');
    return request.user;
  },
);
