import type { EntityManager } from '@mikro-orm/postgresql';
import type { SiteRole } from '../common/auth/site-roles.js';
import { sql } from '../database/transaction.js';

/** A token whose revocation this call recorded. */
export interface RevokedToken {
  id: string;
  name: string;
  role: SiteRole;
  createdBy: string | null;
}

/**
 * Revokes one token and, with `cascade`, every token it created, transitively, in one statement
 * (so in one transaction, whatever else runs). Tokens already revoked keep their revocation time
 * and are not returned; the walk still goes through them, so a token revoked earlier without
 * cascade does not shield what it created.
 */
export async function revokeTokens(em: EntityManager, id: string, cascade: boolean): Promise<RevokedToken[]> {
  return sql<RevokedToken>(
    em,
    `with recursive tree (id) as (
       select id from api_token where id = ?
       union
       select child.id from api_token child join tree on child.created_by = tree.id where ?::boolean
     )
     update api_token t set revoked_at = now()
       from tree
      where t.id = tree.id and t.revoked_at is null
     returning t.id, t.name, t.role, t.created_by as "createdBy"`,
    [id, cascade],
  );
}
