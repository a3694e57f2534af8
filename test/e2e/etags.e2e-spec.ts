import type { Response } from 'supertest';
import { bearer, createTestApp, problem, type TestApp } from '../support/test-app.js';
import { orgFactories, tableCounts, truncateOrgTables, type OrgFactories } from '../support/org-factories.js';

/**
 * Contract section 10.4: ETag on every single-entity answer, If-Match (412) on every write to one
 * entity, If-None-Match (304) on reads. Table-driven over the four entities.
 */

const STRONG_TAG = /^"[A-Za-z0-9_-]{22}"$/;
const STALE = '"AAAAAAAAAAAAAAAAAAAAAA"';
const MISSING_ID = '00000000-0000-4000-8000-000000000000';

interface Kind {
  name: 'person' | 'org-unit' | 'org-role' | 'org-person';
  table: string;
  /** Creates one entity through the API; returns its id and the path that reads, updates and deletes it. */
  create(): Promise<{ id: string; create: Response }>;
  readPath(id: string): string;
  updatePath(id: string): string;
  deletePath(id: string, query?: string): string;
  /** Historicizes with a given body, the way the dialect does it. */
  historicize(id: string, headers: Record<string, string>): Promise<Response>;
  /** A change of a stored value through the API, and a column a set-based SQL write may change. */
  change: Record<string, unknown>;
  column: string;
}

