import { sql, type RawBuilder } from 'kysely';
import { AsyncLocalStorage } from 'node:async_hooks';
/** Who is writing: the acting token, or null fields for the CLI / system. */
export interface WriteActor {
  readonly tokenId: string | null;
  readonly tokenName: string | null;
  readonly role: string | null;
}
export interface WriteContext {
  readonly actor: WriteActor;
  readonly requestId: string;
}
/** Set per request (by an interceptor in common, from the principal and the request id) or around a job. */
export const writeContext = new AsyncLocalStorage<WriteContext>();

/** The writer as the change-log triggers read it: `organigram.actor` (JSON) and `organigram.request_id`. */
export function writerSettings(context: WriteContext): { actor: string; requestId: string } {
  const { tokenId, tokenName, role } = context.actor;
  return { actor: JSON.stringify({ token_id: tokenId, token_name: tokenName, role }), requestId: context.requestId };
}

/**
 * A select that hands the current writer to PostgreSQL for the rest of the transaction (nothing when
 * there is no writer), for a single statement that runs as its own transaction outside MikroORM's
 * transaction hook (WriteContextSubscriber).
 */
export function writerSettingsSql(): RawBuilder<unknown> {
  const context = writeContext.getStore();
  if (!context) return sql`select 1`;
  const { actor, requestId } = writerSettings(context);
  return sql`select set_config('organigram.actor', ${actor}, true), set_config('organigram.request_id', ${requestId}, true)`;
}
