import { RequestContext, TransactionContext, type EntityManager } from '@mikro-orm/core';
import type { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The request's EntityManager forks, made on first use: MikroORM's own request context
 * (`registerRequestContext`, `RequestContext.create`) forks the EntityManager (a unit of work, an
 * identity map, an entity factory) for every request before the handler runs, 3 % of a person read's
 * CPU (issue 10), while the read models and the single-statement create never use one. The fork is
 * the same MikroORM would have made (`fork({ useContext: true })`), at the first `get`, and kept for
 * the rest of the request; {@link peekFork} finds it without making it.
 */
class LazyForks extends Map<string, EntityManager> {
  constructor(private readonly em: EntityManager) {
    super();
  }

  private forking = false;

  override get(name: string): EntityManager | undefined {
    let fork = super.get(name);
    if (fork === undefined && name === this.em.name && !this.forking) {
      // As MikroORM forks before the request runs, outside any context: from the global EntityManager
      // itself, and the new fork's own constructor finds no request EntityManager (it asks this map).
      this.forking = true;
      try {
        fork = this.em.fork({ useContext: true, disableContextResolution: true });
      } finally {
        this.forking = false;
      }
      super.set(name, fork);
    }
    return fork;
  }
}

/** MikroORM 7.2's store of request contexts (private in its types: what `RequestContext.create` runs in). */
const storage = (RequestContext as unknown as { storage: AsyncLocalStorage<RequestContext> }).storage;

/** Runs `next` (the rest of the request) in a request context whose EntityManager is forked on first use. */
export function runInRequestContext<T>(em: EntityManager, next: () => T): T {
  return storage.run(new RequestContext(new LazyForks(em)), next);
}

/** The request's fork of `em` if one was made, without making it. */
function peekFork(em: EntityManager): EntityManager | undefined {
  const context = RequestContext.currentRequestContext();
  return context ? (Map.prototype.get.call(context.map, em.name) as EntityManager | undefined) : undefined;
}

/**
 * The EntityManager `em` stands for in the current context when that matters for a statement (one in
 * a transaction, or the request's fork), without forking: the global EntityManager resolves to the
 * current transaction's, else to the request's fork if it exists; undefined when neither does (the
 * statement then runs on the pool, as it would through a fresh fork). Any other EntityManager is
 * itself.
 */
export function currentEntityManager<E extends EntityManager>(em: E): E | undefined {
  if (!em.global) return em;
  return (TransactionContext.getEntityManager(em.name) ?? peekFork(em)) as E | undefined;
}
