import { DomainError } from '../common/errors/domain-errors.js';

/** A cursor from before the retention horizon: the events after it are gone (contract 10.1). */
export class CursorExpiredError extends DomainError {
  readonly status = 410;
  readonly slug = 'cursor-expired';
  readonly title = 'Cursor expired';
}

/** Too many long-polling requests wait on this instance. */
export class TooManyWaitersError extends DomainError {
  readonly status = 429;
  readonly slug = 'too-many-waiters';
  readonly title = 'Too many waiting requests';
  constructor(limit: number) {
    super(`At most ${limit} requests may wait for changes on this instance at once; retry, or poll without wait.`);
  }
  override headers() {
    return { 'Retry-After': '1' };
  }
}
