import { SiteRole } from '../../src/common/auth/site-roles.js';
import { scimError } from '../support/scim-error.js';
import { bearer, createTestApp, ISO, UUID, type TestApp } from '../support/test-app.js';
import { orgFactories, truncateOrgTables, type OrgFactories } from '../support/org-factories.js';
import { encodeScimCursor, listDigest } from '../../src/scim/scim-cursor.js';

const USERS = '/scim/v2/Users';
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const ORGANIGRAM = 'urn:ietf:params:scim:schemas:extension:organigram:2.0:User';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const SCIM_JSON = 'application/scim+json; charset=utf-8';
const LOCATION = expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/scim\/v2\/Users\/[0-9a-f-]{36}$/);
const ETAG = expect.stringMatching(/^"[A-Za-z0-9_-]{22}"$/);

/** The whole User of a person with these fields (active, no extensions unless given). */
function userBody(o: { userName: string; givenName: string; familyName: string } & Record<string, unknown>) {
  const { userName, givenName, familyName, ...rest } = o;
  return {
    schemas: [CORE],
    id: UUID,
    userName,
    name: { givenName, familyName },
    active: true,
    emails: [{ value: userName, type: 'work', primary: true }],
    meta: { resourceType: 'User', created: ISO, lastModified: ISO, location: LOCATION, version: ETAG },
    ...rest,
  };
}

