/** Site roles, from most to least powerful (contract section 7). */
export const SiteRole = {
  OpseraAdministrator: 'Opsera Administrator',
  Administrator: 'Administrator',
  PowerUser: 'Power User',
  Viewer: 'Viewer',
} as const;
export type SiteRole = (typeof SiteRole)[keyof typeof SiteRole];
export const ALL_SITE_ROLES: readonly SiteRole[] = Object.values(SiteRole);

const RANK: Record<SiteRole, number> = {
  [SiteRole.Viewer]: 1,
  [SiteRole.PowerUser]: 2,
  [SiteRole.Administrator]: 3,
  [SiteRole.OpseraAdministrator]: 4,
};

/** True when `role` is at least as powerful as `required`. */
export function roleAtLeast(role: SiteRole, required: SiteRole): boolean {
  return RANK[role] >= RANK[required];
}

const squash = (s: string) => s.toLowerCase().replace(/[\s_-]+/g, '');
const BY_KEY = new Map<string, SiteRole>(ALL_SITE_ROLES.map((r) => [squash(r), r]));
BY_KEY.set('opseraadmin', SiteRole.OpseraAdministrator);
BY_KEY.set('admin', SiteRole.Administrator);
BY_KEY.set('poweruser', SiteRole.PowerUser);

/** Accepts the contract's names in any case and spacing ("Power User", "power-user", "POWER_USER"). */
export function parseSiteRole(value: string): SiteRole | undefined {
  return BY_KEY.get(squash(value));
}

export function isSiteRole(value: unknown): value is SiteRole {
  return typeof value === 'string' && (ALL_SITE_ROLES as readonly string[]).includes(value);
}
