import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiPublic } from '#src/platform/openapi/index.js';

/**
 * The metadata key of a route's access rule: @Public here, @Roles and the global guard that
 * reads it in identity (src/identity/auth/).
 */
export const ACCESS_METADATA = 'access';

/** The access rule of a route open to anonymous callers. */
export interface PublicAccess {
  public: true;
}

/** Declares a route open to anonymous callers. */
export function Public(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_METADATA, { public: true } satisfies PublicAccess),
    ApiPublic(),
  );
}
