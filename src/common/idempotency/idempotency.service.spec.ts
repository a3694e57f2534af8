import { IdempotencyKeyInProgressError, IdempotencyKeyReusedError } from '../errors/domain-errors.js';
import type { IdempotencyRepository, KeyState } from './idempotency.repository.js';
import {
  IdempotencyService,
  MAX_STORED_BODY_CHARS,
  PURGE_BATCH,
  STREAMED_LEASE_SECONDS,
  STREAMING_FINGERPRINT,
} from './idempotency.service.js';

const ref = { tokenId: '00000000-0000-4000-8000-000000000001', key: 'k' };

type Method = keyof IdempotencyRepository;
type Fake = Record<Method, (...args: unknown[]) => Promise<unknown>> & { calls: Record<Method, unknown[][]> };

/** A repository whose methods answer `results` (a value, or a list consumed in order, the last one repeating). */
function repository(results: Partial<Record<Method, unknown>> = {}): Fake {
  const defaults: Record<Method, unknown> = {
    claim: true,
    find: undefined,
    takeOver: false,
    complete: undefined,
    release: undefined,
    purgeExpired: 0,
  };
  const calls = {} as Record<Method, unknown[][]>;
  const fake = { calls } as Fake;
  for (const method of Object.keys(defaults) as Method[]) {
    calls[method] = [];
    const result = method in results ? results[method] : defaults[method];
    fake[method] = (...args: unknown[]) => {
      calls[method].push(args);
      const value = Array.isArray(result) && method === 'purgeExpired' ? (result[calls[method].length - 1] ?? result.at(-1)) : result;
      return value instanceof Error ? Promise.reject(value) : Promise.resolve(value);
    };
  }
  return fake;
}
const state = (s: Partial<KeyState>): KeyState => ({ fingerprint: 'f', done: false, leaseOver: false, expired: false, ...s });

describe('IdempotencyService', () => {
  it('claims a free key', async () => {
    const repo = repository();
    const claim = await new IdempotencyService(repo as never).begin(ref, 'f');
    expect(claim).toEqual({ kind: 'claimed', ref, claimId: expect.any(String) });
  });

  it('replays a finished first answer of the same request', async () => {
    const answer = { status: 201, headers: { ETag: '"x"' }, body: '{}' };
    const repo = repository({ claim: false, find: state({ done: true, answer }) });
    expect(await new IdempotencyService(repo as never).begin(ref, 'f')).toEqual({ kind: 'replay', answer });
  });

  it('refuses another request with the key (422) and a repeat while the first runs (409)', async () => {
    const other = repository({ claim: false, find: state({ fingerprint: 'g' }) });
    await expect(new IdempotencyService(other as never).begin(ref, 'f')).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    const running = repository({ claim: false, find: state({}) });
    await expect(new IdempotencyService(running as never).begin(ref, 'f')).rejects.toBeInstanceOf(IdempotencyKeyInProgressError);
    expect(running.calls.takeOver).toEqual([]);
  });

  it('takes over an expired key and an abandoned claim of the same request', async () => {
    const expired = repository({ claim: false, find: state({ fingerprint: 'g', expired: true }), takeOver: true });
    expect((await new IdempotencyService(expired as never).begin(ref, 'f')).kind).toBe('claimed');
    const abandoned = repository({ claim: false, find: state({ leaseOver: true }), takeOver: true });
    expect((await new IdempotencyService(abandoned as never).begin(ref, 'f')).kind).toBe('claimed');
  });

  it('streamed bodies: claims before reading, 409 while running without reading, reads the body only to compare with a finished one', async () => {
    let reads = 0;
    const body = (fingerprint: string) => () => {
      reads++;
      return Promise.resolve(fingerprint);
    };
    const free = repository();
    expect((await new IdempotencyService(free as never).beginStreamed(ref, body('f'))).kind).toBe('claimed');
    expect(free.calls.claim[0]).toEqual([ref, STREAMING_FINGERPRINT, expect.any(String), STREAMED_LEASE_SECONDS, 86_400]);
    const running = repository({ claim: false, find: state({ fingerprint: STREAMING_FINGERPRINT }) });
    await expect(new IdempotencyService(running as never).beginStreamed(ref, body('f'))).rejects.toBeInstanceOf(
      IdempotencyKeyInProgressError,
    );
    expect(reads).toBe(0);
    const answer = { status: 202, headers: {}, body: '{}' };
    const done = repository({ claim: false, find: state({ done: true, answer }) });
    expect(await new IdempotencyService(done as never).beginStreamed(ref, body('f'))).toEqual({ kind: 'replay', answer });
    await expect(new IdempotencyService(done as never).beginStreamed(ref, body('g'))).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    expect(reads).toBe(2);
  });

  it('stores answers up to the bound and frees the key of a larger one', async () => {
    const repo = repository();
    const service = new IdempotencyService(repo as never);
    const claim = { kind: 'claimed' as const, ref, claimId: 'c' };
    await service.complete(claim, { status: 201, headers: {}, body: 'x'.repeat(MAX_STORED_BODY_CHARS) });
    expect(repo.calls.complete).toHaveLength(1);
    await service.complete(claim, { status: 201, headers: {}, body: 'x'.repeat(MAX_STORED_BODY_CHARS + 1) });
    expect(repo.calls.complete).toHaveLength(1);
    expect(repo.calls.release).toEqual([[ref, 'c']]);
  });

  it('never fails the answer of a committed write when recording fails', async () => {
    const repo = repository({ complete: new Error('down') });
    const service = new IdempotencyService(repo as never);
    await expect(
      service.complete({ kind: 'claimed', ref, claimId: 'c' }, { status: 201, headers: {}, body: '{}' }),
    ).resolves.toBeUndefined();
  });

  it('purges at most one batch a minute, again at once while batches come back full', async () => {
    const repo = repository({ purgeExpired: [PURGE_BATCH, 3] });
    const service = new IdempotencyService(repo as never);
    await service.begin(ref, 'f');
    await service.begin(ref, 'f');
    await service.begin(ref, 'f');
    expect(repo.calls.purgeExpired).toEqual([[PURGE_BATCH], [PURGE_BATCH]]);
  });
});
