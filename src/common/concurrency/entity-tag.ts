import { createHash } from 'node:crypto';
import { InvalidInputError, PreconditionFailedError } from '../errors/domain-errors.js';

/**
 * Entity tags (RFC 9110 section 8.8.3) and the preconditions built on them (section 13.1), for
 * contract section 10.4. See docs/decisions.md, "ETags and Idempotency-Key".
 */

/**
 * The entity tag an answer body carries, under a symbol key: JSON never serializes it, so the body
 * stays exactly the documented entity, and the global EntityTagInterceptor turns it into the `ETag`
 * header.
 */
export const ENTITY_TAG = Symbol('organigram.entityTag');

export type Tagged<T> = T & { readonly [ENTITY_TAG]?: string };

/**
 * The strong entity tag of one stored version of an entity: opaque (22 base64url characters of a
 * SHA-256 over the id and the version), quoted. Versions come from one database sequence and are
 * never reused, so a tag names one state of one entity for good.
 */
export function entityTag(id: string, version: string | number | bigint): string {
  return `"${createHash('sha256')
    .update(`${id}:${String(version)}`)
    .digest('base64url')
    .slice(0, 22)}"`;
}

/** Attaches `tag` to an answer body (in place) and returns it. */
export function withEntityTag<T extends object>(body: T, tag: string): Tagged<T> {
  Object.defineProperty(body, ENTITY_TAG, { value: tag, enumerable: false, configurable: true });
  return body;
}

/** The tag attached by {@link withEntityTag}, if any. */
export function tagOf(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const tag = (body as Tagged<object>)[ENTITY_TAG];
  return typeof tag === 'string' ? tag : undefined;
}

/**
 * A read row with its entity version (`entity_version`, selected in the same statement as the row, so
 * body and tag always describe the same state) -> the row without it, tagged.
 */
export function taggedRow<T extends { entity_version: string }>(row: T, id: string): Tagged<Omit<T, 'entity_version'>> {
  const { entity_version, ...rest } = row;
  return withEntityTag(rest, entityTag(id, entity_version));
}

/** One parsed entity tag: `"…"` (strong) or `W/"…"` (weak); `opaque` keeps its quotes. */
export interface ParsedTag {
  weak: boolean;
  opaque: string;
}

/** `*`, or the list of entity tags of an `If-Match` / `If-None-Match` field. */
export type TagCondition = '*' | readonly ParsedTag[];

/** The conditional headers of a write, parsed (absent = not sent). */
export interface Preconditions {
  ifMatch?: TagCondition;
  ifNoneMatch?: TagCondition;
}

/** More tags than anyone sends: a longer list is a 400 (bounds the work of a comparison). */
export const MAX_TAGS = 100;

const isEtagc = (code: number) => code === 0x21 || (code >= 0x23 && code <= 0x7e) || code >= 0x80;
const isOws = (ch: string) => ch === ' ' || ch === '\t';

/**
 * Parses `If-Match` / `If-None-Match` (RFC 9110: `"*" / #entity-tag`, `entity-tag = [ "W/" ] DQUOTE
 * *etagc DQUOTE`; commas may appear inside a tag). Several header lines count as one list. Anything
 * else is a 400 naming the header.
 */
export function parseTagCondition(raw: string | readonly string[], header: string): TagCondition {
  const value = (typeof raw === 'string' ? raw : raw.join(', ')).trim();
  const refuse = () => InvalidInputError.field(header, 'must be "*" or a comma-separated list of entity tags ("…" or W/"…"), at most 100');
  if (value === '*') return '*';
  const tags: ParsedTag[] = [];
  let i = 0;
  let expectTag = true;
  while (i < value.length) {
    const ch = value[i];
    if (isOws(ch)) {
      i++;
    } else if (ch === ',') {
      expectTag = true;
      i++;
    } else {
      if (!expectTag) throw refuse();
      let weak = false;
      if (value.startsWith('W/', i)) {
        weak = true;
        i += 2;
      }
      if (value[i] !== '"') throw refuse();
      const end = value.indexOf('"', i + 1);
      if (end === -1) throw refuse();
      for (let j = i + 1; j < end; j++) if (!isEtagc(value.charCodeAt(j))) throw refuse();
      tags.push({ weak, opaque: value.slice(i, end + 1) });
      if (tags.length > MAX_TAGS) throw refuse();
      i = end + 1;
      expectTag = false;
    }
  }
  if (tags.length === 0) throw refuse();
  return tags;
}

/** Parses the raw headers into {@link Preconditions} (400 naming the header when malformed). */
export function parsePreconditions(raw: unknown): Preconditions {
  const headers = (raw ?? {}) as { ifMatch?: string | string[]; ifNoneMatch?: string | string[] };
  const out: Preconditions = {};
  if (headers.ifMatch !== undefined) out.ifMatch = parseTagCondition(headers.ifMatch, 'If-Match');
  if (headers.ifNoneMatch !== undefined) out.ifNoneMatch = parseTagCondition(headers.ifNoneMatch, 'If-None-Match');
  return out;
}

function parseCurrent(tag: string): ParsedTag {
  return tag.startsWith('W/') ? { weak: true, opaque: tag.slice(2) } : { weak: false, opaque: tag };
}

/** Strong comparison (RFC 9110 section 8.8.3.2): both strong and the same opaque tag. */
export function strongMatch(condition: TagCondition, current: string): boolean {
  if (condition === '*') return true;
  const c = parseCurrent(current);
  return !c.weak && condition.some((t) => !t.weak && t.opaque === c.opaque);
}

/** Weak comparison: the same opaque tag, weak or not. */
export function weakMatch(condition: TagCondition, current: string): boolean {
  if (condition === '*') return true;
  const c = parseCurrent(current);
  return condition.some((t) => t.opaque === c.opaque);
}

/**
 * RFC 9110 section 13.2.2 for a write on an entity that exists with `currentTag`: If-Match must hold
 * (strong comparison; `*` matches any existing entity), then If-None-Match must not (weak comparison;
 * `*` matches any existing entity). Otherwise a 412 and the caller changes nothing. Call it under the
 * row lock the write holds, so that no other write can slip in between the check and the write.
 */
export function assertPreconditions(preconditions: Preconditions | undefined, currentTag: string, noun: string): void {
  if (!preconditions) return;
  if (preconditions.ifMatch !== undefined && !strongMatch(preconditions.ifMatch, currentTag)) {
    throw new PreconditionFailedError(
      `If-Match: the ${noun} has changed since that ETag was answered (its ETag is now ${currentTag}); nothing was changed. ` +
        'Read it again and repeat the change with the new ETag.',
    );
  }
  if (preconditions.ifNoneMatch !== undefined && weakMatch(preconditions.ifNoneMatch, currentTag)) {
    throw new PreconditionFailedError(`If-None-Match: the ${noun} exists with a matching ETag; nothing was changed.`);
  }
}
