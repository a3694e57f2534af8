import fc from 'fast-check';
import { SiteRole } from '../../src/common/auth/site-roles.js';
import { anyString, SQL_INJECTIONS, text } from '../support/fuzz/arbitraries.js';
import { bearer, createTestApp, type TestApp } from '../support/test-app.js';
import { orgFactories, truncateOrgTables } from '../support/org-factories.js';

/**
 * Property-based fuzzing of SCIM Group PATCH and of the Groups filter (contract sections 13.4, 13.5,
 * 13.7): PatchOp bodies from the grammar Entra and Okta use, bent (ops in any case, unknown ops,
 * filtered and URN paths, malformed paths, member lists with unknown and malformed ids, hostile
 * strings), and filters over the Group attributes. Every answer is below 500; a refused PATCH is a SCIM
 * error with its scimType and changed nothing (same ETag, no change-log event); an applied one answers
 * 204 with the Group's new ETag, and a PATCH that moves no ETag recorded nothing. Fixed seeds.
 */
const PROJECT = '7d3c8a9e-1b2f-4c5d-8e6f-0a1b2c3d4e5f';
const GROUPS = '/scim/v2/Groups';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ORGANIGRAM = 'urn:ietf:params:scim:schemas:extension:organigram:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const TIMEOUT = 180_000;
const SCIM_TYPES_400 = ['invalidSyntax', 'invalidPath', 'invalidValue', 'mutability', 'invalidFilter'];