describe('SCIM 2.0 Users (contract sections 13.2, 13.4, 13.5, 13.6)', () => {
  let t: TestApp;
  let f: OrgFactories;
  let reader: Record<string, string>;
  let writer: Record<string, string>;
  let admin: Record<string, string>;
  let writerId: string;

  beforeAll(async () => {
    t = await createTestApp();
    f = orgFactories(t);
    reader = bearer((await t.createToken(SiteRole.Viewer, { scopes: ['scim'] })).token);
    const w = await t.createToken(SiteRole.PowerUser, { scopes: ['scim'], name: 'okta' });
    writer = bearer(w.token);
    writerId = w.id;
    admin = bearer((await t.createToken(SiteRole.Administrator, { scopes: ['scim'] })).token);
  });
  afterAll(() => t.close());
  beforeEach(() => truncateOrgTables(t));

  const scimJson = { 'Content-Type': 'application/scim+json' };
  const post = (body: unknown, headers = writer) => t.http().post(USERS).set(headers).set(scimJson).send(JSON.stringify(body));
  const patch = (id: string, ops: unknown[], headers = writer) =>
    t
      .http()
      .patch(`${USERS}/${id}`)
      .set(headers)
      .set(scimJson)
      .send(JSON.stringify({ schemas: [PATCH_OP], Operations: ops }));
  const list = (query: string, headers = reader) => t.http().get(`${USERS}?${query}`).set(headers);
  const ada = { schemas: [CORE], userName: 'Ada.Lovelace@example.com', name: { givenName: 'Ada', familyName: 'Lovelace' } };

  describe("Okta's SPEC test sequence", () => {
    it('looks up, creates, finds in capitals, refuses the duplicate, 404s a malformed id, deactivates with a path-less replace', async () => {
      const q = 'filter=' + encodeURIComponent('userName eq "ada.lovelace@example.com"') + '&startIndex=1&count=100';
      const none = await list(q);
      expect(none.status).toBe(200);
      expect(none.headers['content-type']).toBe(SCIM_JSON);
      expect(none.body).toEqual({ schemas: [LIST], totalResults: 0, itemsPerPage: 0, startIndex: 1, Resources: [] });

      const created = await post({ ...ada, active: true, emails: [{ value: 'x@example.com', primary: true }], password: 'secret' });
      expect(created.status).toBe(201);
      expect(created.headers['content-type']).toBe(SCIM_JSON);
      const expected = userBody({ userName: 'Ada.Lovelace@example.com', givenName: 'Ada', familyName: 'Lovelace' });
      expect(created.body).toEqual(expected);
      expect(created.headers['location']).toBe(created.body.meta.location);
      expect(created.headers['etag']).toBe(created.body.meta.version);
      const id = created.body.id as string;

      const upper = await list('filter=' + encodeURIComponent('USERNAME EQ "ADA.LOVELACE@EXAMPLE.COM"') + '&startIndex=1&count=100');
      expect(upper.body).toEqual({ schemas: [LIST], totalResults: 1, itemsPerPage: 1, startIndex: 1, Resources: [expected] });

      const duplicate = await post({ ...ada, userName: 'ADA.lovelace@EXAMPLE.com' });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body).toEqual(scimError(409, 'uniqueness'));

      const malformed = await t.http().get(`${USERS}/010101001010101011001010101011`).set(reader);
      expect(malformed.status).toBe(404);
      expect(malformed.body).toEqual(scimError(404));

      const byId = await t
        .http()
        .get(`${USERS}/${id.replace(/-/g, '').toUpperCase()}`)
        .set(reader);
      expect(byId.status).toBe(200);
      expect(byId.body).toEqual({ ...expected, id });

      const off = await patch(id, [{ op: 'replace', value: { active: false } }]).set('X-Request-Id', 'okta-deactivate');
      expect(off.status).toBe(200);
      expect(off.body).toEqual({ ...expected, id, active: false });
      const [row] = await t.sql<{ valid_to: string | null }>('select valid_to from person where id = ?', [id]);
      expect(row.valid_to).not.toBeNull();
      const events = await t.sql<{ op: string; request_id: string; token_id: string; changed: string[] }>(
        "select op, request_id, actor ->> 'token_id' as token_id, changed from change_event where entity_id = ? order by seq",
        [id],
      );
      expect(events).toEqual([
        expect.objectContaining({ op: 'create', token_id: writerId }),
        { op: 'historicize', request_id: 'okta-deactivate', token_id: writerId, changed: ['validTo'] },
      ]);

      // A second deactivation changes nothing and records nothing; inactive people are still found.
      expect((await patch(id, [{ op: 'replace', value: { active: false } }])).status).toBe(200);
      expect(await t.sql('select count(*)::int as n from change_event where entity_id = ?', [id])).toEqual([{ n: 2 }]);
      expect((await list('filter=' + encodeURIComponent('userName eq "ada.lovelace@example.com"'))).body.totalResults).toBe(1);
      expect((await list('filter=' + encodeURIComponent('active eq true'))).body.totalResults).toBe(0);

      const on = await patch(id, [{ op: 'replace', value: { active: true } }]);
      expect(on.body.active).toBe(true);
    });

    it('keeps the extensions a full PUT omits, clears omitted optional core attributes, and refuses another id', async () => {
      const created = await post({
        ...ada,
        displayName: 'Ada',
        externalId: 'okta-1',
        [ENTERPRISE]: { department: 'Maths', organization: 'Analytical' },
        [ORGANIGRAM]: { team: 'Engines' },
      });
      const id = created.body.id as string;
      const put = await t
        .http()
        .put(`${USERS}/${id}`)
        .set(writer)
        .send({ ...ada, id, name: { givenName: 'Augusta Ada', familyName: 'King' }, [ORGANIGRAM]: { group: 'G' } });
      expect(put.status).toBe(200);
      expect(put.body).toEqual(
        userBody({
          userName: 'Ada.Lovelace@example.com',
          givenName: 'Augusta Ada',
          familyName: 'King',
          schemas: [CORE, ENTERPRISE, ORGANIGRAM],
          [ENTERPRISE]: { organization: 'Analytical', department: 'Maths' },
          [ORGANIGRAM]: { group: 'G' },
        }),
      );
      const other = await t
        .http()
        .put(`${USERS}/${id}`)
        .set(writer)
        .send({ ...ada, id: '2819c223-7f76-453a-919d-413861904646' });
      expect(other.status).toBe(400);
      expect(other.body).toEqual(scimError(400, 'mutability'));
      const missing = await t
        .http()
        .put(`${USERS}/${id}`)
        .set(writer)
        .send({ schemas: [CORE], userName: 'a@example.com' });
      expect(missing.body).toEqual(scimError(400, 'invalidValue', 'name.givenName: is required'));
    });
  });

  describe("Entra ID's requests", () => {
    it('applies capitalised ops, "False", dotted and URN keys, filtered email paths, and answers the whole User', async () => {
      const id = (await post(ada)).body.id as string;
      const res = await patch(id, [
        { op: 'Replace', path: 'active', value: 'False' },
        { op: 'Add', value: { 'name.givenName': 'Augusta', [`${ENTERPRISE}:department`]: 'R&D', displayName: 'A. L.' } },
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'ignored@example.com' },
        { op: 'replace', path: `${CORE}:name.familyName`, value: 'King' },
        { op: 'replace', path: 'externalId', value: 'entra-9' },
        { op: 'Remove', path: 'displayName' },
      ]);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(
        userBody({
          userName: 'Ada.Lovelace@example.com',
          givenName: 'Augusta',
          familyName: 'King',
          active: false,
          externalId: 'entra-9',
          schemas: [CORE, ENTERPRISE],
          [ENTERPRISE]: { department: 'R&D' },
        }),
      );
      const found = await list('filter=' + encodeURIComponent('emails[type eq "work"].value eq "ada.lovelace@example.com"'));
      expect(found.body.totalResults).toBe(1);
      const byExternal = await list('filter=' + encodeURIComponent('externalId eq "entra-9"'));
      expect(byExternal.body.totalResults).toBe(1);
      expect((await list('filter=' + encodeURIComponent('externalId eq "ENTRA-9"'))).body.totalResults).toBe(0);
    });

    it('refuses a bad active, a bad op, a missing PatchOp urn, an unknown path and self-management, applying nothing', async () => {
      const id = (await post(ada)).body.id as string;
      const cases: [unknown, string][] = [
        [
          {
            schemas: [PATCH_OP],
            Operations: [
              { op: 'replace', path: 'displayName', value: 'X' },
              { op: 'replace', path: 'active', value: 'no' },
            ],
          },
          'invalidValue',
        ],
        [{ schemas: [PATCH_OP], Operations: [{ op: 'move', path: 'displayName', value: 'X' }] }, 'invalidSyntax'],
        [{ schemas: [CORE], Operations: [{ op: 'replace', path: 'displayName', value: 'X' }] }, 'invalidSyntax'],
        [{ schemas: [PATCH_OP], Operations: [] }, 'invalidSyntax'],
        [{ schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'nickNameX', value: 'X' }] }, 'invalidPath'],
        [{ schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'name[x eq "1"', value: 'X' }] }, 'invalidPath'],
        [{ schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'userName' }] }, 'invalidValue'],
        [{ schemas: [PATCH_OP], Operations: [{ op: 'replace', path: `${ENTERPRISE}:manager`, value: { value: id } }] }, 'invalidValue'],
      ];
      for (const [body, scimType] of cases) {
        const res = await t
          .http()
          .patch(`${USERS}/${id}`)
          .set(writer)
          .send(body as object);
        expect({ body, status: res.status, scimType: res.body.scimType }).toEqual({ body, status: 400, scimType });
      }
      expect(await t.sql('select display_name from person where id = ?', [id])).toEqual([{ display_name: null }]);
    });
  });

  describe('lists', () => {
    beforeEach(async () => {
      await f.person({ email: 'b@example.com', firstName: 'Bea', lastName: 'Zed', department: 'Sales' });
      await f.person({ email: 'a@example.com', firstName: 'amy', lastName: 'Young', department: 'R&D', validTo: '2020-01-01T00:00:00Z' });
      await f.person({ email: 'C@example.com', firstName: 'Cid', lastName: 'Xu', externalId: 'X-1' });
    });
    const userNames = (res: { body: { Resources: { userName: string }[] } }) => res.body.Resources.map((r) => r.userName);

    it('filters with the listed attributes and operators, case-insensitively where caseExact is false', async () => {
      const cases: [string, string[]][] = [
        ['name.givenName sw "a"', ['a@example.com']],
        ['name.familyName co "U" or name.givenName eq "CID"', ['a@example.com', 'C@example.com']],
        ['active eq false', ['a@example.com']],
        ['not (active eq false)', ['b@example.com', 'C@example.com']],
        [`${ENTERPRISE}:department eq "sales"`, ['b@example.com']],
        ['department pr and userName ew "example.com"', ['b@example.com', 'a@example.com']],
        ['externalId pr', ['C@example.com']],
        ['emails[type eq "work" and value sw "c"]', ['C@example.com']],
        ['meta.created gt "2000-01-01T00:00:00Z"', ['b@example.com', 'a@example.com', 'C@example.com']],
        ['userName eq "x\' or 1=1 --"', []],
        ['userName co "%"', []],
      ];
      for (const [filter, expected] of cases) {
        const res = await list('filter=' + encodeURIComponent(filter) + '&sortBy=meta.created');
        expect({ filter, status: res.status, users: res.status === 200 ? userNames(res) : res.body }).toEqual({
          filter,
          status: 200,
          users: expected,
        });
      }
    });

    it('refuses malformed and oversized filters, unknown attributes and senseless operators: 400 invalidFilter', async () => {
      const many = Array.from({ length: 51 }, (_, i) => `userName eq "u${i}"`).join(' or ');
      for (const filter of [
        'userName eq',
        'userName eq "a',
        '(userName eq "a"',
        'nickName eq "a"',
        'password eq "a"',
        'active gt true',
        'active eq "yes"',
        'meta.created gt "yesterday"',
        'userName eq 42',
        'userName zz "a"',
        'emails[type eq "work"',
        'x'.repeat(4097),
        many,
        '('.repeat(40) + 'userName eq "a"' + ')'.repeat(40),
      ]) {
        const started = Date.now();
        const res = await list('filter=' + encodeURIComponent(filter));
        expect({ filter: filter.slice(0, 60), status: res.status, body: res.body }).toEqual({
          filter: filter.slice(0, 60),
          status: 400,
          body: scimError(400, 'invalidFilter'),
        });
        expect(Date.now() - started).toBeLessThan(1000);
      }
    });

    it('sorts (caseExact false sorts without case), pages by index, and counts exactly', async () => {
      expect(userNames(await list('sortBy=userName'))).toEqual(['a@example.com', 'b@example.com', 'C@example.com']);
      expect(userNames(await list('sortBy=name.givenName&sortOrder=descending'))).toEqual([
        'C@example.com',
        'b@example.com',
        'a@example.com',
      ]);
      expect((await list('sortBy=userName&startIndex=2&count=1')).body).toEqual({
        schemas: [LIST],
        totalResults: 3,
        itemsPerPage: 1,
        startIndex: 2,
        Resources: [expect.objectContaining({ userName: 'b@example.com' })],
      });
      expect((await list('count=0')).body).toEqual({ schemas: [LIST], totalResults: 3, itemsPerPage: 0, startIndex: 1, Resources: [] });
      expect((await list('count=-5&startIndex=-3')).body).toEqual({
        schemas: [LIST],
        totalResults: 3,
        itemsPerPage: 0,
        startIndex: 1,
        Resources: [],
      });
      expect((await list('startIndex=10')).body).toEqual({
        schemas: [LIST],
        totalResults: 3,
        itemsPerPage: 0,
        startIndex: 10,
        Resources: [],
      });
      expect((await list('count=5000')).body.itemsPerPage).toBe(3);
      for (const query of ['count=ten', 'startIndex=1.5', 'sortBy=password', 'sortBy=emails.type', 'sortOrder=up']) {
        const res = await list(query);
        expect({ query, status: res.status, body: res.body }).toEqual({ query, status: 400, body: scimError(400, 'invalidValue') });
      }
    });

    it('pages with cursors (RFC 9865): nextCursor on every page but the last, no startIndex, no repeats or skips', async () => {
      const first = await list('cursor=&count=2');
      expect(first.status).toBe(200);
      expect(first.body).toEqual({
        schemas: [LIST],
        totalResults: 3,
        itemsPerPage: 2,
        nextCursor: expect.stringMatching(/^[A-Za-z0-9._~-]+$/),
        Resources: [expect.objectContaining({ userName: 'b@example.com' }), expect.objectContaining({ userName: 'a@example.com' })],
      });
      // Written between the pages: a new person (created last) and a removed one that was already seen.
      await f.person({ email: 'd@example.com', firstName: 'Dee', lastName: 'W' });
      await t.sql("delete from person where email = 'b@example.com'");
      const second = await list(`cursor=${first.body.nextCursor}&count=2`);
      expect(second.body).toEqual({
        schemas: [LIST],
        totalResults: 3,
        itemsPerPage: 2,
        Resources: [expect.objectContaining({ userName: 'C@example.com' }), expect.objectContaining({ userName: 'd@example.com' })],
      });
      const sorted = await list('cursor=&count=1&sortBy=userName&sortOrder=descending');
      expect(userNames(sorted)).toEqual(['d@example.com']);
      expect(userNames(await list(`cursor=${sorted.body.nextCursor}&count=1&sortBy=userName&sortOrder=descending`))).toEqual([
        'C@example.com',
      ]);

      // Date-time keys both ways, to the microsecond (people created in the same millisecond stay apart).
      await t.sql("update person set updated_at = '2026-01-01T00:00:00.000001Z' where email = 'a@example.com'");
      await t.sql("update person set updated_at = '2026-01-01T00:00:00.000002Z' where email = 'C@example.com'");
      await t.sql("update person set updated_at = '2026-01-01T00:00:00.000003Z' where email = 'd@example.com'");
      for (const [order, expected] of [
        ['ascending', ['a@example.com', 'C@example.com', 'd@example.com']],
        ['descending', ['d@example.com', 'C@example.com', 'a@example.com']],
      ] as const) {
        const seen: string[] = [];
        let next = '';
        for (let page = 0; page < 4 && next !== undefined; page++) {
          const res = await list(`cursor=${next}&count=1&sortBy=meta.lastModified&sortOrder=${order}`);
          expect(res.status).toBe(200);
          seen.push(...userNames(res));
          next = res.body.nextCursor as string;
        }
        expect({ order, seen }).toEqual({ order, seen: expected });
      }

      const cursor = first.body.nextCursor as string;
      // Well-formed and signed, but its key is no date-time (a cursor of another version): refused, never cast.
      const foreign = encodeScimCursor({ key: '1733065352.248', id: '2819c223-7f76-453a-919d-413861904646' }, listDigest({ count: 2 }));
      const expired = encodeScimCursor(
        { key: '0', id: '2819c223-7f76-453a-919d-413861904646' },
        listDigest({ count: 2 }),
        Date.now() - 3_601_000,
      );
      for (const [query, scimType] of [
        [`cursor=${cursor.slice(0, -2)}xx&count=2`, 'invalidCursor'],
        ['cursor=nonsense&count=2', 'invalidCursor'],
        [`cursor=${cursor}&count=3`, 'invalidCursor'],
        [`cursor=${cursor}&count=2&filter=active%20eq%20true`, 'invalidCursor'],
        [`cursor=${foreign}&count=2`, 'invalidCursor'],
        [`cursor=${expired}&count=2`, 'expiredCursor'],
        ['cursor=&count=0', 'invalidCount'],
        ['cursor=&count=1001', 'invalidCount'],
        ['cursor=&startIndex=1', 'invalidValue'],
      ]) {
        const res = await list(query);
        expect({ query, status: res.status, body: res.body }).toEqual({ query, status: 400, body: scimError(400, scimType) });
      }
    });

    it('answers only the asked attributes, or all but the excluded ones (schemas and id always)', async () => {
      const only = await list(
        'filter=' + encodeURIComponent('userName eq "b@example.com"') + `&attributes=userName,name.familyName,${ENTERPRISE}:department`,
      );
      expect(only.body.Resources).toEqual([
        {
          schemas: [CORE, ENTERPRISE],
          id: UUID,
          userName: 'b@example.com',
          name: { familyName: 'Zed' },
          [ENTERPRISE]: { department: 'Sales' },
        },
      ]);
      const without = await list(
        'filter=' + encodeURIComponent('userName eq "b@example.com"') + `&excludedAttributes=emails,meta,name,${ENTERPRISE},id`,
      );
      expect(without.body.Resources).toEqual([{ schemas: [CORE, ENTERPRISE], id: UUID, userName: 'b@example.com', active: true }]);
    });
  });

  describe('ETags, roles and deletes', () => {
    it("answers the person's ETag (the Opsera GET's), 304 on If-None-Match, 412 on a stale If-Match", async () => {
      const created = await post(ada);
      const id = created.body.id as string;
      const opsera = await t.http().get('/api/v2/data/people/ada.lovelace@example.com').set(bearer(t.tokens.viewer));
      expect(created.headers['etag']).toBe(opsera.headers['etag']);
      const got = await t.http().get(`${USERS}/${id}`).set(reader);
      expect(got.headers['etag']).toBe(opsera.headers['etag']);
      const notModified = await t.http().get(`${USERS}/${id}`).set(reader).set('If-None-Match', got.headers['etag']);
      expect(notModified.status).toBe(304);
      expect(notModified.text).toBe('');
      await patch(id, [{ op: 'replace', path: 'displayName', value: 'Ada' }]);
      const stale = await patch(id, [{ op: 'replace', path: 'displayName', value: 'Lady' }]).set('If-Match', got.headers['etag']);
      expect(stale.status).toBe(412);
      expect(stale.body).toEqual(scimError(412));
      expect(await t.sql('select display_name from person where id = ?', [id])).toEqual([{ display_name: 'Ada' }]);
    });

    it('lets a Viewer read only, a Power User write, and only an Administrator delete (forced: the assignments go too)', async () => {
      expect((await post(ada, reader)).status).toBe(403);
      const id = (await post(ada)).body.id as string;
      const unit = await f.unit({ name: 'Engines' });
      await f.assignment({ person_id: id, org_unit_id: unit });
      expect((await t.http().delete(`${USERS}/${id}`).set(writer)).status).toBe(403);
      const requestId = `scim-delete-${Date.now()}`;
      const deleted = await t.http().delete(`${USERS}/${id}`).set(admin).set('X-Request-Id', requestId);
      expect(deleted.status).toBe(204);
      expect(await t.sql('select count(*)::int as n from org_person')).toEqual([{ n: 0 }]);
      expect(await t.sql('select entity, op from change_event where request_id = ? order by entity', [requestId])).toEqual([
        { entity: 'org-person', op: 'delete' },
        { entity: 'person', op: 'delete' },
      ]);
      expect((await t.http().get(`${USERS}/${id}`).set(reader)).status).toBe(404);
      expect((await t.http().delete(`${USERS}/${id}`).set(admin)).status).toBe(404);
    });

    it('replays a POST repeated with the same Idempotency-Key: the first answer, Location and ETag, nothing written', async () => {
      const first = await post(ada).set('Idempotency-Key', 'okta-create-1');
      const again = await post(ada).set('Idempotency-Key', 'okta-create-1');
      expect(first.status).toBe(201);
      expect({ status: again.status, body: again.body, location: again.headers['location'], etag: again.headers['etag'] }).toEqual({
        status: 201,
        body: first.body,
        location: first.headers['location'],
        etag: first.headers['etag'],
      });
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(await t.sql('select count(*)::int as n from person')).toEqual([{ n: 1 }]);
    });

    it('lets exactly one of several identical concurrent creates win; the others are 409 uniqueness', async () => {
      const answers = await Promise.all(Array.from({ length: 6 }, () => post(ada)));
      expect(answers.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
      expect(await t.sql('select count(*)::int as n from person')).toEqual([{ n: 1 }]);
    });

    it('refuses unknown top-level members, a userName that is no email, and over-long values with a 400 naming them', async () => {
      const unknown = await post({ ...ada, favouriteColour: 'blue' });
      expect(unknown.body).toEqual(scimError(400, 'invalidSyntax', 'favouriteColour: is not a User attribute'));
      const notEmail = await post({ ...ada, userName: 'ada' });
      expect(notEmail.body).toEqual(scimError(400, 'invalidValue', 'userName: must be a valid email address'));
      const long = await post({ ...ada, displayName: 'x'.repeat(5000) });
      expect(long.status).toBe(400);
      expect(long.body.detail).toMatch(/^displayName: /);
      const accepted = await post({ ...ada, 'urn:example:custom:2.0:User': { shoe: 44 }, title: 'Countess', schemas: [CORE, 'urn:x'] });
      expect(accepted.status).toBe(201);
      expect(await t.sql('select count(*)::int as n from person')).toEqual([{ n: 1 }]);
    });
  });
});
