import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { sql, type RawBuilder } from 'kysely';
import type { Scope } from '../common/auth/scopes.js';
import type { SiteRole } from '../common/auth/site-roles.js';
import { rows } from '../database/sql.js';
import { isoSql } from '../org-chart/tree.sql.js';
import type { TokenDto } from './dto/token.dto.js';
import { offsetOf, type PageRequest } from '../common/pagination/page.js';
import { countedPage, keysetAfter, type CountedPage } from '../common/query/sql-list.js';

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

/** The tokens list's order: newest first, the id as tiebreaker (the keyset of its cursors). */
const LIST_ORDER = 'created_at desc, id asc';

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

  /**
   * One page of the tokens whose role is in `roles`, newest first, as response rows, and their exact count, in one
   * statement (countedPage). With `after` (a cursor's row id), the rows after that token in this order
   * (a keyset: the same cost at any depth); when that token is gone, the offset is used.
   */
  async list(roles: readonly SiteRole[], page: PageRequest, after?: string): Promise<CountedPage<TokenDto>> {
    const visible = sql`t.role = any(${[...roles]}::text[])`;
    const statement = {
      withClause: sql``,
      from: sql`api_token t where ${visible}`,
      order: LIST_ORDER,
      id: 'id',
      // The response rows themselves (TokenDto, the fields of mapToken), built by PostgreSQL.
      select: sql.raw(`page.id, page.name, page.role, page.scopes, ${isoSql('page.created_at')} as "createdAt",
        ${isoSql('page.expires_at')} as "expiresAt", ${isoSql('page.last_used_at')} as "lastUsedAt",
        ${isoSql('page.revoked_at')} as "revokedAt", page.created_by as "createdBy", page.project_id as "projectId"`),
    };
    const run = (stmt: RawBuilder<object>) => rows(this.em, stmt);
    if (after !== undefined) {
      const keyset = keysetAfter([{ column: 'created_at', direction: 'desc', nullable: false }], 't', 'r', 'id');
      const pageFrom = sql`(select t.* from api_token t, api_token r where r.id = ${after} and ${sql.raw(keyset)} and ${visible}) t`;
      const keyed = await countedPage<TokenDto>(run, { ...statement, pageFrom }, { limit: page.perPage, offset: 0 });
      if (keyed.items.length > 0 || keyed.total <= offsetOf(page)) return keyed;
    }
    return countedPage<TokenDto>(run, statement, { limit: page.perPage, offset: offsetOf(page) });
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
