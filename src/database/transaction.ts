import type { EntityManager } from '@mikro-orm/postgresql';
import { classifyDatabaseError } from './database-errors.js';

const RETRYABLE = new Set(['40P01', '40001']); // deadlock_detected, serialization_failure
const ATTEMPTS = 3;

/**
 * One MikroORM unit-of-work transaction (`em.transactional`): every write inside commits together or
 * not at all. A deadlock or serialization failure between concurrent writers is retried a few times
 * from the start before it surfaces (as a 503).
 */
export async function inTransaction<T>(em: EntityManager, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await em.transactional((tx) => work(tx));
    } catch (error) {
      const reason = classifyDatabaseError(error)?.reason;
      if (attempt >= ATTEMPTS || reason === undefined || !RETRYABLE.has(reason)) throw error;
    }
  }
}
