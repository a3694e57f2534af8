/**
 * Feed cursors: the commit position of an event's transaction and the event's rank within it,
 * wrapped in an opaque string (clients must not build them). `seq` = {@link END_OF_TRANSACTION}
 * means "after every event of that transaction".
 */
export interface FeedPosition {
  readonly position: bigint;
  readonly seq: bigint;
}

export const START: FeedPosition = { position: 0n, seq: 0n };
export const END_OF_TRANSACTION = 9_223_372_036_854_775_807n;

const PREFIX = 'c1.';

export function encodeCursor(at: FeedPosition): string {
  return Buffer.from(`${PREFIX}${at.position}.${at.seq}`, 'utf8').toString('base64url');
}

/** The position a cursor stands for, or undefined when it is not one of ours. */
export function decodeCursor(cursor: string): FeedPosition | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^c1\.(\d{1,19})\.(\d{1,19})$/.exec(text);
  if (!match) return undefined;
  const position = BigInt(match[1]);
  const seq = BigInt(match[2]);
  if (position > END_OF_TRANSACTION || seq > END_OF_TRANSACTION) return undefined;
  return { position, seq };
}
