import { problemType } from '../common/errors/domain-errors.js';

/** A cursor from before the retention horizon: the events after it are gone (contract 10.1). */
export class CursorExpiredError extends problemType(410, 'cursor-expired', 'Cursor expired') {}

/** Too many long-polling requests wait on this instance. */
export class TooManyWaitersError extends problemType(429, 'too-many-waiters', 'Too many waiting requests', { retryAfterSeconds: 1 }) {
  constructor(limit: number) {
    super(`At most ${limit} requests may wait for changes on this instance at once; retry, or poll without wait.`);
  }
}
