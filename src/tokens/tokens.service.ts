import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { Principal } from '../common/auth/principal.js';
import { Scope } from '../common/auth/scopes.js';
import { ALL_SITE_ROLES, roleAtLeast, SiteRole } from '../common/auth/site-roles.js';
import { hashToken, generateToken, isWellFormedToken } from '../common/auth/token-format.js';
import { EntityNotFoundError, ForbiddenError, InvalidInputError } from '../common/errors/domain-errors.js';
import { DEFAULT_PER_PAGE, type Page } from '../common/pagination/page.js';
import { keysetPage, keysetRequest } from '../common/pagination/cursor.js';
import { parseDate } from '../common/validation/validation.js';
import { forbiddenCharacterIn, forbiddenCharacterMessage } from '../common/validation/free-text.js';
import { inTransaction } from '../database/transaction.js';
import { TokenRepository, type RevokedToken, type TokenRow } from './token.repository.js';
import { ApiTokenSchema, type ApiToken } from './api-token.entity.js';
import type { CreatedTokenDto, CreateTokenDto, TokenDto, TokenListQueryDto } from './dto/token.dto.js';
import { formatDuration, parseDuration } from '../config/duration.js';
import { mapToken } from './token.mapper.js';
import { TokenCache, TokenCacheService } from './token-cache.js';

export interface NewToken {
  name: string;
  role: SiteRole;
  /** Defaults to ["api"]; never empty. */
  scopes?: Scope[];
  /** Absent or null: the default lifetime (TOKEN_DEFAULT_TTL). At most TOKEN_MAX_TTL from now. */
  expiresAt?: Date | null;
  /** The project of the token's SCIM Groups (contract section 7). */
  projectId?: string | null;
}

/** Any fixed 64-bit key, shared by every instance: serializes the first-start token creation. */
const BOOTSTRAP_LOCK_KEY = 4_242_001;

/** The roles whose tokens `actor` sees and manages: its own and below (all of them for the CLI). */
function visibleRoles(actor: Principal | undefined): SiteRole[] {
  return ALL_SITE_ROLES.filter((role) => !actor || roleAtLeast(actor.role, role));
}

@Injectable()
export class TokensService {
  private readonly logger = new Logger('Tokens');
  /** tokenId -> time of our last lastUsedAt write: keeps the writes coarse without asking the database. */
  private readonly lastUsedWrites = new Map<string, number>();
  private readonly cache: TokenCache;

  constructor(
    private readonly em: EntityManager,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tokens: TokenRepository = new TokenRepository(em),
    // The application's cache; none for the CLI and other hand-made instances (they do not authenticate).
    @Optional() cacheService?: TokenCacheService,
  ) {
    this.cache = cacheService?.cache ?? TokenCache.disabled();
  }

  /**
   * Creates a token. `actor` is the token of the request (API), undefined for the CLI; it becomes
   * `createdBy`. `expiryField` names the input the expiry came from, for the 400.
   */
  async create(input: NewToken, actor?: Principal, expiryField = 'expiresAt'): Promise<CreatedTokenDto> {
    if (actor && !roleAtLeast(actor.role, input.role)) {
      throw new ForbiddenError(`A ${actor.role} token may create tokens up to ${actor.role}, not ${input.role}.`);
    }
    const created = await this.insert(input, actor, this.checkedExpiry(input.expiresAt, expiryField));
    this.logCreated(created, actor);
    return created;
  }

