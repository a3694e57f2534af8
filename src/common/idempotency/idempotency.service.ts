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
/**
 * The lease of a claim whose body is streamed (bulk sync): the upload alone may take up to
 * REQUEST_TIMEOUT_MS (at most 600 s), and the job is staged while it arrives.
 */
export const STREAMED_LEASE_SECONDS = 900;
/** What a streamed request's claim records as its fingerprint until its body has been read. */
export const STREAMING_FINGERPRINT = 'streaming'.padEnd(64, '-');
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
  begin(ref: KeyRef, fingerprint: string): Promise<Claim> {
    return this.claimOrAnswer(ref, fingerprint, () => Promise.resolve(fingerprint), IDEMPOTENCY_LEASE_SECONDS);
  }

  /**
   * {@link begin} for a request whose body is streamed to its handler (bulk sync): its fingerprint
   * is known only once the body has been read. The claim is taken before a byte is read (a repeat
   * meanwhile is a 409) and gets the fingerprint when its answer is recorded; a repeat of a finished
   * request reads its body (`fingerprintOf`, hashing only) to tell a replay from a 422.
   */
  beginStreamed(ref: KeyRef, fingerprintOf: () => Promise<string>): Promise<Claim> {
    return this.claimOrAnswer(ref, STREAMING_FINGERPRINT, fingerprintOf, STREAMED_LEASE_SECONDS);
  }

  /**
   * `claimed` is the fingerprint a new claim records: the request's own, or {@link STREAMING_FINGERPRINT}
   * until a streamed body has been read.
   */
  private async claimOrAnswer(ref: KeyRef, claimed: string, fingerprintOf: () => Promise<string>, leaseSeconds: number): Promise<Claim> {
    await this.purgeWhenDue();
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const claimId = randomUUID();
      if (await this.keys.claim(ref, claimed, claimId, leaseSeconds, IDEMPOTENCY_TTL_SECONDS)) {
        return { kind: 'claimed', ref, claimId };
      }
      const state = await this.keys.find(ref);
      if (!state) continue; // released meanwhile: claim again
      const takeOver = () => this.keys.takeOver(ref, claimed, claimId, leaseSeconds, IDEMPOTENCY_TTL_SECONDS);
      if (state.expired) {
        if (await takeOver()) return { kind: 'claimed', ref, claimId };
        continue;
      }
      // Still running, the same request (or a streamed one, whose body is not known yet).
      if (!state.done && state.fingerprint === claimed) {
        if (state.leaseOver && (await takeOver())) return { kind: 'claimed', ref, claimId };
        break;
      }
      if (state.fingerprint !== (await fingerprintOf())) {
        throw new IdempotencyKeyReusedError(
          'This Idempotency-Key was already used with a different request (method, path, query or body) within the last 24 hours; ' +
            'use a new key for a new request.',
        );
      }
      if (state.done && state.answer) return { kind: 'replay', answer: state.answer };
      break;
    }
    throw new IdempotencyKeyInProgressError(
      'A request with this Idempotency-Key is still being processed; repeat it once that one has been answered.',
    );
  }

  /** Stores the answer of a successful first request; too large an answer frees the key instead. */
  async complete(claim: Extract<Claim, { kind: 'claimed' }>, answer: StoredAnswer, fingerprint?: () => Promise<string>): Promise<void> {
    try {
      if (answer.body.length > MAX_STORED_BODY_CHARS) {
        this.logger.warn({ msg: 'idempotent answer too large to store; key released', chars: answer.body.length });
        await this.keys.release(claim.ref, claim.claimId);
        return;
      }
      await this.keys.complete(claim.ref, claim.claimId, answer, fingerprint ? await fingerprint() : undefined);
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