describe('ETag, If-Match and If-None-Match (contract 10.4)', () => {
  let t: TestApp;
  let f: OrgFactories;
  let write: Record<string, string>;
  let read: Record<string, string>;
  let emails: Map<string, string>;

  beforeAll(async () => {
    t = await createTestApp();
    f = orgFactories(t);
    write = bearer(t.tokens.admin);
    read = bearer(t.tokens.viewer);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await truncateOrgTables(t);
    emails = new Map();
  });

  let sequence = 0;
  const people: Kind = {
    name: 'person',
    table: 'person',
    async create() {
      const email = `etag${++sequence}@example.com`;
      const res = await t.http().post('/api/v2/data/people').set(write).send({ email, firstName: 'Ada', lastName: 'Lovelace' });
      emails.set(res.body.id as string, email);
      return { id: res.body.id as string, create: res };
    },
    readPath: (id) => `/api/v2/data/people/${encodeURIComponent(emails.get(id) ?? 'nobody@example.com')}`,
    updatePath: (id) => `/api/v2/data/people/${encodeURIComponent(emails.get(id) ?? 'nobody@example.com')}`,
    deletePath: (id, query = '') => `/api/v2/data/people/${encodeURIComponent(emails.get(id) ?? 'nobody@example.com')}${query}`,
    historicize: (id, headers) =>
      t
        .http()
        .delete(`/api/v2/data/people/${encodeURIComponent(emails.get(id) ?? '')}?historicize=true`)
        .set(write)
        .set(headers),
    change: { department: 'Analytical Engines' },
    column: 'department',
  };
  const org = (
    name: 'org-unit' | 'org-role' | 'org-person',
    table: string,
    make: () => Promise<Response>,
    change: Record<string, unknown>,
    column: string,
  ): Kind => ({
    name,
    table,
    async create() {
      const res = await make();
      return { id: res.body[`${table}_id`] as string, create: res };
    },
    readPath: (id) => `/v2/${name}/view/${id}`,
    updatePath: (id) => `/v2/${name}/update/${id}`,
    deletePath: (id, query = '') => `/v2/${name}/delete/${id}${query}`,
    historicize: (id, headers) => t.http().post(`/v2/${name}/historicize/${id}`).set(write).set(headers),
    change,
    column,
  });
  const KINDS: Kind[] = [
    people,
    org(
      'org-unit',
      'org_unit',
      () => t.http().post('/v2/org-unit/create').set(write).send({ name: 'Engines' }),
      { name: 'Difference Engines' },
      'name',
    ),
    org(
      'org-role',
      'org_role',
      () => t.http().post('/v2/org-role/create').set(write).send({ name: 'Analyst' }),
      { name: 'Lead Analyst' },
      'name',
    ),
    org(
      'org-person',
      'org_person',
      async () =>
        t
          .http()
          .post('/v2/org-person/create')
          .set(write)
          .send({ person_id: await f.person(), org_unit_id: await f.unit() }),
      { valid_from: '2020-01-01T00:00:00.000Z' },
      'valid_from',
    ),
  ];

  const get = (kind: Kind, id: string, headers: Record<string, string> = {}) => t.http().get(kind.readPath(id)).set(read).set(headers);
  const put = (kind: Kind, id: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    t.http().put(kind.updatePath(id)).set(write).set(headers).send(body);
  const version = async (kind: Kind, id: string) =>
    (await t.sql<{ version: string }>(`select version::text as version from ${kind.table} where id = ?`, [id]))[0]?.version;
  const stored = async (kind: Kind, id: string) =>
    (await t.sql<Record<string, unknown>>(`select * from ${kind.table} where id = ?`, [id]))[0];

  describe.each(KINDS)('$name', (kind) => {
    it('create answers a strong ETag, and a read answers the same body with the same ETag', async () => {
      const { id, create } = await kind.create();
      expect(create.status).toBe(201);
      expect(create.headers['etag']).toMatch(STRONG_TAG);
      const res = await get(kind, id);
      expect(res.status).toBe(200);
      expect(res.headers['etag']).toBe(create.headers['etag']);
      expect(res.body).toEqual(create.body);
      expect(res.body).not.toHaveProperty('version');
      expect(res.body).not.toHaveProperty('entity_version');
    });

    it('keeps its ETag while nothing is stored differently: repeated reads, time passing, writes of the same values', async () => {
      const { id, create } = await kind.create();
      const tag = create.headers['etag'];
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect((await get(kind, id)).headers['etag']).toBe(tag);
      await t.sql(`update ${kind.table} set ${kind.column} = ${kind.column} where id = ?`, [id]);
      expect((await get(kind, id)).headers['etag']).toBe(tag);
      // A second historicize without a date leaves an ended entity as it was.
      const first = await kind.historicize(id, {});
      expect([200, 204]).toContain(first.status);
      const ended = (await get(kind, id)).headers['etag'];
      expect(ended).not.toBe(tag);
      const again = await kind.historicize(id, {});
      expect(again.status).toBe(first.status);
      expect((await get(kind, id)).headers['etag']).toBe(ended);
    });

    it('changes its ETag on every change, through the API and through set-based SQL', async () => {
      const { id, create } = await kind.create();
      const updated = await put(kind, id, kind.change);
      expect(updated.status).toBe(200);
      expect(updated.headers['etag']).toMatch(STRONG_TAG);
      expect(updated.headers['etag']).not.toBe(create.headers['etag']);
      expect((await get(kind, id)).headers['etag']).toBe(updated.headers['etag']);
      const before = await version(kind, id);
      await t.sql(`update ${kind.table} set updated_at = updated_at + interval '1 second' where id = ?`, [id]);
      expect(Number(await version(kind, id))).toBeGreaterThan(Number(before));
      const read = await get(kind, id);
      expect(read.headers['etag']).toMatch(STRONG_TAG);
      expect(read.headers['etag']).not.toBe(updated.headers['etag']);
    });

    it('a client cannot set the version: the trigger keeps it unless the row changes', async () => {
      const { id } = await kind.create();
      const before = await version(kind, id);
      await t.sql(`update ${kind.table} set version = 1 where id = ?`, [id]);
      expect(await version(kind, id)).toBe(before);
    });

    describe('If-None-Match on a read', () => {
      it('answers 304 without a body when it matches (strong, weak, in a list, or *)', async () => {
        const { id, create } = await kind.create();
        const tag = create.headers['etag'];
        for (const value of [tag, `W/${tag}`, `${STALE}, ${tag}`, '*']) {
          const res = await get(kind, id, { 'If-None-Match': value });
          expect(res.status).toBe(304);
          expect(res.text ?? '').toBe('');
          expect(res.headers['etag']).toBe(tag);
          expect(res.headers['content-type']).toBeUndefined();
        }
      });

      it('answers 200 with the body and the current ETag when it does not match', async () => {
        const { id, create } = await kind.create();
        const res = await get(kind, id, { 'If-None-Match': STALE });
        expect(res.status).toBe(200);
        expect(res.body).toEqual(create.body);
        expect(res.headers['etag']).toBe(create.headers['etag']);
      });

      it('is a 400 naming the header when malformed', async () => {
        const { id } = await kind.create();
        const res = await get(kind, id, { 'If-None-Match': 'abc' });
        expect(res.status).toBe(400);
        expect(res.body).toEqual(problem(400, 'validation-error', { errors: [{ field: 'If-None-Match', message: expect.any(String) }] }));
        expect(res.headers['etag']).toBeUndefined();
      });

      it('does not hide a 404', async () => {
        const res = await t.http().get(kind.readPath(MISSING_ID)).set(read).set('If-None-Match', '*');
        expect(res.status).toBe(404);
      });
    });

    describe('If-Match on a write', () => {
      it('a stale ETag is a 412 and changes nothing', async () => {
        const { id } = await kind.create();
        const before = await stored(kind, id);
        const res = await put(kind, id, kind.change, { 'If-Match': STALE });
        expect(res.status).toBe(412);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body).toEqual(problem(412, 'precondition-failed'));
        expect(res.body.detail).toContain('If-Match');
        expect(await stored(kind, id)).toEqual(before);
      });

      it('the weak form of the current ETag does not match (strong comparison)', async () => {
        const { id, create } = await kind.create();
        const res = await put(kind, id, kind.change, { 'If-Match': `W/${String(create.headers['etag'])}` });
        expect(res.status).toBe(412);
      });

      it('the current ETag, a list holding it, or * lets the write through and answers the new ETag', async () => {
        const { id, create } = await kind.create();
        let tag = create.headers['etag'];
        for (const make of [(c: string) => c, (c: string) => `${STALE} , ${c}`, () => '*']) {
          const res = await put(kind, id, kind.change, { 'If-Match': make(tag) });
          expect(res.status).toBe(200);
          expect(res.headers['etag']).toMatch(STRONG_TAG);
          expect(res.headers['etag']).not.toBe(tag);
          tag = res.headers['etag'];
        }
        expect((await get(kind, id)).headers['etag']).toBe(tag);
      });

      it('If-None-Match: * on a write to an existing entity is a 412', async () => {
        const { id } = await kind.create();
        const before = await stored(kind, id);
        const res = await put(kind, id, kind.change, { 'If-None-Match': '*' });
        expect(res.status).toBe(412);
        expect(res.body).toEqual(problem(412, 'precondition-failed'));
        expect(await stored(kind, id)).toEqual(before);
      });

      it('a malformed If-Match is a 400 naming it, and changes nothing', async () => {
        const { id } = await kind.create();
        const before = await stored(kind, id);
        for (const value of ['abc', '"unterminated', '"a" "b"', 'W/abc', '"a",,x']) {
          const res = await put(kind, id, kind.change, { 'If-Match': value });
          expect(res.status).toBe(400);
          expect(res.body).toEqual(problem(400, 'validation-error', { errors: [{ field: 'If-Match', message: expect.any(String) }] }));
        }
        expect(await stored(kind, id)).toEqual(before);
      });

      it('a missing entity stays a 404 whatever If-Match says', async () => {
        const res = await t.http().put(kind.updatePath(MISSING_ID)).set(write).set('If-Match', '*').send(kind.change);
        expect(res.status).toBe(404);
      });

      it('DELETE with a stale ETag is a 412 and deletes nothing; with the current one it deletes', async () => {
        const { id, create } = await kind.create();
        const counts = await tableCounts(t);
        const refused = await t.http().delete(kind.deletePath(id, '?force=true')).set(write).set('If-Match', STALE);
        expect(refused.status).toBe(412);
        expect(refused.body).toEqual(problem(412, 'precondition-failed'));
        expect(await tableCounts(t)).toEqual(counts);
        const res = await t.http().delete(kind.deletePath(id, '?force=true')).set(write).set('If-Match', create.headers['etag']);
        expect(res.status).toBe(204);
        expect(await stored(kind, id)).toBeUndefined();
      });

      it('historicize with a stale ETag is a 412 and leaves the validity; with the current one it ends it', async () => {
        const { id, create } = await kind.create();
        const refused = await kind.historicize(id, { 'If-Match': STALE });
        expect(refused.status).toBe(412);
        expect((await stored(kind, id)).valid_to).toBeNull();
        const res = await kind.historicize(id, { 'If-Match': create.headers['etag'] });
        expect([200, 204]).toContain(res.status);
        expect((await stored(kind, id)).valid_to).not.toBeNull();
        if (res.status === 200) expect(res.headers['etag']).toBe((await get(kind, id)).headers['etag']);
      });

      it('parallel writes with the same ETag: exactly one wins, the others are 412', async () => {
        const { id, create } = await kind.create();
        const tag = create.headers['etag'];
        const changes = Array.from({ length: 6 }, (_, i) =>
          kind.name === 'org-person' ? { valid_from: `2020-01-0${i + 1}T00:00:00.000Z` } : { [Object.keys(kind.change)[0]]: `Racer ${i}` },
        );
        const answers = await Promise.all(changes.map((body) => put(kind, id, body, { 'If-Match': tag })));
        const statuses = answers.map((a) => a.status).sort();
        expect(statuses).toEqual([200, 412, 412, 412, 412, 412]);
        const winner = answers.find((a) => a.status === 200)!;
        expect((await get(kind, id)).body).toEqual(winner.body);
        expect((await get(kind, id)).headers['etag']).toBe(winner.headers['etag']);
      });
    });
  });

  it('an org-person view and its parent unit carry different ETags (one per entity)', async () => {
    const unit = await f.unit();
    const assignment = await f.assignment({ person_id: await f.person(), org_unit_id: unit });
    const a = await t.http().get(`/v2/org-person/view/${assignment}`).set(read);
    const u = await t.http().get(`/v2/org-unit/view/${unit}`).set(read);
    expect(a.headers['etag']).toMatch(STRONG_TAG);
    expect(u.headers['etag']).toMatch(STRONG_TAG);
    expect(a.headers['etag']).not.toBe(u.headers['etag']);
  });

  it('lists carry no ETag', async () => {
    await f.unit();
    const res = await t.http().post('/v2/org-unit/index').set(read).send({});
    expect(res.status).toBe(200);
    expect(res.headers['etag']).toBeUndefined();
  });
});
