import { encodeScimCursor, listDigest } from '../../src/scim/scim-cursor.js';
import { people } from './people.dataset.js';
import type { Dataset, Sql } from './types.js';

/** Rows skipped before the deep SCIM cursor page: as deep as the people list's page 901. */
export const SCIM_CURSOR_DEPTH = 90_000;
/** The page size of the SCIM cursor operations (it is part of the cursor's list). */
export const SCIM_CURSOR_COUNT = 100;

export interface ScimFixtures {
  /**
   * The nextCursor a client paging `GET /scim/v2/Users?cursor=&count=100` from the start holds after
   * SCIM_CURSOR_DEPTH rows: the position of that row in the default cursor order (meta.created, id).
   */
  readonly deepCursor: string;
}

/**
 * No rows of its own: the SCIM operations read the people. Its fixtures are cursors into them, made
 * as the service makes them (src/scim/scim-cursor.ts) from the row at the depth, read once per run:
 * a cursor is valid for an hour (cursorTimeout), longer than any run.
 */
export const scim: Dataset<ScimFixtures> = {
  name: 'scim',
  description: `SCIM cursors into the people (none stored): the position after ${SCIM_CURSOR_DEPTH.toLocaleString('en-US')} rows`,
  dependsOn: [people],
  isSeeded: () => Promise.resolve(true),
  seed: () => Promise.resolve(),
  count: () => Promise.resolve(0),

  async fixtures(sql: Sql): Promise<ScimFixtures> {
    // The key of ScimUsersService's cursor order without sortBy (created_at, id), as the service writes it.
    const [row] = await sql<{ key: string; id: string }>(
      `select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as key, id from person
        order by created_at, id offset ? limit 1`,
      [SCIM_CURSOR_DEPTH - 1],
    );
    if (!row) throw new Error(`fewer than ${SCIM_CURSOR_DEPTH} people: seed more (--people)`);
    return { deepCursor: encodeScimCursor({ key: row.key, id: row.id }, listDigest({ count: SCIM_CURSOR_COUNT })) };
  },
};
