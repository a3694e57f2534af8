import { REVOCATION_WINDOW_MS, TokenCache } from './token-cache.js';
import type { TokenRow } from './token.repository.js';
import { SiteRole } from '../common/auth/site-roles.js';
import { Scope } from '../common/auth/scopes.js';

const row = (id: string): TokenRow => ({
  id,
  name: `token ${id}`,
  role: SiteRole.Viewer,
  scopes: [Scope.Api],
  expires_at: null,
  revoked_at: null,
  last_used_at: null,
  project_id: null,
});

describe('TokenCache', () => {
  let confirmed: number;
  let cache: TokenCache;
  beforeEach(() => {
    confirmed = Number.NEGATIVE_INFINITY;
    cache = new TokenCache(3, 60_000, () => confirmed);
  });

  it('serves a stored row while it is younger than the revocation window, even with no listener', () => {
    cache.put('h1', row('a'), 1_000, cache.begin());
    expect(cache.get('h1', 1_000 + REVOCATION_WINDOW_MS - 1)).toEqual(row('a'));
    expect(cache.get('h1', 1_000 + REVOCATION_WINDOW_MS)).toBeUndefined();
  });

  it('serves an older row only while the listener has confirmed every change up to one window ago', () => {
    cache.put('h1', row('a'), 0, cache.begin());
    confirmed = 9_000;
    expect(cache.get('h1', 10_000)).toEqual(row('a'));
    // The heartbeat stopped answering (connection stalled or lost): one window later the row is not trusted.
    expect(cache.get('h1', 10_001)).toBeUndefined();
  });

  it('forgets a row after its TTL whatever the listener says', () => {
    cache.put('h1', row('a'), 0, cache.begin());
    confirmed = 60_000;
    expect(cache.get('h1', 59_999)).toEqual(row('a'));
    expect(cache.get('h1', 60_000)).toBeUndefined();
  });

  it('drops a token on invalidate, and does not store a lookup that was in flight meanwhile', () => {
    cache.put('h1', row('a'), 0, cache.begin());
    const inFlight = cache.begin();
    cache.invalidate('a');
    expect(cache.get('h1', 1)).toBeUndefined();
    // The lookup read the row before the revocation committed: storing it would bring the token back.
    cache.put('h1', row('a'), 0, inFlight);
    expect(cache.get('h1', 1)).toBeUndefined();
    cache.put('h1', row('a'), 2, cache.begin());
    expect(cache.get('h1', 3)).toEqual(row('a'));
  });

  it('clear drops everything and the lookups in flight', () => {
    cache.put('h1', row('a'), 0, cache.begin());
    const inFlight = cache.begin();
    cache.clear();
    cache.put('h2', row('b'), 0, inFlight);
    expect(cache.size).toBe(0);
  });

  it('never stores a revoked row, and keeps at most maxEntries (oldest out)', () => {
    cache.put('r', { ...row('r'), revoked_at: new Date(0) }, 0, cache.begin());
    expect(cache.size).toBe(0);
    for (const id of ['a', 'b', 'c', 'd']) cache.put(`h${id}`, row(id), 0, cache.begin());
    expect(cache.size).toBe(3);
    expect(cache.get('ha', 1)).toBeUndefined();
    expect(cache.get('hd', 1)).toEqual(row('d'));
  });

  it('keeps nothing when disabled', () => {
    const off = TokenCache.disabled();
    off.put('h1', row('a'), 0, off.begin());
    expect(off.get('h1', 0)).toBeUndefined();
  });
});
