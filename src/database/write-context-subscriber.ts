import type { EventSubscriber, TransactionEventArgs } from '@mikro-orm/core';
import { writeContext, writerSettings } from './write-context.js';

/**
 * Hands the writer (token and request id of {@link writeContext}) to PostgreSQL at the start of every
 * top-level transaction MikroORM opens: `em.transactional` (so `inTransaction`) and the implicit
 * transaction of a plain `em.flush()` alike. `set_config(..., true)` is transaction-local, so the
 * values die with the transaction and never leak to the next user of the pooled connection. The
 * change-log triggers read them with `current_setting('organigram.actor', true)`
 * (docs/decisions.md, "Change log").
 */
export class WriteContextSubscriber implements EventSubscriber {
  async afterTransactionStart(args: TransactionEventArgs): Promise<void> {
    const context = writeContext.getStore();
    const trx = args.transaction as (object & { savepointName?: string }) | undefined;
    // A savepoint (nested transactional) shares its top-level transaction's settings.
    if (!context || !trx || trx.savepointName) return;
    const { actor, requestId } = writerSettings(context);
    await args.em
      .getConnection('write')
      .execute(
        "select set_config('organigram.actor', ?, true), set_config('organigram.request_id', ?, true)",
        [actor, requestId],
        'run',
        trx,
      );
  }
}
