/** API scopes: what a token may reach. One axis of authorization (the other is {@link SiteRole}). */
export const Scope = {
  /** Every data route of both dialects and token management. */
  Api: 'api',
} as const;
export type Scope = (typeof Scope)[keyof typeof Scope];
export const ALL_SCOPES: readonly Scope[] = Object.values(Scope);
