import { ALL_SITE_ROLES, isSiteRole, parseSiteRole, roleAtLeast, SiteRole } from './site-roles.js';

describe('site roles', () => {
  it('lists the four roles of the contract, strongest first', () => {
    expect(ALL_SITE_ROLES).toEqual(['Opsera Administrator', 'Administrator', 'Power User', 'Viewer']);
  });

  it.each([
    ['Opsera Administrator', SiteRole.OpseraAdministrator],
    ['opsera administrator', SiteRole.OpseraAdministrator],
    ['opsera-admin', SiteRole.OpseraAdministrator],
    ['Administrator', SiteRole.Administrator],
    ['ADMIN', SiteRole.Administrator],
    ['Power User', SiteRole.PowerUser],
    ['power-user', SiteRole.PowerUser],
    ['POWER_USER', SiteRole.PowerUser],
    ['poweruser', SiteRole.PowerUser],
    ['viewer', SiteRole.Viewer],
  ])('parses %p as %p', (input, role) => {
    expect(parseSiteRole(input)).toBe(role);
  });

  it.each(['', 'root', 'super admin', 'Power', 'Viewers', 'Opsera'])('does not parse %p', (input) => {
    expect(parseSiteRole(input)).toBeUndefined();
  });

  it('ranks Opsera Administrator > Administrator > Power User > Viewer', () => {
    const strongestFirst = [SiteRole.OpseraAdministrator, SiteRole.Administrator, SiteRole.PowerUser, SiteRole.Viewer];
    strongestFirst.forEach((role, i) => {
      strongestFirst.forEach((required, j) => {
        expect([role, required, roleAtLeast(role, required)]).toEqual([role, required, i <= j]);
      });
    });
  });

  it('recognizes only the exact role names as site roles', () => {
    for (const role of ALL_SITE_ROLES) expect(isSiteRole(role)).toBe(true);
    expect(isSiteRole('power-user')).toBe(false);
    expect(isSiteRole('viewer')).toBe(false);
    expect(isSiteRole(undefined)).toBe(false);
    expect(isSiteRole(3)).toBe(false);
  });
});
