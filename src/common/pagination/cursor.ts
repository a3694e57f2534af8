import { createHash } from 'node:crypto';
import { InvalidInputError } from '../errors/domain-errors.js';

/** What a keyset cursor of a GET list carries: the page it leads to and the id of the row before it. */
export interface PageCursor {
  /** The page number the cursor's page has (the same as `page=N` would answer). */
  readonly page: number;
  /** The id of the last row of the page before. */
  readonly after: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A short digest of the list's other parameters (filters, sort, per-page): a cursor is only valid for the list it came from. */
export function listFingerprint(parameters: Record<string, unknown>): string {
  const given = Object.keys(parameters).filter((key) => parameters[key] !== undefined && parameters[key] !== null);
  const canonical = JSON.stringify(given.sort().map((key) => [key, parameters[key]]));
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 12);
}

/** The opaque `cursor` value (RFC 3986 unreserved characters only). */
export function encodeCursor(cursor: PageCursor, fingerprint: string): string {
  return Buffer.from(JSON.stringify([cursor.page, cursor.after, fingerprint])).toString('base64url');
}

/**
 * The cursor of a request, or a 400 naming `cursor` when it is not one this list issued (malformed, or
 * made for other filters, sort or per-page), or naming `page` when both are given and disagree.
 */
export function decodeCursor(value: string, fingerprint: string, page: number | undefined): PageCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    !Number.isSafeInteger(parsed[0]) ||
    (parsed[0] as number) < 2 ||
    typeof parsed[1] !== 'string' ||
    !UUID.test(parsed[1])
  ) {
    throw InvalidInputError.field('cursor', 'is not a cursor of this list (take it from the Link header)');
  }
  if (parsed[2] !== fingerprint) {
    throw InvalidInputError.field('cursor', 'belongs to a list with other filters, sort or per-page');
  }
  const cursor = { page: parsed[0] as number, after: parsed[1] };
  if (page !== undefined && page !== cursor.page)
    throw InvalidInputError.field('page', `must be ${cursor.page} with this cursor, or left out`);
  return cursor;
}
