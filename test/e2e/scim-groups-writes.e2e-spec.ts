import { SiteRole } from '../../src/common/auth/site-roles.js';
import { bearer, createTestApp, ISO, UUID, type TestApp } from '../support/test-app.js';
import { orgFactories, tableCounts, truncateOrgTables, type OrgFactories } from '../support/org-factories.js';
import { scimError } from '../support/scim-error.js';

const GROUPS = '/scim/v2/Groups';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ORGANIGRAM = 'urn:ietf:params:scim:schemas:extension:organigram:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const PROJECT = '7d3c8a9e-1b2f-4c5d-8e6f-0a1b2c3d4e5f';
const OTHER = 'c1d2e3f4-a5b6-4c7d-8e9f-a0b1c2d3e4f5';
const SCIM_JSON = 'application/scim+json; charset=utf-8';
const ETAG = expect.stringMatching(/^"[A-Za-z0-9_-]{22}"$/);
const url = (path: string): unknown => expect.stringMatching(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/scim/v2${path}$`));
const LOCATION = url('/Groups/[0-9a-f-]{36}');

interface Event {
  entity: string;
  op: string;
  entity_id: string;
  changed: string[];
  token_id: string;
}

describe('SCIM 2.0 Groups, writes (contract sections 13.3, 13.5, 13.6)', () => {
  let t: TestApp;
  let f: OrgFactories;
  let reader: Record<string, string>;
  let writer: Record<string, string>;
  let writerId: string;

  beforeAll(async () => {
    t = await createTestApp();
    f = orgFactories(t);
    reader = bearer((await t.createToken(SiteRole.Viewer, { scopes: ['scim'], projectId: PROJECT })).token);
    const w = await t.createToken(SiteRole.PowerUser, { scopes: ['scim'], projectId: PROJECT, name: 'entra' });
    writer = bearer(w.token);
    writerId = w.id;
  });
  afterAll(() => t.close());
  beforeEach(() => truncateOrgTables(t));

  const post = (body: unknown) => t.http().post(GROUPS).set(writer).set('Content-Type', 'application/scim+json').send(JSON.stringify(body));
  const put = (id: string, body: unknown) =>
    t.http().put(`${GROUPS}/${id}`).set(writer).set('Content-Type', 'application/scim+json').send(JSON.stringify(body));
  const patch = (id: string, operations: unknown[], schemas: unknown = [PATCH_OP]) =>
    t
      .http()
      .patch(`${GROUPS}/${id}`)
      .set(writer)
      .set('Content-Type', 'application/scim+json')
      .send(JSON.stringify({ schemas, Operations: operations }));
  const get = (id: string) => t.http().get(`${GROUPS}/${id}`).set(reader);
  const eventsOf = (requestId: string) =>
    t.sql<Event>(
      `select entity, op, entity_id::text, changed, actor ->> 'token_id' as token_id from change_event
        where request_id = ? and actor ->> 'token_id' = ? order by entity, entity_id, seq`,
      [requestId, writerId],
    );
  const byId = <T extends { entity_id: string; entity: string }>(events: T[]) =>
    [...events].sort((a, b) => (a.entity + a.entity_id < b.entity + b.entity_id ? -1 : 1));
  const memberValues = async (id: string): Promise<string[]> =>
    (((await get(id)).body as { members?: { value: string }[] }).members ?? []).map((m) => m.value).sort();
  const assignmentsOf = (unit: string) =>
    t.sql<{ person_id: string; org_role_id: string | null; open: boolean }>(
      'select person_id::text, org_role_id::text, valid_to is null as open from org_person where org_unit_id = ? order by person_id, org_role_id nulls first',
      [unit],
    );

  describe("Entra ID's group flows", () => {
    it('creates a Group with members: 201, Location, ETag, the whole Group, one org-unit and one org-person create each', async () => {
      const ada = await f.person({ email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', displayName: 'Ada L.' });
      const bob = await f.person({ email: 'bob@example.com', firstName: 'Bob', lastName: 'Stone' });
      const res = await post({
        schemas: [GROUP],
        displayName: 'Engineering',
        externalId: 'entra-eng',
        members: [{ value: ada }, { value: bob.replace(/-/g, '').toUpperCase(), display: 'ignored' }],
      }).set('X-Request-Id', 'entra-create');
      expect(res.status).toBe(201);
      expect(res.headers['content-type']).toBe(SCIM_JSON);
      expect(res.headers['location']).toBe(res.body.meta.location);
      expect(res.headers['etag']).toBe(res.body.meta.version);
      expect(res.body).toEqual({
        schemas: [GROUP],
        id: UUID,
        externalId: 'entra-eng',
        displayName: 'Engineering',
        members: [
          { value: ada, type: 'User', $ref: url(`/Users/${ada}`), display: 'Ada L.' },
          { value: bob, type: 'User', $ref: url(`/Users/${bob}`), display: 'Bob Stone' },
        ].sort((a, b) => (a.value < b.value ? -1 : 1)),
        meta: { resourceType: 'Group', created: ISO, lastModified: ISO, location: LOCATION, version: ETAG },
      });
      const id = res.body.id as string;
      expect(await t.sql('select name, external_id, project_id::text, parent_id, valid_to from org_unit')).toEqual([
        { name: 'Engineering', external_id: 'entra-eng', project_id: PROJECT, parent_id: null, valid_to: null },
      ]);
      expect(await assignmentsOf(id)).toEqual([ada, bob].sort().map((person_id) => ({ person_id, org_role_id: null, open: true })));
      const assignmentIds = (await t.sql<{ id: string }>('select id::text from org_person')).map((r) => r.id);
      expect(byId(await eventsOf('entra-create'))).toEqual(
        byId([
          { entity: 'org-unit', op: 'create', entity_id: id, changed: expect.any(Array), token_id: writerId },
          ...assignmentIds.map((a) => ({
            entity: 'org-person',
            op: 'create',
            entity_id: a,
            changed: expect.any(Array),
            token_id: writerId,
          })),
        ]),
      );
      const sameHost = (body: unknown) => JSON.parse(JSON.stringify(body).replace(/127\.0\.0\.1:\d+/g, 'host')) as unknown;
      expect(sameHost((await get(id)).body)).toEqual(sameHost(res.body));
    });

    it('checks membership with a members filter, excludes members, and patches with capitalised ops: 204 with the ETag', async () => {
      const ada = await f.person({ email: 'ada@example.com' });
      const bob = await f.person({ email: 'bob@example.com' });
      const carl = await f.person({ email: 'carl@example.com' });
      const id = (await post({ schemas: [GROUP], displayName: 'Engineering', members: [{ value: ada }] })).body.id as string;

      const check = (person: string) =>
        t
          .http()
          .get(`${GROUPS}?excludedAttributes=members&filter=${encodeURIComponent(`id eq "${id}" and members[value eq "${person}"]`)}`)
          .set(reader);
      const hit = await check(ada);
      expect(hit.body.totalResults).toBe(1);
      expect(hit.body.Resources[0].members).toBeUndefined();
      expect(hit.body.Resources[0].displayName).toBe('Engineering');
      expect((await check(bob)).body).toEqual(expect.objectContaining({ totalResults: 0, Resources: [] }));
      const dotted = await t
        .http()
        .get(`${GROUPS}?filter=${encodeURIComponent(`members.value eq "${ada.toUpperCase()}"`)}`)
        .set(reader);
      expect(dotted.body.totalResults).toBe(1);

      const before = await get(id);
      const added = await patch(id, [{ op: 'Add', path: 'members', value: [{ value: bob }, { value: carl }] }]).set(
        'X-Request-Id',
        'entra-add',
      );
      expect(added.status).toBe(204);
      expect(added.text).toBe('');
      const after = await get(id);
      expect(added.headers['etag']).toBe(after.headers['etag']);
      expect(added.headers['etag']).not.toBe(before.headers['etag']);
      expect(await memberValues(id)).toEqual([ada, bob, carl].sort());
      expect((await eventsOf('entra-add')).map((e) => [e.entity, e.op])).toEqual([
        ['org-person', 'create'],
        ['org-person', 'create'],
      ]);

      // Entra without the compliance flag: Remove members with a value list removes only those.
      const removed = await patch(id, [{ op: 'Remove', path: 'members', value: [{ value: ada }, { value: carl }] }]).set(
        'X-Request-Id',
        'entra-remove',
      );
      expect(removed.status).toBe(204);
      expect(await memberValues(id)).toEqual([bob]);
      expect((await eventsOf('entra-remove')).map((e) => [e.entity, e.op, e.changed])).toEqual([
        ['org-person', 'historicize', ['valid_to']],
        ['org-person', 'historicize', ['valid_to']],
      ]);
      // With the flag: members[value eq "…"].
      expect((await patch(id, [{ op: 'remove', path: `members[value eq "${bob}"]` }])).status).toBe(204);
      expect(await memberValues(id)).toEqual([]);
      // Nothing is deleted: the assignments are historicized.
      expect(await assignmentsOf(id)).toEqual(
        [
          { person_id: ada, org_role_id: null, open: false },
          { person_id: bob, org_role_id: null, open: false },
          { person_id: carl, org_role_id: null, open: false },
        ].sort((a, b) => (a.person_id < b.person_id ? -1 : 1)),
      );
    });

    it('renames with a path-less Replace (dotted and URN keys), ignores its own id, and records one org-unit update', async () => {
      const id = (await post({ schemas: [GROUP], displayName: 'Engineering' })).body.id as string;
      const res = await patch(id, [
        {
          op: 'Replace',
          value: { id, displayName: 'Engineering & Research', [`${ORGANIGRAM}:code`]: 'ENG', externalId: 'x-1' },
        },
      ]).set('X-Request-Id', 'entra-rename');
      expect(res.status).toBe(204);
      const group = (await get(id)).body;
      expect(group).toEqual(
        expect.objectContaining({ displayName: 'Engineering & Research', externalId: 'x-1', [ORGANIGRAM]: { code: 'ENG' } }),
      );
      expect(await eventsOf('entra-rename')).toEqual([
        { entity: 'org-unit', op: 'update', entity_id: id, changed: ['code', 'name', 'external_id'], token_id: writerId },
      ]);
      const again = await patch(id, [{ op: 'replace', path: 'displayName', value: 'Engineering & Research' }]).set('X-Request-Id', 'noop');
      expect(again.status).toBe(204);
      expect(again.headers['etag']).toBe(res.headers['etag']);
      expect(await eventsOf('noop')).toEqual([]);
      const other = await patch(id, [{ op: 'replace', value: { id: OTHER } }]);
      expect(other.body).toEqual(scimError(400, 'mutability', 'id: is read-only'));
    });
  });

  describe("Okta's group push", () => {
    it('creates, replaces the members with a PUT that keeps an absent extension, renames, then deletes (historicize)', async () => {
      const ada = await f.person({ email: 'ada@example.com' });
      const bob = await f.person({ email: 'bob@example.com' });
      const parent = (await post({ schemas: [GROUP], displayName: 'Company' })).body.id as string;
      const created = await post({
        schemas: [GROUP, ORGANIGRAM],
        displayName: 'Sales',
        members: [{ value: ada, display: 'ada@example.com' }],
        [ORGANIGRAM]: { code: 'SAL', description: 'Sells', parentId: parent },
      });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      expect(created.body[ORGANIGRAM]).toEqual({ code: 'SAL', description: 'Sells', parentId: parent });

      const replaced = await put(id, { schemas: [GROUP], id, displayName: 'Sales EMEA', members: [{ value: bob }] }).set(
        'X-Request-Id',
        'okta-put',
      );
      expect(replaced.status).toBe(200);
      expect(replaced.headers['etag']).toBe(replaced.body.meta.version);
      expect(replaced.body).toEqual({
        schemas: [GROUP, ORGANIGRAM],
        id,
        displayName: 'Sales EMEA',
        members: [{ value: bob, type: 'User', $ref: url(`/Users/${bob}`), display: expect.any(String) }],
        [ORGANIGRAM]: { code: 'SAL', description: 'Sells', parentId: parent },
        meta: { resourceType: 'Group', created: ISO, lastModified: ISO, location: url(`/Groups/${id}`), version: ETAG },
      });
      expect(byId(await eventsOf('okta-put')).map((e) => [e.entity, e.op])).toEqual(
        expect.arrayContaining([
          ['org-unit', 'update'],
          ['org-person', 'create'],
          ['org-person', 'historicize'],
        ]),
      );
      expect(await eventsOf('okta-put')).toHaveLength(3);

      // A PUT with the extension present replaces it (omitted attributes cleared: a root now).
      const moved = await put(id, { schemas: [GROUP, ORGANIGRAM], displayName: 'Sales EMEA', [ORGANIGRAM]: { code: 'SAL' } });
      expect(moved.body[ORGANIGRAM]).toEqual({ code: 'SAL' });
      expect(moved.body.members).toHaveLength(1);

      const removed = await t.http().delete(`${GROUPS}/${id}`).set(writer).set('X-Request-Id', 'okta-delete');
      expect(removed.status).toBe(204);
      expect((await get(id)).status).toBe(404);
      expect(await eventsOf('okta-delete')).toEqual([
        { entity: 'org-unit', op: 'historicize', entity_id: id, changed: ['valid_to'], token_id: writerId },
      ]);
      expect(await t.sql('select count(*)::int as n from org_unit where id = ? and valid_to is not null', [id])).toEqual([{ n: 1 }]);
      expect((await t.http().delete(`${GROUPS}/${id}`).set(writer)).status).toBe(404);
      // Its name is free again.
      expect((await post({ schemas: [GROUP], displayName: 'sales emea' })).status).toBe(201);
    });

    it("pushes a group Okta's way: POST without members, PATCH add with display, PATCH remove by filter, rename with its own id", async () => {
      const ada = await f.person({ email: 'ada@example.com' });
      const bob = await f.person({ email: 'bob@example.com' });
      const created = await post({ schemas: [GROUP], displayName: 'Okta Push', members: [] });
      expect(created.status).toBe(201);
      expect(created.body.members).toBeUndefined();
      const id = created.body.id as string;
      const add = await patch(id, [
        {
          op: 'add',
          path: 'members',
          value: [
            { value: ada, display: 'ada@example.com' },
            { value: bob, display: 'bob@example.com' },
          ],
        },
      ]);
      expect(add.status).toBe(204);
      expect(await memberValues(id)).toEqual([ada, bob].sort());
      expect((await patch(id, [{ op: 'remove', path: `members[value eq "${bob}"]` }])).status).toBe(204);
      const rename = await patch(id, [{ op: 'replace', value: { id, displayName: 'Okta Push Renamed' } }]).set(
        'X-Request-Id',
        'okta-rename',
      );
      expect(rename.status).toBe(204);
      expect(await eventsOf('okta-rename')).toEqual([
        { entity: 'org-unit', op: 'update', entity_id: id, changed: ['name'], token_id: writerId },
      ]);
      const group = await get(id);
      expect(group.body).toEqual(
        expect.objectContaining({ displayName: 'Okta Push Renamed', members: [expect.objectContaining({ value: ada, type: 'User' })] }),
      );
      // PUT without members leaves them; the answer honours excludedAttributes.
      const put2 = await put(id, { schemas: [GROUP], displayName: 'Okta Push Renamed' }).query({ excludedAttributes: 'members' });
      expect(put2.status).toBe(200);
      expect(put2.body.members).toBeUndefined();
      expect(await memberValues(id)).toEqual([ada]);
    });

    it('refuses a taken displayName (any case) or code with 409 uniqueness, an unknown member or parent with 400, writing nothing', async () => {
      const ada = await f.person({ email: 'ada@example.com' });
      await post({ schemas: [GROUP], displayName: 'Engineering', [ORGANIGRAM]: { code: 'ENG' } });
      const elsewhere = await f.unit({ name: 'Engineering', project_id: OTHER }); // other projects keep their names
      const counts = await tableCounts(t);
      expect((await post({ schemas: [GROUP], displayName: 'ENGINEERING' })).body).toEqual(
        scimError(409, 'uniqueness', 'displayName: a Group named "ENGINEERING" exists'),
      );
      expect((await post({ schemas: [GROUP], displayName: 'Other', [ORGANIGRAM]: { code: 'ENG' } })).body).toEqual(
        scimError(409, 'uniqueness'),
      );
      const unknown = '5f0c7a8e-2b1d-4c3e-9f8a-7b6c5d4e3f2a';
      expect((await post({ schemas: [GROUP], displayName: 'X', members: [{ value: ada }, { value: unknown }] })).body).toEqual(
        scimError(400, 'invalidValue', `members: no User with id ${unknown}`),
      );
      expect((await post({ schemas: [GROUP], displayName: 'X', members: [{ value: 'nope' }] })).body).toEqual(
        scimError(400, 'invalidValue', 'members: each member needs a value that is a User id'),
      );
      expect((await post({ schemas: [GROUP], displayName: 'X', [ORGANIGRAM]: { parentId: elsewhere } })).body).toEqual(
        scimError(400, 'invalidValue', `${ORGANIGRAM}:parentId: no Group with id ${elsewhere}`),
      );
      expect((await post({ schemas: [GROUP], members: [] })).body).toEqual(scimError(400, 'invalidValue', 'displayName: is required'));
      expect((await post({ schemas: [GROUP], displayName: 'X', colour: 'red' })).body).toEqual(
        scimError(400, 'invalidSyntax', 'colour: is not a Group attribute'),
      );
      expect((await post({ schemas: [GROUP], displayName: 'x'.repeat(201) })).body).toEqual(scimError(400, 'invalidValue'));
      expect((await post({ schemas: [GROUP], displayName: 'x'.repeat(201) })).body.detail).toMatch(/^displayName: /);
      expect(await tableCounts(t)).toEqual(counts);
    });
  });

  describe('membership and tree rules', () => {
    it('removes a member by historicizing all their own-active assignments in the unit, roles included; a deactivated person stays a member', async () => {
      const ada = await f.person({ email: 'ada@example.com' });
      const bob = await f.person({ email: 'bob@example.com', validTo: '2020-01-01T00:00:00Z' });
      const id = (await post({ schemas: [GROUP], displayName: 'Engineering', members: [{ value: ada }, { value: bob }] })).body
        .id as string;
      const role = await f.role({ name: 'Lead', project_id: PROJECT });
      await f.assignment({ person_id: ada, org_unit_id: id, org_role_id: role });
      expect(await memberValues(id)).toEqual([ada, bob].sort());

      // Adding an existing member is nothing: no assignment, no event, same ETag.
      const tag = (await get(id)).headers['etag'];
      const again = await patch(id, [{ op: 'add', path: 'members', value: [{ value: ada }] }]).set('X-Request-Id', 'add-again');
      expect({ status: again.status, etag: again.headers['etag'] }).toEqual({ status: 204, etag: tag });
      expect(await eventsOf('add-again')).toEqual([]);

      const removed = await patch(id, [{ op: 'remove', path: `members[value eq "${ada}"]` }]).set('X-Request-Id', 'remove-ada');
      expect(removed.status).toBe(204);
      expect((await eventsOf('remove-ada')).map((e) => [e.entity, e.op])).toEqual([
        ['org-person', 'historicize'],
        ['org-person', 'historicize'],
      ]);
      expect(await assignmentsOf(id)).toEqual(
        [
          { person_id: ada, org_role_id: null, open: false },
          { person_id: ada, org_role_id: role, open: false },
          { person_id: bob, org_role_id: null, open: true },
        ].sort((a, b) => (a.person_id < b.person_id ? -1 : a.person_id > b.person_id ? 1 : a.org_role_id === null ? -1 : 1)),
      );
      // Removing a non-member is nothing, not an error.
      expect((await patch(id, [{ op: 'remove', path: `members[value eq "${ada}"]` }]).set('X-Request-Id', 'remove-none')).status).toBe(204);
      expect(await eventsOf('remove-none')).toEqual([]);
      // Re-adding creates a new role-less assignment.
      expect((await patch(id, [{ op: 'add', value: { members: [{ value: ada }] } }])).status).toBe(204);
      expect(await memberValues(id)).toEqual([ada, bob].sort());
    });

    it('moves a Group under another (parentId), refuses a cycle, and hides the children of a deleted Group', async () => {
      const top = (await post({ schemas: [GROUP], displayName: 'Top' })).body.id as string;
      const child = (await post({ schemas: [GROUP, ORGANIGRAM], displayName: 'Child', [ORGANIGRAM]: { parentId: top } })).body.id as string;
      const cycle = await patch(top, [{ op: 'replace', path: `${ORGANIGRAM}:parentId`, value: child }]);
      expect(cycle.body).toEqual(scimError(400, 'invalidValue', `${ORGANIGRAM}:parentId: would create a cycle`));
      const self = await patch(top, [{ op: 'replace', path: `${ORGANIGRAM}:parentId`, value: top }]);
      expect(self.body).toEqual(scimError(400, 'invalidValue', `${ORGANIGRAM}:parentId: would create a cycle`));
      const notId = await patch(top, [{ op: 'replace', path: `${ORGANIGRAM}:parentId`, value: 'x' }]);
      expect(notId.body).toEqual(scimError(400, 'invalidValue', `${ORGANIGRAM}:parentId: must be a Group id`));

      const other = (await post({ schemas: [GROUP], displayName: 'Other' })).body.id as string;
      expect(
        (await patch(child, [{ op: 'replace', path: `${ORGANIGRAM}:parentId`, value: other }]).set('X-Request-Id', 'move')).status,
      ).toBe(204);
      expect((await get(child)).body[ORGANIGRAM]).toEqual({ parentId: other });
      expect(await eventsOf('move')).toEqual([
        { entity: 'org-unit', op: 'update', entity_id: child, changed: ['parent_org_unit_id'], token_id: writerId },
      ]);
      expect((await t.http().delete(`${GROUPS}/${other}`).set(writer)).status).toBe(204);
      expect((await get(child)).status).toBe(404);
      expect((await t.http().get(GROUPS).set(reader)).body.Resources.map((g: { id: string }) => g.id)).toEqual([top]);
      // Nothing was deleted, the child's own row untouched.
      expect(await t.sql('select id::text, valid_to is null as open from org_unit order by name')).toEqual([
        { id: child, open: true },
        { id: other, open: false },
        { id: top, open: true },
      ]);
    });

    it('refuses a malformed PatchOp with the SCIM error of its fault, applying none of its operations', async () => {
      const ada = await f.person({ email: 'ada@example.com' });
      const id = (await post({ schemas: [GROUP], displayName: 'Engineering', members: [{ value: ada }] })).body.id as string;
      const before = await get(id);
      const good = { op: 'replace', path: 'externalId', value: 'changed' };
      const cases: [unknown, unknown[], string, string][] = [
        [[PATCH_OP], [], 'invalidSyntax', 'Operations: must be a non-empty list'],
        [[GROUP], [good], 'invalidSyntax', `schemas: must name ${PATCH_OP}`],
        [[PATCH_OP], [good, { op: 'move', path: 'displayName' }], 'invalidSyntax', 'Operations[1].op: must be add, remove or replace'],
        [[PATCH_OP], [good, { op: 'remove', path: 'displayName' }], 'invalidValue', 'displayName: is required'],
        [
          [PATCH_OP],
          [good, { op: 'replace', path: 'colour', value: 'red' }],
          'invalidPath',
          'colour: no schema of the service declares this attribute',
        ],
        [[PATCH_OP], [good, { op: 'remove', path: 'members[value eq' }], 'invalidPath', 'members[value eq: malformed path'],
        [
          [PATCH_OP],
          [good, { op: 'add', path: `members[value eq "${ada}"]`, value: 'x' }],
          'invalidPath',
          expect.stringMatching(/^members\[/),
        ],
        [
          [PATCH_OP],
          [good, { op: 'remove', path: 'emails[type eq "work"].value' }],
          'invalidPath',
          expect.stringMatching(/only supported on members$/),
        ],
        [[PATCH_OP], [good, { op: 'remove' }], 'invalidPath', 'remove: needs a path'],
        [
          [PATCH_OP],
          [good, { op: 'add', path: 'members', value: [{ value: '5f0c7a8e-2b1d-4c3e-9f8a-7b6c5d4e3f2a' }] }],
          'invalidValue',
          expect.stringMatching(/^members: no User with id/),
        ],
        [[PATCH_OP], [good, { op: 'replace', path: 'displayName', value: 42 }], 'invalidValue', 'displayName: must be a string'],
        [[PATCH_OP], [good, { op: 'remove', path: 'id' }], 'mutability', 'id: is read-only'],
      ];
      for (const [schemas, operations, scimType, detail] of cases) {
        const res = await patch(id, operations, schemas);
        expect({ operations, status: res.status, body: res.body }).toEqual({
          operations,
          status: 400,
          body: scimError(400, scimType, detail),
        });
      }
      const after = await get(id);
      expect(after.headers['etag']).toBe(before.headers['etag']);
      expect(await t.sql("select count(*)::int as n from change_event where entity_id = ? and op = 'update'", [id])).toEqual([{ n: 0 }]);
    });
  });

  describe('concurrency, roles, ETags and idempotency', () => {
    it('lets exactly one of several identical concurrent creates win; the others are 409 uniqueness, never 500', async () => {
      const answers = await Promise.all(Array.from({ length: 6 }, () => post({ schemas: [GROUP], displayName: 'Race' })));
      expect(answers.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
      for (const r of answers.filter((a) => a.status === 409)) expect(r.body).toEqual(scimError(409, 'uniqueness'));
      expect(await t.sql('select count(*)::int as n from org_unit')).toEqual([{ n: 1 }]);
    });

    it('adds the same member concurrently once (one assignment, one event), and renames to one name concurrently once', async () => {
      const ada = await f.person({ email: 'ada@example.com' });
      const a = (await post({ schemas: [GROUP], displayName: 'A' })).body.id as string;
      const b = (await post({ schemas: [GROUP], displayName: 'B' })).body.id as string;
      const adds = await Promise.all(Array.from({ length: 5 }, () => patch(a, [{ op: 'add', path: 'members', value: [{ value: ada }] }])));
      expect(adds.map((r) => r.status)).toEqual([204, 204, 204, 204, 204]);
      expect(await assignmentsOf(a)).toEqual([{ person_id: ada, org_role_id: null, open: true }]);
      expect(
        await t.sql(
          "select op from change_event where entity = 'org-person' and actor ->> 'token_id' = ? and entity_id in (select id from org_person where org_unit_id = ?)",
          [writerId, a],
        ),
      ).toEqual([{ op: 'create' }]);
      const renames = await Promise.all([a, b].map((id) => patch(id, [{ op: 'replace', path: 'displayName', value: 'Same' }])));
      expect(renames.map((r) => r.status).sort()).toEqual([204, 409]);
    });

    it('honours If-Match on PUT, PATCH and DELETE (412, nothing changed) and If-None-Match on GET (304)', async () => {
      const id = (await post({ schemas: [GROUP], displayName: 'Engineering' })).body.id as string;
      const tag = (await get(id)).headers['etag'];
      expect((await get(id).set('If-None-Match', tag)).status).toBe(304);
      const ok = await patch(id, [{ op: 'replace', path: 'externalId', value: 'e1' }]).set('If-Match', tag);
      expect(ok.status).toBe(204);
      for (const stale of [
        patch(id, [{ op: 'replace', path: 'externalId', value: 'e2' }]).set('If-Match', tag),
        put(id, { schemas: [GROUP], displayName: 'Other' }).set('If-Match', tag),
        t.http().delete(`${GROUPS}/${id}`).set(writer).set('If-Match', tag),
      ]) {
        const res = await stale;
        expect(res.status).toBe(412);
        expect(res.body).toEqual(scimError(412));
      }
      expect((await get(id)).body).toEqual(expect.objectContaining({ displayName: 'Engineering', externalId: 'e1' }));
      expect((await t.http().delete(`${GROUPS}/${id}`).set(writer).set('If-Match', ok.headers['etag'])).status).toBe(204);
    });

    it('lets a Viewer only read, and a Power User of another project not see the Group', async () => {
      const id = (await post({ schemas: [GROUP], displayName: 'Engineering' })).body.id as string;
      expect(
        (
          await t
            .http()
            .post(GROUPS)
            .set(reader)
            .send({ schemas: [GROUP], displayName: 'X' })
        ).status,
      ).toBe(403);
      expect((await t.http().delete(`${GROUPS}/${id}`).set(reader)).status).toBe(403);
      const other = bearer((await t.createToken(SiteRole.PowerUser, { scopes: ['scim'], projectId: OTHER })).token);
      expect((await t.http().delete(`${GROUPS}/${id}`).set(other)).status).toBe(404);
      expect(
        (
          await t
            .http()
            .patch(`${GROUPS}/${id}`)
            .set(other)
            .send({ schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'members' }] })
        ).status,
      ).toBe(404);
    });

    it('replays a POST repeated with the same Idempotency-Key: the first answer, Location and ETag, nothing written', async () => {
      const first = await post({ schemas: [GROUP], displayName: 'Once' }).set('Idempotency-Key', 'okta-group-1');
      const again = await post({ schemas: [GROUP], displayName: 'Once' }).set('Idempotency-Key', 'okta-group-1');
      expect(first.status).toBe(201);
      expect({ status: again.status, body: again.body, location: again.headers['location'], etag: again.headers['etag'] }).toEqual({
        status: 201,
        body: first.body,
        location: first.headers['location'],
        etag: first.headers['etag'],
      });
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(await t.sql('select count(*)::int as n from org_unit')).toEqual([{ n: 1 }]);
    });
  });
});
