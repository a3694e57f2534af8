import type { EntityManager } from '@mikro-orm/postgresql';
import { isForeignKeyViolation } from '../database/database-errors.js';
import { RelatedEntitiesError } from '../common/errors/domain-errors.js';
import type { RelatedEntity, RelatedSummary } from '../common/errors/problem.js';
import { inTransaction } from '../database/transaction.js';

export const RELATED_ITEMS_LIMIT = 100;

/**
 * What a delete of one entity needs to know about it. Every step but `notFound` runs inside the same
 * transaction: the repositories' injected EntityManager follows it, so no step takes it as an argument.
 */
export interface DeletionPlan {
  /**
   * Locks the entity, and every row the delete walks, FOR UPDATE. A concurrent insert that
   * references a locked row (its foreign-key check takes KEY SHARE) waits, then fails cleanly
   * because the row is gone; one that got there first is seen by the counts that follow.
   * Resolves false when the entity does not exist.
   */
  lock(): Promise<boolean>;
  /** Checked once the entity is locked, before anything else: the request's If-Match (412 otherwise). */
  check?(): Promise<void>;
  related(): Promise<RelatedSummary>;
  /** Deletes every related entity, in bounded set-based statements (never row by row). */
  removeRelated(): Promise<void>;
  remove(): Promise<void>;
  notFound(): Error;
}

export function totalRelated(summary: RelatedSummary): number {
  return Object.values(summary.counts).reduce((a, b) => a + b, 0);
}

/** Merges per-type partial summaries, keeping the first {@link RELATED_ITEMS_LIMIT} items in order. */
export function mergeRelated(parts: { type: string; count: number; items: RelatedEntity[] }[]): RelatedSummary {
  const counts: Record<string, number> = {};
  const items: RelatedEntity[] = [];
  for (const part of parts) {
    if (part.count > 0) counts[part.type] = part.count;
    for (const item of part.items) if (items.length < RELATED_ITEMS_LIMIT) items.push(item);
  }
  return { counts, items };
}

/**
 * Contract section 5. Without force: refuse (400 with the related entities) when any exist, changing
 * nothing. With force: the entity and everything related go in one unit-of-work transaction, all or
 * nothing. A foreign-key violation can only come from a race the locks did not cover; it is answered
 * like a refused delete, with a fresh listing, never as a 500.
 */
export async function deleteWithRules(em: EntityManager, plan: DeletionPlan, force: boolean): Promise<void> {
  try {
    await inTransaction(em, async () => {
      if (!(await plan.lock())) throw plan.notFound();
      await plan.check?.();
      const related = await plan.related();
      if (totalRelated(related) > 0) {
        if (!force) throw new RelatedEntitiesError(related);
        await plan.removeRelated();
      }
      await plan.remove();
    });
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new RelatedEntitiesError(await plan.related());
    throw error;
  }
}
