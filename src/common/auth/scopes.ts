/** API scopes: what a token may reach. One axis of authorization (the other is {@link SiteRole}). */
export const Scope = {
  /** Every data route of both dialects and token management. */
  Api: 'api',
  /** The SCIM 2.0 routes under /scim/v2 (contract section 13), and nothing else. */
  Scim: 'scim',
} as const;
export type Scope = (typeof Scope)[keyof typeof Scope];
export const ALL_SCOPES: readonly Scope[] = Object.values(Scope);
