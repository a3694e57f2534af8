import { SiteRole } from '../../src/common/auth/site-roles.js';
import { bearer, createTestApp, ISO, type TestApp } from '../support/test-app.js';
import { orgFactories, truncateOrgTables, type OrgFactories } from '../support/org-factories.js';

const GROUPS = '/scim/v2/Groups';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ORGANIGRAM = 'urn:ietf:params:scim:schemas:extension:organigram:2.0:Group';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const PROJECT = '7d3c8a9e-1b2f-4c5d-8e6f-0a1b2c3d4e5f';
const OTHER = 'c1d2e3f4-a5b6-4c7d-8e9f-a0b1c2d3e4f5';
const url = (path: string): unknown => expect.stringMatching(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/scim/v2${path}$`));

describe('SCIM 2.0 Groups, reads (contract sections 13.3, 13.4)', () => {
  let t: TestApp;
  let f: OrgFactories;
  let scim: Record<string, string>;
  let noProject: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp();
    f = orgFactories(t);
    scim = bearer((await t.createToken(SiteRole.Viewer, { scopes: ['scim'], projectId: PROJECT })).token);
    noProject = bearer((await t.createToken(SiteRole.Viewer, { scopes: ['scim'] })).token);
  });
  afterAll(() => t.close());
  beforeEach(() => truncateOrgTables(t));

  it("answers the active units of the token's project with their members; other units are 404 and absent", async () => {
    const eng = await f.unit({ name: 'Engineering', code: 'ENG', project_id: PROJECT, external_id: 'okta-eng' });
    const child = await f.unit({ name: 'Platform', project_id: PROJECT, parent_org_unit_id: eng });
    const old = await f.unit({ name: 'Old', project_id: PROJECT, valid_to: '2020-01-01T00:00:00Z' });
    const elsewhere = await f.unit({ name: 'Sales', project_id: OTHER });
    const ada = await f.person({ email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', displayName: 'Ada L.' });
    const bob = await f.person({ email: 'bob@example.com', firstName: 'Bob', lastName: 'Stone', validTo: '2020-01-01T00:00:00Z' });
    const role = await f.role({ name: 'Lead', project_id: PROJECT });
    await f.assignment({ person_id: ada, org_unit_id: eng });
    await f.assignment({ person_id: ada, org_unit_id: eng, org_role_id: role });
    await f.assignment({ person_id: bob, org_unit_id: eng });
    await f.assignment({ person_id: ada, org_unit_id: child, valid_to: '2020-01-01T00:00:00Z' });

    const engineering = {
      schemas: [GROUP, ORGANIGRAM],
      id: eng,
      externalId: 'okta-eng',
      displayName: 'Engineering',
      members: [
        { value: ada, type: 'User', $ref: url(`/Users/${ada}`), display: 'Ada L.' },
        { value: bob, type: 'User', $ref: url(`/Users/${bob}`), display: 'Bob Stone' },
      ].sort((a, b) => (a.value < b.value ? -1 : 1)),
      [ORGANIGRAM]: { code: 'ENG' },
      meta: { resourceType: 'Group', created: ISO, lastModified: ISO, location: url(`/Groups/${eng}`), version: expect.any(String) },
    };
    const platform = {
      schemas: [GROUP, ORGANIGRAM],
      id: child,
      displayName: 'Platform',
      [ORGANIGRAM]: { parentId: eng },
      meta: { resourceType: 'Group', created: ISO, lastModified: ISO, location: url(`/Groups/${child}`), version: expect.any(String) },
    };
    const res = await t.http().get(GROUPS).set(scim);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ schemas: [LIST], totalResults: 2, itemsPerPage: 2, startIndex: 1, Resources: [engineering, platform] });

    const one = await t
      .http()
      .get(`${GROUPS}/${eng.replace(/-/g, '').toUpperCase()}`)
      .set(scim);
    expect(one.body).toEqual(engineering);
    expect(one.headers['etag']).toBe(one.body.meta.version);
    for (const id of [old, elsewhere, 'nope']) expect((await t.http().get(`${GROUPS}/${id}`).set(scim)).status).toBe(404);
    expect((await t.http().get(GROUPS).set(noProject)).body.totalResults).toBe(0);

    const slim = await t
      .http()
      .get(`${GROUPS}?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "engineering"')}`)
      .set(scim);
    expect(slim.body.Resources).toEqual([{ ...engineering, members: undefined }].map(({ members: _m, ...g }) => g));
    const byCode = await t
      .http()
      .get(`${GROUPS}?filter=${encodeURIComponent(`${ORGANIGRAM}:code eq "ENG" and externalId eq "okta-eng"`)}`)
      .set(scim);
    expect(byCode.body.totalResults).toBe(1);
    expect(
      (
        await t
          .http()
          .get(`${GROUPS}?filter=${encodeURIComponent('userName eq "x"')}`)
          .set(scim)
      ).body.scimType,
    ).toBe('invalidFilter');
  });

  it('pages with cursors (RFC 9865): nextCursor on every page but the last, no startIndex, no repeats or skips', async () => {
    const names = ['Delta', 'alpha', 'Charlie', 'bravo'];
    for (const name of names) await f.unit({ name, project_id: PROJECT });
    const list = (query: string) => t.http().get(`${GROUPS}?${query}`).set(scim);
    const displayNames = (res: { body: { Resources: { displayName: string }[] } }) => res.body.Resources.map((g) => g.displayName);

    const first = await list('cursor=&count=3&excludedAttributes=members');
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      schemas: [LIST],
      totalResults: 4,
      itemsPerPage: 3,
      nextCursor: expect.stringMatching(/^[A-Za-z0-9._~-]+$/),
      Resources: names.slice(0, 3).map((displayName): unknown => expect.objectContaining({ displayName })),
    });
    // Written between the pages: a unit created last, and one already seen historicized.
    await f.unit({ name: 'Echo', project_id: PROJECT });
    await t.sql("update org_unit set valid_to = now() where name = 'Delta'");
    const second = await list(`cursor=${first.body.nextCursor}&count=3&excludedAttributes=members`);
    expect(second.body).toEqual({
      schemas: [LIST],
      totalResults: 4,
      itemsPerPage: 2,
      Resources: ['bravo', 'Echo'].map((displayName): unknown => expect.objectContaining({ displayName })),
    });

    const sorted = await list('cursor=&count=2&sortBy=displayName&sortOrder=descending');
    expect(displayNames(sorted)).toEqual(['Echo', 'Charlie']);
    const next = await list(`cursor=${sorted.body.nextCursor}&count=2&sortBy=displayName&sortOrder=descending`);
    expect({ names: displayNames(next), nextCursor: next.body.nextCursor }).toEqual({ names: ['bravo', 'alpha'], nextCursor: undefined });

    // A caseExact attribute that most rows lack: the absent sort first (as ''), then the id decides.
    const seen: string[] = [];
    let page = await list('cursor=&count=2&sortBy=externalId&excludedAttributes=members');
    for (;;) {
      seen.push(...displayNames(page));
      if (!page.body.nextCursor) break;
      page = await list(`cursor=${page.body.nextCursor}&count=2&sortBy=externalId&excludedAttributes=members`);
    }
    expect(seen.sort()).toEqual(['Charlie', 'Echo', 'alpha', 'bravo']);

    const cursor = first.body.nextCursor as string;
    for (const [query, scimType] of [
      [`cursor=${cursor}&count=3`, 'invalidCursor'],
      [`cursor=${cursor}&count=3&excludedAttributes=members&filter=displayName%20pr`, 'invalidCursor'],
      ['cursor=nonsense&count=2', 'invalidCursor'],
      ['cursor=&count=0', 'invalidCount'],
      ['cursor=&count=x', 'invalidValue'],
      ['cursor=&startIndex=1', 'invalidValue'],
      ['sortBy=members', 'invalidValue'],
      ['sortBy=members.value', 'invalidValue'],
    ]) {
      const res = await list(query);
      expect({ query, status: res.status, scimType: res.body.scimType }).toEqual({ query, status: 400, scimType });
    }
  });

  it("moves the Group's ETag when its membership changes", async () => {
    const eng = await f.unit({ name: 'Engineering', project_id: PROJECT });
    const before = await t.http().get(`${GROUPS}/${eng}`).set(scim);
    const ada = await f.person({ email: 'ada@example.com' });
    await f.assignment({ person_id: ada, org_unit_id: eng });
    const after = await t.http().get(`${GROUPS}/${eng}`).set(scim);
    expect(after.headers['etag']).not.toBe(before.headers['etag']);
    expect(after.body.members).toEqual([expect.objectContaining({ value: ada })]);
  });
});
