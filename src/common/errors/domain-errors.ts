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

/**
 * The base class of one problem type: its status, slug and title, and with `retryAfterSeconds` a
 * fixed `Retry-After` header. `class XError extends problemType(404, 'not-found', 'Not found') {}`.
 */
export function problemType(status: number, slug: string, title: string, options: { retryAfterSeconds?: number } = {}) {
  return class extends DomainError {
    readonly status = status;
    readonly slug = slug;
    readonly title = title;
    override headers(): Record<string, string> {
      return options.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(options.retryAfterSeconds) };
    }
  };
}

/** The base class of a problem whose `Retry-After` is known only when it is thrown. */
function retryableProblemType(status: number, slug: string, title: string) {
  return class extends DomainError {
    readonly status = status;
    readonly slug = slug;
    readonly title = title;
    constructor(
      message: string,
      readonly retryAfterSeconds: number,
    ) {
      super(message);
    }
    override headers(): Record<string, string> {
      return { 'Retry-After': String(this.retryAfterSeconds) };
    }
  };
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

export class BadRequestError extends problemType(400, 'bad-request', 'Bad request') {}

export class RelatedEntitiesError extends problemType(400, 'related-entities', 'Related entities exist') {
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

export class EntityNotFoundError extends problemType(404, 'not-found', 'Not found') {}

export class ConflictError extends problemType(409, 'conflict', 'Conflict') {}

/**
 * A conditional write whose `If-Match` (or `If-None-Match`) does not hold for the entity's current
 * ETag (contract section 10.4, RFC 9110 section 13.1): nothing was changed.
 */
export class PreconditionFailedError extends problemType(412, 'precondition-failed', 'Precondition failed') {}

/** An `Idempotency-Key` reused with a different request (another body, route or query): 422. */
export class IdempotencyKeyReusedError extends problemType(422, 'idempotency-key-reused', 'Idempotency key reused') {}

/** A repeat of an `Idempotency-Key` whose first request is still running: 409, retry later. */
export class IdempotencyKeyInProgressError extends problemType(409, 'idempotency-key-in-progress', 'Idempotency key in progress', {
  retryAfterSeconds: 1,
}) {}

export class UnauthorizedError extends problemType(401, 'unauthorized', 'Unauthorized') {
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

export class ForbiddenError extends problemType(403, 'forbidden', 'Forbidden') {}

export class TooManyRequestsError extends retryableProblemType(429, 'rate-limited', 'Too many requests') {
  constructor(retryAfterSeconds: number) {
    super(`Rate limit exceeded; retry after ${retryAfterSeconds} seconds.`, retryAfterSeconds);
  }
}

export class ServiceUnavailableError extends retryableProblemType(503, 'service-unavailable', 'Service unavailable') {}

/** A token already has TOKEN_CONCURRENCY expensive reads in flight (contract section 8). */
export class TooManyConcurrentReadsError extends problemType(429, 'too-many-concurrent-reads', 'Too many concurrent reads', {
  retryAfterSeconds: 1,
}) {
  constructor(limit: number) {
    super(`This token already has ${limit} lists or indexes in progress; wait for one to finish, then retry.`);
  }
}

/**
 * An expensive read hit its statement timeout: the query itself costs too much, the database is
 * fine. No Retry-After: the same request would time out again.
 */
export class QueryTooExpensiveError extends problemType(503, 'query-too-expensive', 'Query too expensive') {
  constructor(timeoutMs: number) {
    super(
      `The query did not finish within the statement timeout (${timeoutMs} ms): narrow the filter ` +
        '(more specific filters, a smaller page, fewer sort fields, no history) and try again.',
    );
  }
}
