import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../database/transaction.js';

/** Tables an input may reference by id (an allow-list: the name is interpolated). */
export type ReferencedTable = 'person' | 'org_unit' | 'org_role';

export async function rowExists(em: EntityManager, table: ReferencedTable, id: string): Promise<boolean> {
  return (await sql(em, `select 1 from ${table} where id = ?`, [id])).length > 0;
}
