import { isActiveAt, mapPerson } from './person.mapper.js';
import type { Person } from './person.entity.js';

const created = new Date('2026-01-01T08:00:00.000Z');
const updated = new Date('2026-02-01T09:30:00.000Z');

function person(overrides: Partial<Person> = {}): Person {
  return {
    id: '1f6d2c9e-3b0a-4c1e-9a4f-0c2b7e5d8a11',
    email: 'Ada.Lovelace@Example.com',
    firstName: 'Ada',
    lastName: 'Lovelace',
    displayName: null,
    externalId: null,
    organization: null,
    business: null,
    department: null,
    group: null,
    team: null,
    managerId: null,
    validFrom: null,
    validTo: null,
    createdAt: created,
    updatedAt: updated,
    version: '1',
    ...overrides,
  };
}

describe('mapPerson', () => {
  it('maps every field to the Opsera dialect, with explicit nulls and ISO timestamps', () => {
    expect(mapPerson(person(), new Date('2026-03-01T00:00:00Z'), null)).toEqual({
      id: '1f6d2c9e-3b0a-4c1e-9a4f-0c2b7e5d8a11',
      email: 'Ada.Lovelace@Example.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
      displayName: null,
      externalId: null,
      organization: null,
      business: null,
      department: null,
      group: null,
      team: null,
      managerId: null,
      managerEmail: null,
      validFrom: null,
      validTo: null,
      active: true,
      createdAt: '2026-01-01T08:00:00.000Z',
      updatedAt: '2026-02-01T09:30:00.000Z',
    });
  });

  it('copies the optional fields and the validity period', () => {
    const mapped = mapPerson(
      person({
        displayName: 'Ada L.',
        externalId: 'E-1',
        organization: 'Example Corp',
        business: 'Eng',
        department: 'Platform',
        group: 'Runtime',
        team: 'Compilers',
        validFrom: new Date('2025-01-01T00:00:00Z'),
        validTo: new Date('2027-01-01T00:00:00Z'),
      }),
      new Date('2026-03-01T00:00:00Z'),
      null,
    );
    expect(mapped).toMatchObject({
      displayName: 'Ada L.',
      externalId: 'E-1',
      organization: 'Example Corp',
      business: 'Eng',
      department: 'Platform',
      group: 'Runtime',
      team: 'Compilers',
      validFrom: '2025-01-01T00:00:00.000Z',
      validTo: '2027-01-01T00:00:00.000Z',
      active: true,
    });
  });

  it('maps undefined optional fields to null, never leaving them out', () => {
    const mapped = mapPerson(person({ displayName: undefined, team: undefined }), new Date(), null);
    expect(mapped.displayName).toBeNull();
    expect(mapped.team).toBeNull();
  });

  it('carries the manager id and the email given for it, and no manager email without a manager', () => {
    const managed = mapPerson(person({ managerId: '0b8f1f5e-2c1d-4a55-9a3e-5d9f3e1c2b10' }), new Date(), 'Grace@Example.com');
    expect(managed).toMatchObject({ managerId: '0b8f1f5e-2c1d-4a55-9a3e-5d9f3e1c2b10', managerEmail: 'Grace@Example.com' });
    expect(mapPerson(person(), new Date(), 'stale@example.com')).toMatchObject({ managerId: null, managerEmail: null });
  });

  it('says active: false outside the validity period', () => {
    expect(mapPerson(person({ validTo: new Date('2020-01-01T00:00:00Z') }), new Date('2026-01-01T00:00:00Z'), null).active).toBe(false);
    expect(mapPerson(person({ validFrom: new Date('2030-01-01T00:00:00Z') }), new Date('2026-01-01T00:00:00Z'), null).active).toBe(false);
  });

  it('never exposes properties that are not part of the DTO', () => {
    const withExtra = { ...person(), tokenHash: 'x', internal: true } as unknown as Person;
    expect(Object.keys(mapPerson(withExtra, new Date(), null)).sort()).toEqual(
      [
        'active',
        'business',
        'createdAt',
        'department',
        'displayName',
        'email',
        'externalId',
        'firstName',
        'group',
        'id',
        'lastName',
        'managerEmail',
        'managerId',
        'organization',
        'team',
        'updatedAt',
        'validFrom',
        'validTo',
      ].sort(),
    );
  });
});

describe('isActiveAt', () => {
  const at = new Date('2026-06-01T12:00:00.000Z');
  const ms = (delta: number) => new Date(at.getTime() + delta);

  it('treats null bounds as open', () => {
    expect(isActiveAt(null, null, at)).toBe(true);
    expect(isActiveAt(undefined, undefined, at)).toBe(true);
  });

  it('includes validFrom and excludes validTo: [validFrom, validTo)', () => {
    expect(isActiveAt(at, null, at)).toBe(true);
    expect(isActiveAt(ms(1), null, at)).toBe(false);
    expect(isActiveAt(null, at, at)).toBe(false);
    expect(isActiveAt(null, ms(1), at)).toBe(true);
    expect(isActiveAt(ms(-1), ms(1), at)).toBe(true);
  });
});
