import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Scope } from './scopes.js';
import type { SiteRole } from './site-roles.js';

/** Who is calling: the authenticated token, never its secret. */
export interface Principal {
  readonly tokenId: string;
  readonly name: string;
  readonly role: SiteRole;
  readonly scopes: readonly Scope[];
  /** The project of the token's SCIM Groups (contract section 7); null: the units without project. */
  readonly projectId: string | null;
}

/** Injects the authenticated {@link Principal} (set by the bearer strategy). */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest<{ user: Principal }>().user;
});
