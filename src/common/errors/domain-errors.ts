import type { FieldError, RelatedSummary } from './problem.js';

/**
 * Errors the services throw. Each knows its HTTP status and problem type; the global filter is the
 * only place that turns them (and everything else) into responses.
 */
export abstract class DomainError extends Error {
  abstract readonly status: number;
  abstract readonly slug: string;
  abstract readonly title: string;
  /** Extra members of the problem body. */
  extensions(): Record<string, unknown> {
    return {};
  }
  /** Extra response headers. */
  headers(): Record<string, string> {
    return {};
  }
}

/** Bounds of a validation problem: `errors` entries, characters of `detail`, of a field name or message. */
export const MAX_FIELD_ERRORS = 100;
export const MAX_DETAIL = 2_000;
const MAX_FIELD_NAME = 200;
const MAX_FIELD_MESSAGE = 500;

/** The text cut to at most `max` characters, an ellipsis marking the cut. */
function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** "field: message; …" for as many errors as fit in {@link MAX_DETAIL} characters, then "and N more". */
function detailOf(errors: FieldError[], total: number): string {
  const room = MAX_DETAIL - 24; // for "; and 1000000 more"
  const parts: string[] = [];
  let length = 0;
  for (const e of errors) {
    const part = `${e.field}: ${e.message}`;
    if (parts.length === 0 && part.length > room) {
      parts.push(cut(part, room));
      break;
    }
    if (length + part.length + 2 > room) break;
    parts.push(part);
    length += part.length + 2;
  }
  const omitted = total - parts.length;
  return parts.join('; ') + (omitted > 0 ? `; and ${omitted} more` : '');
}

export class InvalidInputError extends DomainError {
  readonly status = 400;
  readonly slug = 'validation-error';
  readonly title = 'Validation failed';
  readonly errors: FieldError[];
  constructor(errors: FieldError[]) {
    // Bounded as documented: a hostile body with thousands of unknown keys gets the first 100
    // entries, field names cut to 200 characters, messages to 500, and a detail of at most 2,000 characters.
    const kept = errors
      .slice(0, MAX_FIELD_ERRORS)
      .map((e) => ({ field: cut(e.field, MAX_FIELD_NAME), message: cut(e.message, MAX_FIELD_MESSAGE) }));
    super(detailOf(kept, errors.length));
    this.errors = kept;
  }
  static field(field: string, message: string): InvalidInputError {
    return new InvalidInputError([{ field, message }]);
  }
  override extensions() {
    return { errors: this.errors };
  }
}

export class BadRequestError extends DomainError {
  readonly status = 400;
  readonly slug = 'bad-request';
  readonly title = 'Bad request';
}

export class RelatedEntitiesError extends DomainError {
  readonly status = 400;
  readonly slug = 'related-entities';
  readonly title = 'Related entities exist';
  constructor(readonly related: RelatedSummary) {
    const counts = Object.entries(related.counts)
      .map(([type, n]) => `${n} ${type}`)
      .join(', ');
    super(`Delete refused: related entities exist (${counts}). Delete them first or repeat with force=true.`);
  }
  override extensions() {
    return { related: this.related };
  }
}

export class EntityNotFoundError extends DomainError {
  readonly status = 404;
  readonly slug = 'not-found';
  readonly title = 'Not found';
}

export class ConflictError extends DomainError {
  readonly status = 409;
  readonly slug = 'conflict';
  readonly title = 'Conflict';
}

/**
 * A conditional write whose `If-Match` (or `If-None-Match`) does not hold for the entity's current
 * ETag (contract section 10.4, RFC 9110 section 13.1): nothing was changed.
 */
export class PreconditionFailedError extends DomainError {
  readonly status = 412;
  readonly slug = 'precondition-failed';
  readonly title = 'Precondition failed';
}

/** An `Idempotency-Key` reused with a different request (another body, route or query): 422. */
export class IdempotencyKeyReusedError extends DomainError {
  readonly status = 422;
  readonly slug = 'idempotency-key-reused';
  readonly title = 'Idempotency key reused';
}

/** A repeat of an `Idempotency-Key` whose first request is still running: 409, retry later. */
export class IdempotencyKeyInProgressError extends DomainError {
  readonly status = 409;
  readonly slug = 'idempotency-key-in-progress';
  readonly title = 'Idempotency key in progress';
  override headers() {
    return { 'Retry-After': '1' };
  }
}

export class UnauthorizedError extends DomainError {
  readonly status = 401;
  readonly slug = 'unauthorized';
  readonly title = 'Unauthorized';
  constructor(
    message: string,
    private readonly tokenPresented: boolean,
  ) {
    super(message);
  }
  override headers() {
    // RFC 6750 section 3: name the realm; say invalid_token only when a token was actually sent.
    const challenge = this.tokenPresented ? 'Bearer realm="organigram", error="invalid_token"' : 'Bearer realm="organigram"';
    return { 'WWW-Authenticate': challenge };
  }
}

export class ForbiddenError extends DomainError {
  readonly status = 403;
  readonly slug = 'forbidden';
  readonly title = 'Forbidden';
}

export class TooManyRequestsError extends DomainError {
  readonly status = 429;
  readonly slug = 'rate-limited';
  readonly title = 'Too many requests';
  constructor(private readonly retryAfterSeconds: number) {
    super(`Rate limit exceeded; retry after ${retryAfterSeconds} seconds.`);
  }
  override headers() {
    return { 'Retry-After': String(this.retryAfterSeconds) };
  }
}

export class ServiceUnavailableError extends DomainError {
  readonly status = 503;
  readonly slug = 'service-unavailable';
  readonly title = 'Service unavailable';
  constructor(
    message: string,
    private readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
  override headers() {
    return { 'Retry-After': String(this.retryAfterSeconds) };
  }
}

/** A token already has TOKEN_CONCURRENCY expensive reads in flight (contract section 8). */
export class TooManyConcurrentReadsError extends DomainError {
  readonly status = 429;
  readonly slug = 'too-many-concurrent-reads';
  readonly title = 'Too many concurrent reads';
  constructor(limit: number) {
    super(`This token already has ${limit} lists or indexes in progress; wait for one to finish, then retry.`);
  }
  override headers() {
    return { 'Retry-After': '1' };
  }
}

/**
 * An expensive read hit its statement timeout: the query itself costs too much, the database is
 * fine. No Retry-After: the same request would time out again.
 */
export class QueryTooExpensiveError extends DomainError {
  readonly status = 503;
  readonly slug = 'query-too-expensive';
  readonly title = 'Query too expensive';
  constructor(timeoutMs: number) {
    super(
      `The query did not finish within the statement timeout (${timeoutMs} ms): narrow the filter ` +
        '(more specific filters, a smaller page, fewer sort fields, no history) and try again.',
    );
  }
}