  /** API form: `expiresAt` (ISO) or `expiresIn` (30d), not both; neither: the default lifetime. */
  async createFromRequest(dto: CreateTokenDto, actor: Principal): Promise<CreatedTokenDto> {
    if (dto.expiresAt !== undefined && dto.expiresIn !== undefined) {
      throw InvalidInputError.field('expiresIn', 'give either expiresAt or expiresIn, not both');
    }
    let expiresAt: Date | null = null;
    let field = 'expiresAt';
    if (dto.expiresAt !== undefined) {
      expiresAt = parseDate(dto.expiresAt) ?? null;
      if (!expiresAt) throw InvalidInputError.field('expiresAt', 'must be an ISO 8601 date-time');
    } else if (dto.expiresIn !== undefined) {
      field = 'expiresIn';
      const ms = parseDuration(dto.expiresIn);
      if (ms === undefined) {
        const max = formatDuration(this.config.tokenLifetime.maxMs);
        throw InvalidInputError.field('expiresIn', `must be a duration such as 30d, 12h or 15m, at most ${max} (TOKEN_MAX_TTL)`);
      }
      if (ms > this.config.tokenLifetime.maxMs) throw InvalidInputError.field('expiresIn', this.maxMessage());
      expiresAt = new Date(Date.now() + ms);
    }
    return this.create({ name: dto.name, role: dto.role, scopes: dto.scopes, expiresAt, projectId: dto.projectId }, actor, field);
  }

  /**
   * Tokens the actor may see (its role and below), newest first: page and exact count in one
   * statement (a list holds one connection at a time, docs/decisions.md, expensive reads). With a
   * cursor (the `rel="next"` of a page before), the rows after its token (a keyset, issue 10); the
   * cursor is valid only for the same per-page and the same visible roles.
   */
  async list(query: Pick<TokenListQueryDto, 'page' | 'per-page' | 'cursor'>, actor?: Principal): Promise<Page<TokenDto>> {
    const roles = visibleRoles(actor);
    const requested = { page: query.page ?? 1, perPage: query['per-page'] ?? DEFAULT_PER_PAGE };
    const request = keysetRequest(query.cursor, query.page, requested, { roles });
    return keysetPage(request, await this.tokens.list(roles, request.page, request.after));
  }

  async get(id: string, actor?: Principal): Promise<TokenDto> {
    return mapToken(await this.find(this.em, id, actor));
  }

  /**
   * Revocation is immediate on this instance (the authentication cache forgets the tokens before the
   * answer) and within 1 s on the others (token-cache.ts). Idempotent. With
   * `cascade`, every token created by this one, transitively, is revoked in the same statement.
   * A token above the actor's role is a 404, as if it did not exist.
   */
  async revoke(id: string, actor?: Principal, options: { cascade?: boolean } = {}): Promise<RevokedToken[]> {
    const cascade = options.cascade ?? false;
    const revoked = await inTransaction(this.em, async (tx) => {
      const token = await this.find(tx, id, actor);
      return this.tokens.on(tx).revoke(token.id, cascade);
    });
    for (const token of revoked) this.cache.invalidate(token.id);
    for (const token of revoked) {
      this.logger.log({
        msg: 'token revoked',
        event: 'token.revoked',
        tokenId: token.id,
        tokenName: token.name,
        role: token.role,
        actorTokenId: actor?.tokenId ?? null,
        cascadeFrom: token.id === id ? null : id,
      });
    }
    return revoked;
  }

