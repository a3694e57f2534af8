import { p } from '@mikro-orm/core';

/**
 * The validity period (contract section 2) and audit timestamps every entity of the directory has.
 * Spread into each entity's properties.
 */
export const temporalProperties = () => ({
  validFrom: p.datetime().nullable(),
  validTo: p.datetime().nullable(),
  createdAt: p.datetime().onCreate(() => new Date()),
  updatedAt: p
    .datetime()
    .onCreate(() => new Date())
    .onUpdate(() => new Date()),
});
