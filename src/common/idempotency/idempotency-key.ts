import { createHash, type Hash } from 'node:crypto';
import { InvalidInputError } from '../errors/domain-errors.js';

/** 1 to 255 printable ASCII characters (contract section 10.4). */
const KEY = /^[\x20-\x7e]{1,255}$/;

/** The `Idempotency-Key` header, or a 400 naming it. Node has already trimmed surrounding blanks. */
export function parseIdempotencyKey(raw: string | readonly string[]): string {
  if (typeof raw !== 'string' || !KEY.test(raw)) {
    throw InvalidInputError.field('Idempotency-Key', 'must be 1 to 255 printable ASCII characters, sent once');
  }
  return raw;
}

/**
 * JSON with every object's keys sorted: two bodies that differ only in key order (or in white space)
 * are the same request. Linear in the body, which the input guard bounds (100,000 values, 1 MiB).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/**
 * What makes two requests "the same" for a key: method, path with query, and the body (canonical
 * JSON; a text or binary body, such as a CSV upload, byte for byte). SHA-256 hex.
 */
export function requestFingerprint(method: string, url: string, body: unknown): string {
  const hash = createHash('sha256').update(`${method.toUpperCase()} ${url}\n`);
  if (body === undefined) hash.update('-');
  else if (typeof body === 'string') hash.update(`s${body}`);
  else if (Buffer.isBuffer(body)) hash.update('b').update(body);
  else hash.update(`j${canonicalJson(body)}`);
  return hash.digest('hex');
}

/**
 * The fingerprint of a streamed body ({@link requestFingerprint}'s equivalent for a body read as a
 * stream): method, path with query and content type, then the raw bytes, fed as they arrive.
 */
export function streamedRequestHash(method: string, url: string, contentType: string | undefined): Hash {
  return createHash('sha256').update(`${method.toUpperCase()} ${url}\n${contentType ?? ''}\nr`);
}
