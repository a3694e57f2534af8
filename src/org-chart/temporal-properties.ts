import { p } from '@mikro-orm/core';

/**
 * The validity period (contract section 2), audit timestamps and entity version every entity of the
 * directory has. Spread into each entity's properties.
 */
export const temporalProperties = () => ({
  validFrom: p.datetime().nullable(),
  validTo: p.datetime().nullable(),
  createdAt: p.datetime().onCreate(() => new Date()),
  updatedAt: p
    .datetime()
    .onCreate(() => new Date())
    .onUpdate(() => new Date()),
  /**
   * The entity version behind its ETag (contract section 10.4): set by the database at insert (read
   * back through RETURNING) and moved by the `*_version_bump` trigger whenever the stored row
   * changes, never written by the application (migration Migration20261201060000_etags). After an
   * update the in-memory value is stale: read it again in the write's transaction.
   */
  version: p.bigint('string').defaultRaw("nextval('entity_version_seq')"),
});
