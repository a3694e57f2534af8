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
