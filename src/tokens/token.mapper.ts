import type { Scope } from '../common/auth/scopes.js';
import type { SiteRole } from '../common/auth/site-roles.js';
import type { ApiToken } from './api-token.entity.js';
import type { TokenDto } from './dto/token.dto.js';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function mapToken(token: ApiToken): TokenDto {
  return {
    id: token.id,
    name: token.name,
    role: token.role as SiteRole,
    scopes: token.scopes as Scope[],
    createdAt: token.createdAt.toISOString(),
    expiresAt: iso(token.expiresAt),
    lastUsedAt: iso(token.lastUsedAt),
    revokedAt: iso(token.revokedAt),
    createdBy: token.createdBy ?? null,
    projectId: token.projectId ?? null,
  };
}
