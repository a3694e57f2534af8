import fc from 'fast-check';
import { ScimError } from '../common/errors/scim-error.js';
import { URN } from './scim-schemas.js';
import { userFromBody, userFromPatch } from './scim-user-input.js';

const patch = (...Operations: unknown[]) => ({ schemas: [URN.patchOp], Operations });

describe('SCIM User input (contract sections 13.2, 13.5)', () => {
  it('folds the Okta and Entra PATCH forms into one partial write', () => {
    expect(
      userFromPatch(
        patch(
          { op: 'Replace', path: 'active', value: 'False' },
          { op: 'add', value: { 'name.givenName': 'Ada', [`${URN.enterpriseUser}:department`]: 'R&D', displayName: '' } },
          { op: 'replace', path: 'emails[type eq "work"].value', value: 'ignored@example.com' },
          { op: 'replace', path: `${URN.user}:name.familyName`, value: 'King' },
          { op: 'replace', value: { [URN.organigramUser]: { team: 'T' }, 'urn:example:unknown': { x: 1 }, title: 'Countess' } },
          { op: 'Remove', path: 'externalId' },
        ),
      ),
    ).toEqual({
      fields: { firstName: 'Ada', department: 'R&D', displayName: null, lastName: 'King', team: 'T', externalId: null },
      active: false,
    });
  });

  it('clears on PUT what a replace clears, keeps absent extensions, and needs the required attributes', () => {
    const body = { userName: 'a@example.com', name: { givenName: 'A', familyName: 'B' }, [URN.enterpriseUser]: { department: 'D' } };
    expect(userFromBody(body, true)).toEqual({
      fields: {
        email: 'a@example.com',
        firstName: 'A',
        lastName: 'B',
        organization: null,
        business: null,
        department: 'D',
        displayName: null,
        externalId: null,
      },
      // The enterprise extension is present: its omitted manager is cleared too.
      manager: null,
    });
    expect(userFromBody(body, false).fields).toEqual({ email: 'a@example.com', firstName: 'A', lastName: 'B', department: 'D' });
    expect(() => userFromBody({ userName: 'a@example.com' }, true)).toThrow('name.givenName: is required');
  });

  it('reads the manager in every form: bare string, {value}, manager.value, URN key; "", null and {value: ""} clear it', () => {
    const id = '2819c223-7f76-453a-919d-413861904646';
    const manager = `${URN.enterpriseUser}:manager`;
    const patch = (...Operations: unknown[]) => userFromPatch({ schemas: [URN.patchOp], Operations }).manager;
    expect(patch({ op: 'Replace', path: manager, value: id })).toBe(id);
    expect(patch({ op: 'replace', path: `${manager}.value`, value: ` ${id} ` })).toBe(id);
    expect(patch({ op: 'add', value: { [manager]: { value: id, displayName: 'Boss', $ref: 'x' } } })).toBe(id);
    expect(patch({ op: 'replace', value: { [URN.enterpriseUser]: { manager: 'boss@example.com' } } })).toBe('boss@example.com');
    for (const cleared of ['', null, { value: '' }, { value: null }])
      expect(patch({ op: 'replace', path: manager, value: cleared })).toBeNull();
    expect(patch({ op: 'remove', path: manager })).toBeNull();
    expect(patch({ op: 'replace', value: { [URN.enterpriseUser]: null } })).toBeNull();
    expect(patch({ op: 'replace', path: 'displayName', value: 'X' })).toBeUndefined();
    expect(() => patch({ op: 'replace', path: manager, value: 42 })).toThrow(`${manager}: must be a person id or userName`);
    expect(() => patch({ op: 'replace', path: manager, value: { id } })).toThrow(`${manager}.id: is not an attribute of manager`);
    // An Okta PUT without the extension leaves the manager as it is.
    expect(userFromBody({ userName: 'a@example.com', name: { givenName: 'A', familyName: 'B' } }, true).manager).toBeUndefined();
  });

  it('answers any other body with a SCIM 400, never another error (fuzz)', () => {
    const path = fc.oneof(
      fc.constantFrom('active', 'name.givenName', 'emails[type eq "work"].value', 'members[value eq "x"]', `${URN.enterpriseUser}:manager`),
      fc.string({ maxLength: 40 }),
    );
    const value = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(fc.string({ maxLength: 30 }), fc.jsonValue({ maxDepth: 2 })));
    const operation = fc.record(
      { op: fc.oneof(fc.constantFrom('add', 'Replace', 'REMOVE', 'move'), fc.jsonValue({ maxDepth: 1 })), path, value },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record({ schemas: fc.constantFrom([URN.patchOp], ['x']), Operations: fc.array(operation, { maxLength: 5 }) }),
    );
    fc.assert(
      fc.property(body, (b) => {
        try {
          userFromPatch(b);
        } catch (error) {
          expect(error).toBeInstanceOf(ScimError);
          expect((error as ScimError).status).toBe(400);
        }
        try {
          userFromBody(b, true);
        } catch (error) {
          expect(error).toBeInstanceOf(ScimError);
        }
      }),
      { seed: 1402, numRuns: 3000 },
    );
  });
});
