import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import type { Scope } from '../common/auth/scopes.js';
import type { SiteRole } from '../common/auth/site-roles.js';
import { rows } from '../database/sql.js';

/** A token whose revocation this call recorded. */
export interface RevokedToken {
  id: string;
  name: string;
  role: SiteRole;
  createdBy: string | null;
}

/** What authentication reads of a token: one row by its hash. */
export interface TokenRow {
  id: string;
  name: string;
  role: SiteRole;
  scopes: Scope[];
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  project_id: string | null;
}

/**
 * The token statements that are not unit-of-work reads and writes of one entity. Bound to an
 * EntityManager: the injected one (following the request and its transaction), or the one the
 * service hands it inside a transaction of its own (the CLI's fork does not follow contexts).
 */
@Injectable()
export class TokenRepository {
  constructor(private readonly em: EntityManager) {}

  /** The same statements on another EntityManager (a transaction's). */
  on(em: EntityManager): TokenRepository {
    return new TokenRepository(em);
  }

  /**
   * The authentication lookup, on every request: `em.execute` through the one MikroORM Connection, on
   * the pool and outside any transaction (the hash is hex, so its inlined literal is safe).
   */
  async findByHash(hash: string): Promise<TokenRow | undefined> {
    const [row] = await this.em
      .getConnection()
      .execute<TokenRow[]>(
        'select id, name, role, scopes, expires_at, revoked_at, last_used_at, project_id from api_token where token_hash = ?',
        [hash],
      );
    return row;
  }

  /** Sets last_used_at to now unless it was written less than `intervalSeconds` ago (by any instance). */
  async touch(id: string, intervalSeconds: number): Promise<void> {
    await rows(
      this.em,
      sql`update api_token set last_used_at = now() where id = ${id} and (last_used_at is null or last_used_at < now() - make_interval(secs => ${intervalSeconds}))`,
    );
  }

  /** A transaction-scoped advisory lock on `key` (released at commit or rollback). */
  async advisoryXactLock(key: number): Promise<void> {
    await rows(this.em, sql`select pg_advisory_xact_lock(${key})`);
  }

  /**
   * Revokes one token and, with `cascade`, every token it created, transitively, in one statement
   * (so in one transaction, whatever else runs). Tokens already revoked keep their revocation time
   * and are not returned; the walk still goes through them, so a token revoked earlier without
   * cascade does not shield what it created.
   */
  async revoke(id: string, cascade: boolean): Promise<RevokedToken[]> {
    return rows(
      this.em,
      sql<RevokedToken>`with recursive tree (id) as (
         select id from api_token where id = ${id}
         union
         select child.id from api_token child join tree on child.created_by = tree.id where ${cascade}::boolean
       )
       update api_token t set revoked_at = now()
         from tree
        where t.id = tree.id and t.revoked_at is null
       returning t.id, t.name, t.role, t.created_by as "createdBy"`,
    );
  }
}
