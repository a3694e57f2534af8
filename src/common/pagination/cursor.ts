import { createHash } from 'node:crypto';
import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { InvalidInputError } from '../errors/domain-errors.js';
import { FreeText } from '../validation/free-text.js';
import type { Page, PageRequest } from './page.js';
import { pageCount } from './pagination.interceptor.js';

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

/** The `cursor` query parameter of a GET list that offers keyset cursors (people, tokens). */
export function CursorField(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      maxLength: 200,
      description:
        'Keyset cursor of the next page, as the `rel="next"` Link gives it (with its `page`): that page at the cost of the first, ' +
        'with the same X-Pagination-* headers as `page=N`. Valid only with the same filters, sort and per-page.',
    }),
    IsOptional(),
    IsString(),
    FreeText(),
    MaxLength(200),
  );
}

/** The page a keyset list reads: by number, or (with a cursor) the rows after the row `after`. */
export interface KeysetRequest {
  readonly page: PageRequest;
  /** The id of the last row of the page before (a cursor was given). */
  readonly after?: string;
  readonly fingerprint: string;
}

/**
 * The page a GET list request asks for: `page`/`per-page`, or the cursor's page number and reference
 * row. `parameters` are every other parameter of the list (filters, sort, and whatever decides which
 * rows the caller sees): a cursor is valid only for the list it came from.
 */
export function keysetRequest(
  given: string | undefined,
  page: number | undefined,
  requested: PageRequest,
  parameters: Record<string, unknown>,
): KeysetRequest {
  const fingerprint = listFingerprint({ ...parameters, 'per-page': requested.perPage });
  if (given === undefined) return { page: requested, fingerprint };
  const cursor = decodeCursor(given, fingerprint, page);
  return { page: { page: cursor.page, perPage: requested.perPage }, after: cursor.after, fingerprint };
}

/** The {@link Page} of a keyset list: `nextCursor` (for `rel="next"`) when a full page has pages after it. */
export function keysetPage<T extends { id: string }>(request: KeysetRequest, result: { items: T[]; total: number }): Page<T> {
  const { page, perPage } = request.page;
  const last = result.items.at(-1);
  const nextCursor =
    last && result.items.length === perPage && page < pageCount(result.total, perPage)
      ? encodeCursor({ page: page + 1, after: last.id }, request.fingerprint)
      : undefined;
  return { items: result.items, total: result.total, page, perPage, nextCursor };
}