  /**
   * Resolves a presented token to its principal, or null (unknown, expired, revoked). A malformed
   * token or a wrong checksum is refused here without touching the database.
   */
  async authenticate(token: string): Promise<Principal | null> {
    if (!isWellFormedToken(token)) return null;
    const hash = hashToken(token);
    let now = Date.now();
    let row = this.cache.get(hash, now);
    if (!row) {
      const generation = this.cache.begin();
      row = await this.tokens.findByHash(hash);
      if (row) this.cache.put(hash, row, now, generation);
      now = Date.now();
    }
    if (!row || row.revoked_at || (row.expires_at && new Date(row.expires_at).getTime() <= now)) return null;
    await this.touch(row, now);
    return { tokenId: row.id, name: row.name, role: row.role, scopes: row.scopes, projectId: row.project_id };
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
      await this.tokens.touch(row.id, interval / 1000);
    } catch (error) {
      // Bookkeeping only: a failed write must not fail an authenticated request.
      this.logger.warn({ msg: 'could not record token use', tokenId: row.id, error: (error as Error).message });
    }
  }

  /**
   * On the very first start (no token at all), creates one Opsera Administrator token that expires
   * after BOOTSTRAP_TOKEN_TTL, and hands it to `deliver` (print or file) before committing: if the
   * delivery fails, nothing is created and the next start tries again. Serialized with a
   * transaction-scoped advisory lock so that instances starting together create exactly one.
   */
  async createBootstrapTokenIfNone(deliver: (token: CreatedTokenDto) => Promise<void>): Promise<CreatedTokenDto | undefined> {
    const created = await this.em.transactional(async (em) => {
      await this.tokens.on(em).advisoryXactLock(BOOTSTRAP_LOCK_KEY);
      if ((await em.count(ApiTokenSchema, {})) > 0) return undefined;
      const scoped = new TokensService(em, this.config);
      const expiresAt = new Date(Date.now() + this.config.bootstrapToken.ttlMs);
      const token = await scoped.insert(
        { name: 'bootstrap', role: SiteRole.OpseraAdministrator, scopes: [Scope.Api] },
        undefined,
        expiresAt,
      );
      await deliver(token);
      return token;
    });
    if (created) this.logCreated(created, undefined);
    return created;
  }

  private async insert(input: NewToken, actor: Principal | undefined, expiresAt: Date): Promise<CreatedTokenDto> {
    const found = forbiddenCharacterIn(input.name);
    if (found) throw InvalidInputError.field('name', forbiddenCharacterMessage(found));
    if (Array.isArray(input.scopes) && input.scopes.length === 0) throw InvalidInputError.field('scopes', 'must hold at least one scope');
    const secret = generateToken();
    const entity = this.em.create(ApiTokenSchema, {
      id: randomUUID(),
      name: input.name,
      role: input.role,
      scopes: [...new Set(input.scopes ?? [Scope.Api])],
      tokenHash: hashToken(secret),
      createdAt: new Date(),
      expiresAt,
      lastUsedAt: null,
      revokedAt: null,
      createdBy: actor?.tokenId ?? null,
      projectId: input.projectId ?? null,
    });
    await this.em.persist(entity).flush();
    return { ...mapToken(entity), token: secret };
  }

  /** The expiry to store: the default lifetime when none is given, else a future time within the maximum. */
  private checkedExpiry(expiresAt: Date | null | undefined, field: string): Date {
    const now = Date.now();
    if (expiresAt === undefined || expiresAt === null) return new Date(now + this.config.tokenLifetime.defaultMs);
    if (expiresAt.getTime() <= now) throw InvalidInputError.field(field, 'must be in the future');
    if (expiresAt.getTime() - now > this.config.tokenLifetime.maxMs) throw InvalidInputError.field(field, this.maxMessage());
    return expiresAt;
  }

  private maxMessage(): string {
    return `must be at most ${formatDuration(this.config.tokenLifetime.maxMs)} from now (TOKEN_MAX_TTL)`;
  }

  /** The creation event: who, what, and by which token; never the secret. */
  private logCreated(token: CreatedTokenDto, actor: Principal | undefined): void {
    this.logger.log({
      msg: 'token created',
      event: 'token.created',
      tokenId: token.id,
      tokenName: token.name,
      role: token.role,
      scopes: token.scopes,
      expiresAt: token.expiresAt,
      actorTokenId: actor?.tokenId ?? null,
    });
  }

  /** A token the actor may see (by an id parsed at the edge: {@link parseTokenId}), or 404 (also for a token above its role). */
  private async find(em: EntityManager, id: string, actor: Principal | undefined): Promise<ApiToken> {
    const token = await em.findOne(ApiTokenSchema, { id, role: { $in: visibleRoles(actor) } });
    if (!token) throw new EntityNotFoundError(`No token with id ${id}.`);
    return token;
  }
}
