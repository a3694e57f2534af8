import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { Principal } from '../common/auth/principal.js';
import { Scope } from '../common/auth/scopes.js';
import { roleAtLeast, SiteRole } from '../common/auth/site-roles.js';
import { hashToken, generateToken, isWellFormedToken } from '../common/auth/token-format.js';
import { EntityNotFoundError, ForbiddenError, InvalidInputError } from '../common/errors/domain-errors.js';
import { offsetOf, type Page, type PageRequest } from '../common/pagination/page.js';
import { normalizeUuid, parseDate } from '../common/validation/validation.js';
import { sql } from '../database/transaction.js';
import { ApiTokenSchema, type ApiToken } from './api-token.entity.js';
import type { CreatedTokenDto, CreateTokenDto, TokenDto } from './dto/token.dto.js';
import { parseDuration } from './duration.js';
import { mapToken } from './token.mapper.js';

export interface NewToken {
  name: string;
  role: SiteRole;
  scopes?: Scope[];
  expiresAt?: Date | null;
}

interface TokenRow {
  id: string;
  name: string;
  role: SiteRole;
  scopes: Scope[];
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

/** Any fixed 64-bit key, shared by every instance: serializes the first-start token creation. */
const BOOTSTRAP_LOCK_KEY = 4_242_001;

@Injectable()
export class TokensService {
  private readonly logger = new Logger('Tokens');
  /** tokenId -> time of our last lastUsedAt write: keeps the writes coarse without asking the database. */
  private readonly lastUsedWrites = new Map<string, number>();

  constructor(
    private readonly em: EntityManager,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(input: NewToken, actor?: Principal): Promise<CreatedTokenDto> {
    if (actor && !roleAtLeast(actor.role, input.role)) {
      throw new ForbiddenError(`A ${actor.role} token may create tokens up to ${actor.role}, not ${input.role}.`);
    }
    if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
      throw InvalidInputError.field('expiresAt', 'must be in the future');
    }
    const secret = generateToken();
    const entity = this.em.create(ApiTokenSchema, {
      id: randomUUID(),
      name: input.name,
      role: input.role,
      scopes: [...new Set(input.scopes ?? [Scope.Api])],
      tokenHash: hashToken(secret),
      createdAt: new Date(),
      expiresAt: input.expiresAt ?? null,
      lastUsedAt: null,
      revokedAt: null,
    });
    await this.em.persist(entity).flush();
    return { ...mapToken(entity), token: secret };
  }

  /** API form: `expiresAt` (ISO) or `expiresIn` (30d), not both. */
  async createFromRequest(dto: CreateTokenDto, actor: Principal): Promise<CreatedTokenDto> {
    if (dto.expiresAt !== undefined && dto.expiresIn !== undefined) {
      throw InvalidInputError.field('expiresIn', 'give either expiresAt or expiresIn, not both');
    }
    let expiresAt: Date | null = null;
    if (dto.expiresAt !== undefined) {
      expiresAt = parseDate(dto.expiresAt) ?? null;
      if (!expiresAt) throw InvalidInputError.field('expiresAt', 'must be an ISO 8601 date-time');
    } else if (dto.expiresIn !== undefined) {
      const ms = parseDuration(dto.expiresIn);
      if (ms === undefined) throw InvalidInputError.field('expiresIn', 'must be a duration such as 30d, 12h or 15m, at most 10 years');
      expiresAt = new Date(Date.now() + ms);
    }
    return this.create({ name: dto.name, role: dto.role, scopes: dto.scopes, expiresAt }, actor);
  }

  async list(page: PageRequest): Promise<Page<TokenDto>> {
    // Page, then count, one after the other: findAndCount would run both at once on two pool
    // connections, and a list holds one connection at a time (docs/decisions.md, expensive reads).
    const rows = await this.em.find(
      ApiTokenSchema,
      {},
      { orderBy: { createdAt: 'desc', id: 'asc' }, limit: page.perPage, offset: offsetOf(page) },
    );
    const total = await this.em.count(ApiTokenSchema, {});
    return { items: rows.map(mapToken), total, page: page.page, perPage: page.perPage };
  }

  async get(id: string): Promise<TokenDto> {
    return mapToken(await this.find(id));
  }

  /** Revocation is immediate: authentication reads the row on every request. Idempotent. */
  async revoke(id: string, actor?: Principal): Promise<void> {
    const token = await this.find(id);
    if (actor && !roleAtLeast(actor.role, token.role as SiteRole)) {
      throw new ForbiddenError(`A ${actor.role} token may not revoke a ${token.role} token.`);
    }
    if (!token.revokedAt) {
      token.revokedAt = new Date();
      await this.em.flush();
    }
  }

  /**
   * Resolves a presented token to its principal, or null (unknown, expired, revoked). A malformed
   * token or a wrong checksum is refused here without touching the database.
   */
  async authenticate(token: string): Promise<Principal | null> {
    if (!isWellFormedToken(token)) return null;
    const rows = await this.em
      .getConnection()
      .execute<TokenRow[]>('select id, name, role, scopes, expires_at, revoked_at, last_used_at from api_token where token_hash = ?', [
        hashToken(token),
      ]);
    const row = rows[0];
    const now = Date.now();
    if (!row || row.revoked_at || (row.expires_at && new Date(row.expires_at).getTime() <= now)) return null;
    await this.touch(row, now);
    return { tokenId: row.id, name: row.name, role: row.role, scopes: row.scopes };
  }

  /**
   * Writes lastUsedAt at most once per interval per token: skipped in memory when this instance wrote
   * recently, and guarded in SQL so concurrent instances write once between them.
   */
  private async touch(row: TokenRow, now: number): Promise<void> {
    const interval = this.config.auth.lastUsedWriteIntervalMs;
    const seen = Math.max(this.lastUsedWrites.get(row.id) ?? 0, row.last_used_at ? new Date(row.last_used_at).getTime() : 0);
    if (now - seen < interval) return;
    this.lastUsedWrites.set(row.id, now);
    try {
      await sql(
        this.em,
        'update api_token set last_used_at = now() where id = ? and (last_used_at is null or last_used_at < now() - make_interval(secs => ?))',
        [row.id, interval / 1000],
      );
    } catch (error) {
      // Bookkeeping only: a failed write must not fail an authenticated request.
      this.logger.warn({ msg: 'could not record token use', tokenId: row.id, error: (error as Error).message });
    }
  }

  /**
   * On the very first start (no token at all), creates one Opsera Administrator token. Serialized with
   * a transaction-scoped advisory lock so that instances starting together create exactly one.
   */
  async createBootstrapTokenIfNone(): Promise<CreatedTokenDto | undefined> {
    return this.em.transactional(async (em) => {
      await sql(em, 'select pg_advisory_xact_lock(?)', [BOOTSTRAP_LOCK_KEY]);
      if ((await em.count(ApiTokenSchema, {})) > 0) return undefined;
      const scoped = new TokensService(em, this.config);
      return scoped.create({ name: 'bootstrap', role: SiteRole.OpseraAdministrator, scopes: [Scope.Api] });
    });
  }

  private async find(id: string): Promise<ApiToken> {
    const uuid = normalizeUuid(id);
    if (!uuid) throw InvalidInputError.field('id', 'must be a UUID');
    const token = await this.em.findOne(ApiTokenSchema, { id: uuid });
    if (!token) throw new EntityNotFoundError(`No token with id ${uuid}.`);
    return token;
  }
}
