import { createHash } from 'node:crypto';
import { ScimError } from '../common/errors/scim-error.js';
import { CURSOR_TIMEOUT_SECONDS } from './scim-schemas.js';

/**
 * RFC 9865 cursors (contract section 13.4): the sort key and id of the last row of the page before,
 * when the cursor was issued, and a digest of the list's other parameters, base64url-encoded (RFC 3986
 * unreserved characters only) with a checksum. The checksum detects a mangled or hand-edited cursor; a
 * forged one gains nothing (a cursor only positions a list its token may read whole).
 */
export interface ScimCursor {
  /** The sort key of the last row of the page before (text), null when the key is the id itself. */
  key: string | null;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const digest = (text: string) => createHash('sha256').update(`organigram-scim-cursor:${text}`).digest('base64url').slice(0, 16);

export function listDigest(parameters: Record<string, unknown>): string {
  return digest(JSON.stringify(Object.entries(parameters).filter(([, v]) => v !== undefined)));
}

export function encodeScimCursor(cursor: ScimCursor, list: string, now = Date.now()): string {
  const body = JSON.stringify([cursor.key, cursor.id, Math.floor(now / 1000), list]);
  return `${Buffer.from(body).toString('base64url')}.${digest(body)}`;
}

/** The position a cursor names; 400 invalidCursor (unknown, tampered, another list) or expiredCursor. */
export function decodeScimCursor(value: string, list: string, now = Date.now()): ScimCursor {
  const invalid = () => new ScimError(400, 'invalidCursor', 'cursor: is not a cursor of this list (take nextCursor of the page before)');
  const [encoded, check, extra] = value.split('.');
  if (!encoded || !check || extra !== undefined) throw invalid();
  const body = Buffer.from(encoded, 'base64url').toString('utf8');
  if (digest(body) !== check) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw invalid();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 4 ||
    !(parsed[0] === null || typeof parsed[0] === 'string') ||
    typeof parsed[1] !== 'string' ||
    !UUID.test(parsed[1]) ||
    !Number.isSafeInteger(parsed[2]) ||
    parsed[3] !== list
  ) {
    throw invalid();
  }
  if (now / 1000 - (parsed[2] as number) > CURSOR_TIMEOUT_SECONDS) {
    throw new ScimError(400, 'expiredCursor', `cursor: older than ${CURSOR_TIMEOUT_SECONDS} seconds; start again without one`);
  }
  return { key: parsed[0] as string | null, id: parsed[1] };
}
