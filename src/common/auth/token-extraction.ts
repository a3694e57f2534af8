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
