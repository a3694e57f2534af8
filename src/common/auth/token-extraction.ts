/** Where a request may carry its token. Only the first form is on unless the compatibility switch is. */
export interface TokenSource {
  headers: Record<string, string | string[] | undefined>;
  query?: unknown;
}

export const COMPAT_QUERY_PARAM = 'access-token';

/**
 * Returns the presented token, or undefined when none was presented.
 * - `Authorization: Bearer <token>` (RFC 6750), always.
 * - compat only: `Authorization: <token>` (Opsera wiki form) and `?access-token=<token>` (4HSE clients).
 * passport-http-bearer's own `access_token` query and body lookups are never used.
 */
export function extractToken(source: TokenSource, compat: boolean): string | undefined {
  const header = source.headers.authorization;
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value === 'string' && value.trim() !== '') {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(value.trim());
    if (match) return match[1];
    if (compat && /^\S+$/.test(value.trim())) return value.trim();
    return undefined; // another scheme (Basic, ...) is not a bearer credential
  }
  if (compat && source.query && typeof source.query === 'object') {
    const q = (source.query as Record<string, unknown>)[COMPAT_QUERY_PARAM];
    if (typeof q === 'string' && q !== '') return q;
  }
  return undefined;
}

/**
 * Stands for a credential that was presented but cannot be a token: an Authorization header that is
 * not `Bearer <one token>` (`Bearer` alone, `Bearer a b`, `Basic ...`, garbage, empty) and, with the
 * compatibility switch, not a bare token either. It never validates (no `ogm_` shape), so the request
 * gets exactly the 401 of an unknown token: how the header was parsed is not revealed.
 */
export const UNREADABLE_CREDENTIAL = '-';

/**
 * The token to check: {@link extractToken}'s, or {@link UNREADABLE_CREDENTIAL} when an Authorization
 * header was sent but yields none; undefined only when no credential was presented at all.
 */
export function presentedToken(source: TokenSource, compat: boolean): string | undefined {
  const token = extractToken(source, compat);
  if (token !== undefined) return token;
  return source.headers.authorization !== undefined ? UNREADABLE_CREDENTIAL : undefined;
}
