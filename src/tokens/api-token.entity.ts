import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const ApiTokenSchema = defineEntity({
  name: 'ApiToken',
  tableName: 'api_token',
  properties: {
    id: p.uuid().primary(),
    name: p.string().length(100),
    role: p.string().length(32),
    scopes: p.array(),
    /** SHA-256 of the whole token, hex. The token itself is never stored. */
    tokenHash: p.string().length(64).unique(),
    createdAt: p.datetime().onCreate(() => new Date()),
    expiresAt: p.datetime().nullable(),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
    /** Id of the token whose request created this one; null for the CLI and the first-start token. */
    createdBy: p.uuid().nullable(),
    /** The project of the token's SCIM Groups (contract section 7); null: the units without project. */
    projectId: p.uuid().nullable(),
  },
});

export type ApiToken = InferEntity<typeof ApiTokenSchema>;
