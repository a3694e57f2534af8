import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * API token format (GitHub style): `ogm_` + 30 random base62 characters (about 178 bits) + 6 base62
 * characters of CRC32 over the random part. The prefix makes leaked tokens recognizable to secret
 * scanners; the checksum lets the server refuse a mistyped or forged token without a database lookup.
 */
export const TOKEN_PREFIX = 'ogm_';
const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const TOKEN_PATTERN = new RegExp(`^${TOKEN_PREFIX}[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}$`);

function base62(value: number, width: number): string {
  let out = '';
  let n = value;
  for (let i = 0; i < width; i++) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

function checksum(random: string): string {
  return base62(crc32(random), CHECKSUM_LENGTH);
}

export function generateToken(): string {
  // Rejection sampling keeps every character uniform over the alphabet (248 = 4 * 62).
  let random = '';
  while (random.length < RANDOM_LENGTH) {
    for (const byte of randomBytes(RANDOM_LENGTH * 2)) {
      if (byte < 248 && random.length < RANDOM_LENGTH) random += ALPHABET[byte % 62];
    }
  }
  return TOKEN_PREFIX + random + checksum(random);
}

/** Shape and checksum only: true means "worth a database lookup", not "valid". */
export function isWellFormedToken(token: string): boolean {
  if (!TOKEN_PATTERN.test(token)) return false;
  const body = token.slice(TOKEN_PREFIX.length);
  return checksum(body.slice(0, RANDOM_LENGTH)) === body.slice(RANDOM_LENGTH);
}

/** Tokens carry ~178 bits of entropy, so a fast unsalted SHA-256 is a safe lookup key. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
