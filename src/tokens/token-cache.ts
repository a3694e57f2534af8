import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { MikroORM, type PostgreSqlConnection } from '@mikro-orm/postgresql';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { NotificationListener } from '../database/notifications.js';
import type { TokenRow } from './token.repository.js';

/**
 * The channel the api_token triggers notify (migration Migration20261201030000_token_notify): the id
 * of a token whose revocation, expiry, role, scopes, name or hash changed, or that was deleted; an
 * empty payload after a truncate (everything).
 */
export const TOKEN_CHANGES_CHANNEL = 'api_token_changed';

/** Contract: a revocation on one instance is honoured by every other within one second. */
export const REVOCATION_WINDOW_MS = 1_000;

interface Entry {
  row: TokenRow;
  /** Date.now() before the lookup was sent: its snapshot is no older than this. */
  fetchedAt: number;
}

/**
 * Authentication's token rows by hash, so that a request does not cost a database round trip for its
 * token, with revocation kept as the contract defines it:
 *
 * - on the instance that revoked, the very next request: {@link invalidate} runs after the revocation
 *   committed and before its answer is sent;
 * - on every other instance, within {@link REVOCATION_WINDOW_MS}: the api_token triggers NOTIFY the
 *   token id, a dedicated LISTEN connection drops the entry. An entry is only used while it is younger
 *   than that window, or while the listener has confirmed delivery of every notification committed
 *   up to one window ago (its heartbeat, {@link NotificationListener.confirmedSince}). So a lost,
 *   stalled or restarting listener degrades to a 1-second cache, never to a stale one.
 *
 * A lookup that was in flight while anything was invalidated is not stored (its snapshot may predate
 * the revocation). Only live tokens are cached (an unknown, revoked or expired token always asks the
 * database); expiry is checked on every use by the caller. At most `maxEntries` entries (oldest out),
 * each at most `ttlMs` old. `maxEntries` 0 turns the cache off.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    /** Every change committed before this instant has been invalidated here (-Infinity: nothing is known). */
    private readonly confirmedSince: () => number = () => Number.NEGATIVE_INFINITY,
  ) {}

  /** A cache that keeps nothing (the CLI, and TOKEN_CACHE_SIZE=0). */
  static disabled(): TokenCache {
    return new TokenCache(0, 0);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached row for `hash`, or undefined when there is none that may still be trusted at `now`. */
  get(hash: string, now: number): TokenRow | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    const age = now - entry.fetchedAt;
    if (age < this.ttlMs && (age < REVOCATION_WINDOW_MS || this.confirmedSince() >= now - REVOCATION_WINDOW_MS)) return entry.row;
    this.entries.delete(hash);
    return undefined;
  }

  /** Call before a lookup; hand the result to {@link put} with it. */
  begin(): number {
    return this.generation;
  }

  /** Stores a live token's row read by a lookup that started at `fetchedAt`, unless something was invalidated meanwhile. */
  put(hash: string, row: TokenRow, fetchedAt: number, generation: number): void {
    if (this.maxEntries <= 0 || generation !== this.generation || row.revoked_at) return;
    this.entries.delete(hash);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    this.entries.set(hash, { row, fetchedAt });
  }

  /** Drops the token with this id (revoked, expired, changed, deleted); lookups in flight will not be stored. */
  invalidate(id: string): void {
    this.generation++;
    for (const [hash, entry] of this.entries) if (entry.row.id === id) this.entries.delete(hash);
  }

  /** Drops everything (a truncate, or notifications that may have been missed). */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}

/**
 * The application's {@link TokenCache}, fed by a LISTEN connection on {@link TOKEN_CHANGES_CHANNEL}
 * opened with the pool's own connection settings. Started with the application, closed with it.
 */
@Injectable()
export class TokenCacheService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TokenCache');
  readonly cache: TokenCache;
  private readonly listener: NotificationListener | undefined;

  constructor(orm: MikroORM, @Inject(APP_CONFIG) config: AppConfig) {
    const { maxEntries, ttlMs } = config.auth.tokenCache;
    if (maxEntries <= 0) {
      this.cache = TokenCache.disabled();
      return;
    }
    // The pool's own settings (host, TLS, timeouts, jit off), for one connection outside the pool.
    const connection: PostgreSqlConnection = orm.em.getConnection();
    const { onPoolCreated: _pool, ...driverOptions } = orm.config.get('driverOptions') ?? {};
    const { min: _min, max: _max, idleTimeoutMillis: _idle, ...options } = connection.mapOptions(driverOptions);
    const listener = new NotificationListener(
      { ...options, application_name: 'organigram-listener' },
      TOKEN_CHANGES_CHANNEL,
      {
        notified: (payload) => (payload === '' ? this.cache.clear() : this.cache.invalidate(payload)),
        listening: () => this.cache.clear(),
      },
      undefined,
      (reason) => this.logger.warn({ msg: 'token change listener lost its connection; reconnecting', reason }),
    );
    this.listener = listener;
    this.cache = new TokenCache(maxEntries, ttlMs, () => listener.confirmedSince());
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.listener?.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.listener?.close();
  }
}
