import { ConnectionException } from '@mikro-orm/core';

export type DatabaseFailure =
  /** The database cannot serve right now: down, restarting, pool exhausted, timed out. Retry later. */
  | { kind: 'unavailable'; reason: string }
  /** Input the database refused (too long, bad encoding, check constraint): a client error. */
  | { kind: 'invalid'; reason: string; constraint?: string }
  /** A unique or foreign-key constraint refused the write (a race the service did not pre-empt). */
  | { kind: 'conflict'; reason: string; constraint?: string };

// SQLSTATE classes and codes (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const UNAVAILABLE_CODES = new Set([
  '57014', // query_canceled: statement_timeout
  '55P03', // lock_not_available: lock_timeout
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '53000', // insufficient_resources
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '25P03', // idle_in_transaction_session_timeout
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
]);
const INVALID_CODES = new Set([
  '22001', // string_data_right_truncation
  '22P02', // invalid_text_representation
  '22P05', // untranslatable_character
  '22021', // character_not_in_repertoire (NUL bytes and bad UTF-8)
  '22007', // invalid_datetime_format
  '22008', // datetime_field_overflow
  '22009', // invalid_time_zone_displacement_value
  '22003', // numeric_value_out_of_range
  '23502', // not_null_violation
  '23514', // check_violation
  '54001', // statement_too_complex
]);
const CONFLICT_CODES = new Set(['23505', '23503', '23P01']);

// Messages of the pg driver and pool that mean the server is out of reach; they carry no SQLSTATE.
const UNAVAILABLE_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'connect ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'Client has encountered a connection error',
  'Cannot use a pool after calling end',
  'the database system is',
  'terminating connection',
  'server closed the connection',
  'Query read timeout',
  // Kysely, once the pool is closed at shutdown: a handler whose client gave up (so the HTTP server
  // closed without waiting for it) reaches for a connection after the ORM closed. Retry elsewhere.
  'driver has already been destroyed',
  // node-postgres, the same case for a named statement sent to the pool directly (preparedRows).
  'Cannot use a pool after calling end on the pool',
];

function codeOf(error: Record<string, unknown>): string | undefined {
  for (const key of ['sqlState', 'code']) {
    const value = error[key];
    if (typeof value === 'string' && /^[0-9A-Z]{5}$/.test(value)) return value;
  }
  return undefined;
}

/**
 * True for anything shaped like an Error. Not `instanceof Error`: errors raised by Node's own modules
 * (net, tls) come from another realm under test runners that use vm contexts, and would not match.
 */
export function isErrorLike(error: unknown): error is Error {
  return typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string';
}

/** Classifies an error that came from the database layer; undefined when it did not. */
export function classifyDatabaseError(error: unknown): DatabaseFailure | undefined {
  if (!isErrorLike(error)) return undefined;
  const fields = error as unknown as Record<string, unknown>;
  const code = codeOf(fields);
  if (code !== undefined) {
    if (UNAVAILABLE_CODES.has(code) || code.startsWith('08')) return { kind: 'unavailable', reason: code };
    const constraint = typeof fields.constraint === 'string' ? fields.constraint : undefined;
    if (INVALID_CODES.has(code)) return { kind: 'invalid', reason: code, constraint };
    if (CONFLICT_CODES.has(code)) return { kind: 'conflict', reason: code, constraint };
  }
  if (error instanceof ConnectionException) return { kind: 'unavailable', reason: 'connection' };
  const text = error.message;
  if (UNAVAILABLE_MESSAGES.some((m) => text.includes(m))) return { kind: 'unavailable', reason: 'connection' };
  return undefined;
}

/**
 * True when the statement was cancelled by its own statement_timeout (57014 with PostgreSQL's message),
 * not by an operator's pg_cancel_backend (same code, "due to user request") nor by lock_timeout (55P03).
 */
export function isStatementTimeout(error: unknown): boolean {
  return classifyDatabaseError(error)?.reason === '57014' && /statement timeout/i.test((error as Error).message);
}

/** True when the error means the database is unreachable or overloaded (retry later). */
export function isDatabaseUnavailable(error: unknown): boolean {
  return classifyDatabaseError(error)?.kind === 'unavailable';
}

/** The name of the constraint (unique, foreign key, check) the error violated, when the driver reported it. */
export function violatedConstraint(error: unknown): string | undefined {
  const failure = classifyDatabaseError(error);
  return failure && failure.kind !== 'unavailable' ? failure.constraint : undefined;
}

/** True for a foreign-key violation (SQLSTATE 23503). */
export function isForeignKeyViolation(error: unknown): boolean {
  return classifyDatabaseError(error)?.reason === '23503';
}
