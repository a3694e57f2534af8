import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { IdempotencyKeyInProgressError, IdempotencyKeyReusedError } from '../errors/domain-errors.js';
import { IdempotencyRepository, type KeyRef, type StoredAnswer } from './idempotency.repository.js';

/** A repeat within this time gets the first answer (contract section 10.4). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
/**
 * How long a running claim holds its key without an answer. Longer than any request can run (the
 * database timeouts bound it well below); after it, the claim counts as abandoned (its process died
 * between claim and answer) and a repeat of the same request may run.
 */
export const IDEMPOTENCY_LEASE_SECONDS = 120;
/** Answers larger than this are not stored (no single-entity answer comes near it). */
export const MAX_STORED_BODY_CHARS = 64 * 1024;
/** Expired keys deleted per purge; a full batch makes the next claim purge again. */
export const PURGE_BATCH = 1000;
const PURGE_INTERVAL_MS = 60_000;
const ATTEMPTS = 3;

export type Claim = { kind: 'claimed'; ref: KeyRef; claimId: string } | { kind: 'replay'; answer: StoredAnswer };

/**
 * Idempotency-Key (contract section 10.4; docs/decisions.md "ETags and Idempotency-Key"): claim
 * before the write, record the answer after it, release on failure.
 */
@Injectable()
export class IdempotencyService {
  private readonly logger = new Logger('Idempotency');
  private nextPurgeAt = 0;

  constructor(private readonly keys: IdempotencyRepository) {}

  /**
   * Claims `ref` for the request with `fingerprint`, or says what to answer instead: the stored first
   * answer (same request, finished), 422 (another request used the key), 409 (the first one is still
   * running). Exactly one of any number of parallel requests with one key gets the claim.
   */
  async begin(ref: KeyRef, fingerprint: string): Promise<Claim> {
    await this.purgeWhenDue();
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const claimId = randomUUID();
      if (await this.keys.claim(ref, fingerprint, claimId, IDEMPOTENCY_LEASE_SECONDS, IDEMPOTENCY_TTL_SECONDS)) {
        return { kind: 'claimed', ref, claimId };
      }
      const state = await this.keys.find(ref);
      if (!state) continue; // released meanwhile: claim again
      const takeOver = () => this.keys.takeOver(ref, fingerprint, claimId, IDEMPOTENCY_LEASE_SECONDS, IDEMPOTENCY_TTL_SECONDS);
      if (state.expired) {
        if (await takeOver()) return { kind: 'claimed', ref, claimId };
        continue;
      }
      if (state.fingerprint !== fingerprint) {
        throw new IdempotencyKeyReusedError(
          'This Idempotency-Key was already used with a different request (method, path, query or body) within the last 24 hours; ' +
            'use a new key for a new request.',
        );
      }
      if (state.done && state.answer) return { kind: 'replay', answer: state.answer };
      if (state.leaseOver && (await takeOver())) return { kind: 'claimed', ref, claimId };
      break;
    }
    throw new IdempotencyKeyInProgressError(
      'A request with this Idempotency-Key is still being processed; repeat it once that one has been answered.',
    );
  }

  /** Stores the answer of a successful first request; too large an answer frees the key instead. */
  async complete(claim: Extract<Claim, { kind: 'claimed' }>, answer: StoredAnswer): Promise<void> {
    try {
      if (answer.body.length > MAX_STORED_BODY_CHARS) {
        this.logger.warn({ msg: 'idempotent answer too large to store; key released', chars: answer.body.length });
        await this.keys.release(claim.ref, claim.claimId);
        return;
      }
      await this.keys.complete(claim.ref, claim.claimId, answer);
    } catch (error) {
      // The write has committed: its answer still goes out. The claim stays "running" until its lease ends.
      this.logger.error({ msg: 'could not record an idempotent answer', error: (error as Error).message });
    }
  }

  /** Frees the key after a failed request (nothing was written: a repeat may run anew). */
  async release(claim: Extract<Claim, { kind: 'claimed' }>): Promise<void> {
    try {
      await this.keys.release(claim.ref, claim.claimId);
    } catch (error) {
      this.logger.error({ msg: 'could not release an idempotency key', error: (error as Error).message });
    }
  }

  /**
   * Bounded cleanup: at most one batch of expired keys, at most once a minute per instance, or at
   * once again while batches come back full; so the table holds about one day of keys.
   */
  private async purgeWhenDue(): Promise<void> {
    if (Date.now() < this.nextPurgeAt) return;
    this.nextPurgeAt = Date.now() + PURGE_INTERVAL_MS;
    try {
      if ((await this.keys.purgeExpired(PURGE_BATCH)) === PURGE_BATCH) this.nextPurgeAt = 0;
    } catch (error) {
      this.logger.warn({ msg: 'could not purge expired idempotency keys', error: (error as Error).message });
    }
  }
}
