import fc from 'fast-check';
import { ScimError } from '../common/errors/scim-error.js';
import { URN } from './scim-schemas.js';
import { groupFromBody, groupFromPatch, membersAfter } from './scim-group-input.js';

const patch = (...Operations: unknown[]) => ({ schemas: [URN.patchOp], Operations });
const GROUP_ID = '11111111-1111-4111-8111-111111111111';
const [A, B, C] = ['aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'cccccccc-cccc-4ccc-8ccc-cccccccccccc'];

describe('SCIM Group input (contract sections 13.3, 13.5)', () => {
  it('folds the Entra and Okta PATCH forms into unit fields and ordered membership operations', () => {
    expect(
      groupFromPatch(
        patch(
          { op: 'Add', path: 'members', value: [{ value: A, display: 'a' }, { value: B.replace(/-/g, '').toUpperCase() }] },
          { op: 'Remove', path: 'members', value: [{ value: A }] },
          { op: 'remove', path: `members[value eq "${B}" or value eq "nope"]` },
          { op: 'replace', value: { id: GROUP_ID, displayName: 'Eng', [`${URN.organigramGroup}:code`]: 'E', 'urn:x:y': { z: 1 } } },
          { op: 'replace', path: `${URN.group}:externalId`, value: '' },
          { op: 'remove', path: 'members' },
          { op: 'replace', path: 'members', value: [{ value: C }] },
        ),
        GROUP_ID,
      ),
    ).toEqual({
      fields: { name: 'Eng', code: 'E', external_id: null },
      members: [
        { op: 'add', ids: [A, B] },
        { op: 'remove', ids: [A] },
        { op: 'remove', ids: [B] },
        { op: 'remove', ids: undefined },
        { op: 'set', ids: [C] },
      ],
    });
  });

  it('applies membership operations in order to the current members', () => {
    expect([
      ...membersAfter(
        [A, B],
        [
          { op: 'remove', ids: [A] },
          { op: 'add', ids: [C, A] },
        ],
      ),
    ]).toEqual([B, C, A]);
    expect([...membersAfter([A, B], [{ op: 'remove' }, { op: 'add', ids: [C] }])]).toEqual([C]);
    expect([
      ...membersAfter(
        [A],
        [
          { op: 'set', ids: [B] },
          { op: 'remove', ids: [C] },
        ],
      ),
    ]).toEqual([B]);
  });

  it('clears on PUT what a replace clears, keeps an absent extension and members, and needs displayName', () => {
    expect(groupFromBody({ displayName: 'Eng', [URN.organigramGroup]: { code: 'E' } }, true, GROUP_ID)).toEqual({
      fields: { name: 'Eng', code: 'E', description: null, parent_org_unit_id: null, external_id: null },
      members: [],
    });
    expect(groupFromBody({ displayName: 'Eng', members: [] }, true, GROUP_ID)).toEqual({
      fields: { name: 'Eng', external_id: null },
      members: [{ op: 'set', ids: [] }],
    });
    expect(() => groupFromBody({ members: [] }, false)).toThrow(new ScimError(400, 'invalidValue', 'displayName: is required'));
    expect(() => groupFromBody({ displayName: 'X', id: A }, true, GROUP_ID)).toThrow(new ScimError(400, 'mutability', 'id: is read-only'));
  });

  it('answers any PatchOp body with a write or a ScimError, never another exception', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), fc.string(), (value, raw, path) => {
        for (const body of [raw, patch({ op: 'add', path, value }), patch({ op: 'replace', value }), patch({ op: 'remove', path })]) {
          try {
            groupFromPatch(body, GROUP_ID);
          } catch (error) {
            expect(error).toBeInstanceOf(ScimError);
          }
        }
      }),
      { seed: 1403, numRuns: 500 },
    );
  });
});