describe('fuzz: SCIM Groups PATCH and filters', () => {
  let t: TestApp;
  let writer: Record<string, string>;
  let writerId: string;
  let people: string[];
  let group: string;
  let sibling: string;
  const unknownPerson = '5f0c7a8e-2b1d-4c3e-9f8a-7b6c5d4e3f2a';

  beforeAll(async () => {
    t = await createTestApp();
    const w = await t.createToken(SiteRole.PowerUser, { scopes: ['scim'], projectId: PROJECT });
    writer = bearer(w.token);
    writerId = w.id;
    await truncateOrgTables(t);
    const f = orgFactories(t);
    people = [];
    for (let i = 0; i < 4; i++) people.push(await f.person());
    const created = async (displayName: string) =>
      (
        await t
          .http()
          .post(GROUPS)
          .set(writer)
          .send({ schemas: [GROUP], displayName, members: [{ value: people[0] }] })
      ).body.id as string;
    group = await created('Fuzzed');
    sibling = await created('Taken');
  });
  afterAll(() => t.close());

  // Placeholders of the ids created in beforeAll (the grammar is built before they exist).
  const person = () => fc.constantFrom('@p0', '@p1', '@p2', '@p3', '@p1hex', unknownPerson, 'not-an-id');
  const members = fc.array(
    fc.oneof(
      person().map((value) => ({ value })),
      person().map((value) => ({ value, display: 'x', $ref: 'y', type: 'User' })),
      person(),
      fc.constant({}),
      fc.constant(null),
    ),
    { maxLength: 4 },
  );
  const ops = fc.constantFrom('add', 'Add', 'ADD', 'replace', 'Replace', 'remove', 'Remove', 'copy', 'move', '', 'test');
  const path = fc.oneof(
    fc.constant(undefined),
    fc.constantFrom(
      'members',
      'Members',
      'displayName',
      'DISPLAYNAME',
      'externalId',
      `${GROUP}:displayName`,
      `${ORGANIGRAM}:code`,
      `${ORGANIGRAM}:description`,
      `${ORGANIGRAM}:parentId`,
      'members.value',
      'members[',
      'members[value eq ]',
      'members[value co "a"]',
      'emails[type eq "work"].value',
      'id',
      'meta',
      'schemas',
      'nope',
      'a.b.c',
      '',
      '   ',
    ),
    person().map((p) => `members[value eq "${p}"]`),
    fc.tuple(person(), person()).map(([a, b]) => `members[value eq "${a}" or value eq "${b}"]`),
    fc.constantFrom(...SQL_INJECTIONS),
  );
  const value = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.constant(''),
    members,
    text,
    anyString,
    fc.integer(),
    fc.boolean(),
    fc.record(
      {
        id: fc.constantFrom(undefined, 'same', unknownPerson),
        displayName: fc.oneof(text, fc.constantFrom('Taken', 'taken', 'Fuzzed', 'x'.repeat(201))),
        externalId: fc.oneof(text, fc.constant(null)),
        members,
        [`${ORGANIGRAM}:code`]: fc.oneof(text, fc.constant(null)),
        [ORGANIGRAM]: fc.record({ parentId: fc.constantFrom(null, 'self', 'sibling', unknownPerson) }, { requiredKeys: [] }),
        colour: fc.constant('red'),
      },
      { requiredKeys: [] },
    ),
  );
  const wild = fc.record({ op: ops, path, value }, { requiredKeys: ['op'] });
  // Well-formed operations of the Entra and Okta grammar, so that PATCHes also apply (and change nothing).
  const caseOf = (op: string) => fc.constantFrom(op, op[0].toUpperCase() + op.slice(1));
  const goodPerson = fc.constantFrom('@p0', '@p1', '@p2', '@p3', '@p1hex');
  const goodMembers = fc.array(
    goodPerson.map((value) => ({ value })),
    { maxLength: 3 },
  );
  const name = fc.constantFrom('Fuzzed', 'Fuzzed 2', 'fuzzed', 'Taken');
  const wellFormed = fc.oneof(
    fc.record({ op: fc.oneof(caseOf('add'), caseOf('replace')), path: fc.constant('members'), value: goodMembers }),
    fc.record(
      { op: caseOf('remove'), path: fc.constant('members'), value: fc.option(goodMembers, { nil: undefined }) },
      { requiredKeys: ['op', 'path'] },
    ),
    fc.record({ op: caseOf('remove'), path: goodPerson.map((p) => `members[value eq "${p}"]`) }),
    fc.record({
      op: fc.oneof(caseOf('add'), caseOf('replace')),
      path: fc.constantFrom('displayName', `${GROUP}:displayName`),
      value: name,
    }),
    fc.record({
      op: caseOf('replace'),
      path: fc.constantFrom('externalId', `${ORGANIGRAM}:code`, `${ORGANIGRAM}:description`),
      value: fc.constantFrom('a', 'b', null, ''),
    }),
    fc.record({ op: caseOf('remove'), path: fc.constantFrom('externalId', `${ORGANIGRAM}:code`, `${ORGANIGRAM}:parentId`) }),
    fc.record({ op: caseOf('replace'), path: fc.constant(`${ORGANIGRAM}:parentId`), value: fc.constantFrom('sibling', null) }),
    fc.record({
      op: caseOf('replace'),
      value: fc.record(
        { id: fc.constant('same'), displayName: name, externalId: fc.constantFrom('a', 'b'), members: goodMembers },
        { requiredKeys: [] },
      ),
    }),
  );
  const operation = fc.oneof({ arbitrary: wellFormed, weight: 6 }, { arbitrary: wild, weight: 1 });
  const body = fc.record({
    schemas: fc.oneof(
      { arbitrary: fc.constant([PATCH_OP]), weight: 8 },
      { arbitrary: fc.constantFrom(undefined, [], [GROUP], PATCH_OP), weight: 1 },
    ),
    Operations: fc.oneof(
      { arbitrary: fc.array(operation, { maxLength: 4 }), weight: 8 },
      { arbitrary: fc.constantFrom(undefined, {}, 'x'), weight: 1 },
    ),
  });

  /** The placeholders of ids the grammar cannot know before the run, replaced in the text sent. */
  const ids = (text: string): string =>
    text
      .replaceAll('@p1hex', people[1].replace(/-/g, '').toUpperCase())
      .replace(/@p(\d)/g, (_, i: string) => people[Number(i)])
      .replaceAll('"same"', JSON.stringify(group))
      .replaceAll('"self"', JSON.stringify(group))
      .replaceAll('"sibling"', JSON.stringify(sibling));

  const state = async () => {
    const res = await t.http().get(`${GROUPS}/${group}`).set(writer);
    const [events] = await t.sql<{ n: number }>("select count(*)::int as n from change_event where actor ->> 'token_id' = ?", [writerId]);
    // supertest listens on a new port per request: the URLs in the body are compared without it.
    const body = JSON.parse(JSON.stringify(res.body).replace(/127\.0\.0\.1:\d+/g, 'host')) as { members?: { value: string }[] };
    return { etag: res.headers['etag'], body, events: events.n };
  };

  it(
    'PATCH /Groups/{id} with random PatchOp bodies: 204 with the new ETag, or a SCIM error that changed nothing',
    async () => {
      const seen = { changed: 0, unchanged: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(body, async (raw) => {
          const before = await state();
          const res = await t
            .http()
            .patch(`${GROUPS}/${group}`)
            .set(writer)
            .set('Content-Type', 'application/scim+json')
            .send(ids(JSON.stringify(raw ?? null)));
          const after = await state();
          expect(res.status).toBeLessThan(500);
          if (res.status === 204) {
            seen[after.etag === before.etag ? 'unchanged' : 'changed'] += 1;
            expect(res.headers['etag']).toBe(after.etag);
            if (after.etag === before.etag) expect(after.events).toBe(before.events);
          } else {
            seen.refused += 1;
            expect([400, 409]).toContain(res.status);
            expect(res.body).toEqual({
              schemas: [ERROR],
              status: String(res.status),
              scimType: expect.any(String),
              detail: expect.any(String),
              requestId: expect.any(String),
            });
            expect(res.status === 409 ? ['uniqueness'] : SCIM_TYPES_400).toContain(res.body.scimType);
            expect(after).toEqual(before);
          }
          const values = (after.body.members ?? []).map((m) => m.value);
          expect(new Set(values).size).toBe(values.length);
          for (const v of values) expect(people).toContain(v);
        }),
        { seed: 1401, numRuns: 150 },
      );
      // The grammar reaches every outcome, not only refusals.
      expect(seen).toEqual({ changed: expect.any(Number), unchanged: expect.any(Number), refused: expect.any(Number) });
      expect(Math.min(seen.changed, seen.unchanged, seen.refused)).toBeGreaterThan(5);
    },
    TIMEOUT,
  );

  const attribute = fc.constantFrom(
    'id',
    'displayName',
    'DisplayName',
    'externalId',
    'members',
    'members.value',
    'members.display',
    `${ORGANIGRAM}:code`,
    'code',
    'meta.created',
    'meta.lastModified',
    'userName',
    'active',
  );
  const operator = fc.constantFrom('eq', 'EQ', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'pr', 'xx');
  const literal = fc.oneof(
    person().map((p) => JSON.stringify(p)),
    anyString.map((s) => JSON.stringify(s)),
    fc.constantFrom('true', 'null', '42', '"2026-01-01T00:00:00Z"', '"', ''),
  );
  const comparison = fc.tuple(attribute, operator, literal).map(([a, o, l]) => (o.toLowerCase() === 'pr' ? `${a} pr` : `${a} ${o} ${l}`));
  const filter = fc.oneof(
    comparison,
    fc.tuple(comparison, fc.constantFrom('and', 'or'), comparison).map(([a, j, b]) => `${a} ${j} ${b}`),
    fc.tuple(person(), comparison).map(([p, c]) => `members[value eq "${p}"] and not (${c})`),
    fc.constantFrom(...SQL_INJECTIONS),
  );

  it(
    'GET /Groups with random filters: 200 with a list or 400 invalidFilter/invalidValue, never a 500',
    async () => {
      const statuses: number[] = [];
      await fc.assert(
        fc.asyncProperty(filter, fc.constantFrom('', '&cursor=', '&count=1', '&sortBy=displayName'), async (text, extra) => {
          const res = await t
            .http()
            .get(`${GROUPS}?filter=${encodeURIComponent(ids(text))}${extra}`)
            .set(writer);
          expect(res.status).toBeLessThan(500);
          statuses.push(res.status);
          if (res.status === 200) {
            expect(res.body.Resources.length).toBe(res.body.itemsPerPage);
            expect(res.body.totalResults).toBeGreaterThanOrEqual(res.body.itemsPerPage);
          } else {
            expect(res.status).toBe(400);
            expect(['invalidFilter', 'invalidValue']).toContain(res.body.scimType);
          }
        }),
        { seed: 1402, numRuns: 150 },
      );
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(10);
      expect(statuses.filter((s) => s === 400).length).toBeGreaterThan(10);
    },
    TIMEOUT,
  );
});
