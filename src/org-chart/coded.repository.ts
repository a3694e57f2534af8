import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { rows } from '../database/sql.js';

/** The tables of the coded entities (an allow-list: the name is interpolated). */
export type CodedTable = 'org_unit' | 'org_role';

/** True when another row of the table (not `exceptId`) has this code in this project (null included). */
export async function codeTakenIn(
  em: EntityManager,
  table: CodedTable,
  projectId: string | null,
  code: string,
  exceptId: string | null,
): Promise<boolean> {
  const found = await rows(
    em,
    sql`select 1 from ${sql.raw(table)} where project_id is not distinct from ${projectId}::uuid and code = ${code} and id is distinct from ${exceptId}::uuid`,
  );
  return found.length > 0;
}
