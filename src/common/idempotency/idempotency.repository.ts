import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { rows } from '../../database/sql.js';

/** What was answered to the first request of a key (2xx only; see docs/decisions.md). */
export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The row of a key that another request holds or held. */
export interface KeyState {
  fingerprint: string;
  /** The first request finished and its answer is stored. */
  done: boolean;
  /** A running claim whose lease ran out (its process most likely died). */
  leaseOver: boolean;
  /** Older than the retention: as if it did not exist. */
  expired: boolean;
  answer?: StoredAnswer;
}

export interface KeyRef {
  tokenId: string;
  key: string;
}

/**
 * The idempotency_key table (migration Migration20261201060000_etags). Every statement runs on its
 * own (autocommit), outside the write it guards: the claim must be visible to a parallel request
 * before the write starts, and the answer is recorded after the write committed.
 */
@Injectable()
export class IdempotencyRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * Claims the key for a new request; false when a row for it exists already. The primary key makes
   * exactly one of any number of parallel claims succeed.
   */
  async claim(ref: KeyRef, fingerprint: string, claimId: string, leaseSeconds: number, ttlSeconds: number): Promise<boolean> {
    const inserted = await rows(
      this.em,
      sql`insert into idempotency_key (token_id, key, fingerprint, claim_id, state, lease_until, expires_at)
          values (${ref.tokenId}, ${ref.key}, ${fingerprint}, ${claimId}, 'running',
                  now() + make_interval(secs => ${leaseSeconds}), now() + make_interval(secs => ${ttlSeconds}))
          on conflict (token_id, key) do nothing returning 1`,
    );
    return inserted.length > 0;
  }

  async find(ref: KeyRef): Promise<KeyState | undefined> {
    const [row] = await rows(
      this.em,
      sql<{
        fingerprint: string;
        state: string;
        lease_over: boolean;
        expired: boolean;
        status: number | null;
        headers: Record<string, string> | null;
        body: string | null;
      }>`select fingerprint, state, lease_until < now() as lease_over, expires_at <= now() as expired, status, headers, body
           from idempotency_key where token_id = ${ref.tokenId} and key = ${ref.key}`,
    );
    if (!row) return undefined;
    const done = row.state === 'done';
    return {
      fingerprint: row.fingerprint,
      done,
      leaseOver: row.lease_over,
      expired: row.expired,
      answer: done ? { status: row.status ?? 200, headers: row.headers ?? {}, body: row.body ?? '' } : undefined,
    };
  }

  /**
   * Takes over a key whose row expired, or whose running claim's lease ran out (same request only);
   * false when another request got there first or the row changed meanwhile.
   */
  async takeOver(ref: KeyRef, fingerprint: string, claimId: string, leaseSeconds: number, ttlSeconds: number): Promise<boolean> {
    const updated = await rows(
      this.em,
      sql`update idempotency_key
             set fingerprint = ${fingerprint}, claim_id = ${claimId}, state = 'running', status = null, headers = null, body = null,
                 lease_until = now() + make_interval(secs => ${leaseSeconds}),
                 expires_at = now() + make_interval(secs => ${ttlSeconds}), created_at = now()
           where token_id = ${ref.tokenId} and key = ${ref.key}
             and (expires_at <= now() or (state = 'running' and lease_until < now() and fingerprint = ${fingerprint}))
          returning 1`,
    );
    return updated.length > 0;
  }

  /**
   * Records the answer of the claim `claimId` (a claim taken over meanwhile is left alone), and the
   * fingerprint of a streamed request, known only now.
   */
  async complete(ref: KeyRef, claimId: string, answer: StoredAnswer, fingerprint?: string): Promise<void> {
    await rows(
      this.em,
      sql`update idempotency_key set state = 'done', status = ${answer.status}, headers = ${JSON.stringify(answer.headers)}::json,
                 body = ${answer.body}, fingerprint = coalesce(${fingerprint ?? null}, fingerprint)
           where token_id = ${ref.tokenId} and key = ${ref.key} and claim_id = ${claimId} and state = 'running'`,
    );
  }

  /** Frees the key of a claim whose request failed: the next request with it runs anew. */
  async release(ref: KeyRef, claimId: string): Promise<void> {
    await rows(this.em, sql`delete from idempotency_key where token_id = ${ref.tokenId} and key = ${ref.key} and claim_id = ${claimId}`);
  }

  /** Deletes at most `limit` expired keys (oldest first); returns how many. */
  async purgeExpired(limit: number): Promise<number> {
    const deleted = await rows(
      this.em,
      sql`delete from idempotency_key where (token_id, key) in (
            select token_id, key from idempotency_key where expires_at <= now() order by expires_at limit ${limit} for update skip locked)
          returning 1`,
    );
    return deleted.length;
  }
}
