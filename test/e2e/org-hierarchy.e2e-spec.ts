import type { Response } from 'supertest';
import { bearer, createTestApp, ISO, problem, type TestApp } from '../support/test-app.js';
import { errorFields, hexId, orgFactories, truncateOrgTables, type OrgFactories } from '../support/org-factories.js';

const BASE = '/v2/org-unit';
const MISSING_ID = '00000000-0000-4000-8000-000000000000';
// Client-supplied ids, so two siblings of the same name have a known order (by id).
const SAME_FIRST = '11111111-1111-4111-8111-111111111111';
const SAME_SECOND = '22222222-2222-4222-8222-222222222222';

interface Unit {
  id: string;
  name: string;
  parent: string | null;
}

/** The whole org-unit body of a hierarchy row (active, no code, no project). */
function unitBody(unit: Unit, extra: Record<string, unknown> = {}) {
  return {
    org_unit_id: unit.id,
    code: null,
    name: unit.name,
    description: null,
    parent_org_unit_id: unit.parent,
    project_id: null,
    external_id: null,
    valid_from: null,
    valid_to: null,
    owned_active: true,
    parent_active: true,
    ...extra,
  };
}

function expectInvalid(res: Response, fields: string[]) {
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toEqual(problem(400, 'validation-error', { errors: expect.any(Array) }));
  expect(errorFields(res)).toEqual([...fields].sort());
}

function expectPaging(res: Response, page: number, pages: number, perPage: number, total: number) {
  expect(res.headers['x-pagination-current-page']).toBe(String(page));
  expect(res.headers['x-pagination-page-count']).toBe(String(pages));
  expect(res.headers['x-pagination-per-page']).toBe(String(perPage));
  expect(res.headers['x-pagination-total-count']).toBe(String(total));
}

describe('Hierarchy reads: ancestors, descendants, head counts (contract section 11)', () => {
  let t: TestApp;
  let f: OrgFactories;
  let read: Record<string, string>;
  let write: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp();
    f = orgFactories(t);
    read = bearer(t.tokens.viewer);
    write = bearer(t.tokens.powerUser);
  });
  afterAll(() => t.close());
  beforeEach(() => truncateOrgTables(t));

  const ancestors = (id: string, query = '') => t.http().get(`${BASE}/ancestors/${id}${query}`).set(read);
  const descendants = (body: Record<string, unknown>) => t.http().post(`${BASE}/descendants`).set(read).send(body);
  const historicize = (res: string, id: string) => t.http().post(`/v2/${res}/historicize/${id}`).set(write).send({});

  const unit = async (name: string, parent: Unit | null, overrides: Record<string, unknown> = {}): Promise<Unit> => ({
    id: await f.unit({ name, parent_org_unit_id: parent?.id ?? null, ...overrides }),
    name,
    parent: parent?.id ?? null,
  });

  /**
   * Root
   * ├─ Beta ── Beta 1
   * ├─ Alpha ─┬─ Alpha 2
   * │         └─ Alpha 1 ── Alpha 1 x
   * ├─ Same (SAME_SECOND)
   * └─ Same (SAME_FIRST)
   * created in an order that is not the answer's order.
   */
  async function tree() {
    const root = await unit('Root', null);
    const beta = await unit('Beta', root);
    const beta1 = await unit('Beta 1', beta);
    const alpha = await unit('Alpha', root);
    const alpha2 = await unit('Alpha 2', alpha);
    const alpha1 = await unit('Alpha 1', alpha);
    const alpha1x = await unit('Alpha 1 x', alpha1);
    const sameSecond = await unit('Same', root, { org_unit_id: SAME_SECOND });
    const sameFirst = await unit('Same', root, { org_unit_id: SAME_FIRST });
    return { root, beta, beta1, alpha, alpha2, alpha1, alpha1x, sameFirst, sameSecond };
  }

  describe('GET /v2/org-unit/ancestors/{id}', () => {
    it('answers the chain from the root down to the parent, each with its depth; a root has none', async () => {
      const { root, alpha, alpha1, alpha1x } = await tree();
      const res = await ancestors(alpha1x.id);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual([unitBody(root, { depth: 0 }), unitBody(alpha, { depth: 1 }), unitBody(alpha1, { depth: 2 })]);
      const ofRoot = await ancestors(root.id);
      expect(ofRoot.status).toBe(200);
      expect(ofRoot.body).toEqual([]);
    });

    it('accepts the ?id= form and ids without dashes in upper case', async () => {
      const { root, alpha, alpha1 } = await tree();
      const expected = [unitBody(root, { depth: 0 }), unitBody(alpha, { depth: 1 })];
      const byQuery = await t
        .http()
        .get(`${BASE}/ancestors?id=${hexId(alpha1.id)}`)
        .set(read);
      expect(byQuery.status).toBe(200);
      expect(byQuery.body).toEqual(expected);
      expect((await ancestors(hexId(alpha1.id))).body).toEqual(expected);
    });

    it('answers 404 for an unknown unit and 400 for a malformed id or flag', async () => {
      const missing = await ancestors(MISSING_ID);
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual(problem(404, 'not-found'));
      expectInvalid(await ancestors('not-a-uuid'), ['id']);
      const { alpha } = await tree();
      expectInvalid(await ancestors(alpha.id, '?history=maybe'), ['history']);
      expectInvalid(await ancestors(alpha.id, '?with_counts=2'), ['with_counts']);
      expectInvalid(await ancestors(alpha.id, '?depth=1'), ['depth']);
    });

    it('leaves out an inactive ancestor and everything below it unless history is true', async () => {
      const { root, alpha, alpha1, alpha1x } = await tree();
      expect((await historicize('org-unit', alpha.id)).status).toBe(200);
      const hidden = await ancestors(alpha1x.id);
      expect(hidden.status).toBe(200);
      expect(hidden.body).toEqual([unitBody(root, { depth: 0 })]);
      for (const flag of ['true', '1']) {
        const shown = await ancestors(alpha1x.id, `?history=${flag}`);
        expect(shown.status).toBe(200);
        expect(shown.body).toEqual([
          unitBody(root, { depth: 0 }),
          unitBody(alpha, { depth: 1, owned_active: false, valid_to: ISO }),
          unitBody(alpha1, { depth: 2, parent_active: false }),
        ]);
      }
    });

    it('needs a token with scope api', async () => {
      const res = await t.http().get(`${BASE}/ancestors/${MISSING_ID}`);
      expect(res.status).toBe(401);
    });
  });

  describe('POST /v2/org-unit/descendants', () => {
    it('lists the whole subtree depth first, siblings by name then id, with depth and path', async () => {
      const u = await tree();
      const res = await descendants({ org_unit_id: u.root.id });
      expect(res.status).toBe(200);
      expectPaging(res, 1, 1, 100, 8);
      expect(res.body).toEqual([
        unitBody(u.alpha, { depth: 1, path: [u.root.id] }),
        unitBody(u.alpha1, { depth: 2, path: [u.root.id, u.alpha.id] }),
        unitBody(u.alpha1x, { depth: 3, path: [u.root.id, u.alpha.id, u.alpha1.id] }),
        unitBody(u.alpha2, { depth: 2, path: [u.root.id, u.alpha.id] }),
        unitBody(u.beta, { depth: 1, path: [u.root.id] }),
        unitBody(u.beta1, { depth: 2, path: [u.root.id, u.beta.id] }),
        unitBody(u.sameFirst, { depth: 1, path: [u.root.id] }),
        unitBody(u.sameSecond, { depth: 1, path: [u.root.id] }),
      ]);
    });

    it('counts depth and path from the given unit, not from the root', async () => {
      const u = await tree();
      const res = await descendants({ org_unit_id: hexId(u.alpha.id) });
      expect(res.status).toBe(200);
      expect(res.body).toEqual([
        unitBody(u.alpha1, { depth: 1, path: [u.alpha.id] }),
        unitBody(u.alpha1x, { depth: 2, path: [u.alpha.id, u.alpha1.id] }),
        unitBody(u.alpha2, { depth: 1, path: [u.alpha.id] }),
      ]);
    });

    it('stops at depth levels: 1 is the children only', async () => {
      const u = await tree();
      const children = await descendants({ org_unit_id: u.root.id, depth: 1 });
      expect(children.status).toBe(200);
      expectPaging(children, 1, 1, 100, 4);
      expect((children.body as { org_unit_id: string }[]).map((r) => r.org_unit_id)).toEqual([
        u.alpha.id,
        u.beta.id,
        u.sameFirst.id,
        u.sameSecond.id,
      ]);
      const two = await descendants({ org_unit_id: u.root.id, depth: 2 });
      expect((two.body as { name: string }[]).map((r) => r.name)).toEqual([
        'Alpha',
        'Alpha 1',
        'Alpha 2',
        'Beta',
        'Beta 1',
        'Same',
        'Same',
      ]);
    });

    it('pages in the same order, with the pagination headers; a page past the end is empty', async () => {
      const u = await tree();
      const second = await descendants({ org_unit_id: u.root.id, 'per-page': 3, page: 2 });
      expect(second.status).toBe(200);
      expectPaging(second, 2, 3, 3, 8);
      expect(second.body).toEqual([
        unitBody(u.alpha2, { depth: 2, path: [u.root.id, u.alpha.id] }),
        unitBody(u.beta, { depth: 1, path: [u.root.id] }),
        unitBody(u.beta1, { depth: 2, path: [u.root.id, u.beta.id] }),
      ]);
      const past = await descendants({ org_unit_id: u.root.id, 'per-page': 3, page: 9 });
      expect(past.status).toBe(200);
      expectPaging(past, 9, 3, 3, 8);
      expect(past.body).toEqual([]);
    });

    it('filters the rows, keeping each row its depth and path in the whole subtree', async () => {
      const u = await tree();
      const res = await descendants({ org_unit_id: u.root.id, filter: { name: 'ALPHA 1' } });
      expect(res.status).toBe(200);
      expectPaging(res, 1, 1, 100, 2);
      expect(res.body).toEqual([
        unitBody(u.alpha1, { depth: 2, path: [u.root.id, u.alpha.id] }),
        unitBody(u.alpha1x, { depth: 3, path: [u.root.id, u.alpha.id, u.alpha1.id] }),
      ]);
      const children = await descendants({ org_unit_id: u.root.id, filter: { parent_org_unit_id: u.alpha.id } });
      expect((children.body as { org_unit_id: string }[]).map((r) => r.org_unit_id)).toEqual([u.alpha1.id, u.alpha2.id]);
    });

    it('hides a historicized unit with its subtree unless history is true', async () => {
      const u = await tree();
      expect((await historicize('org-unit', u.alpha1.id)).status).toBe(200);
      const hidden = await descendants({ org_unit_id: u.alpha.id });
      expect(hidden.status).toBe(200);
      expectPaging(hidden, 1, 1, 100, 1);
      expect(hidden.body).toEqual([unitBody(u.alpha2, { depth: 1, path: [u.alpha.id] })]);
      const shown = await descendants({ org_unit_id: u.alpha.id, history: true });
      expect(shown.body).toEqual([
        unitBody(u.alpha1, { depth: 1, path: [u.alpha.id], owned_active: false, valid_to: ISO }),
        unitBody(u.alpha1x, { depth: 2, path: [u.alpha.id, u.alpha1.id], parent_active: false }),
        unitBody(u.alpha2, { depth: 1, path: [u.alpha.id] }),
      ]);
      const ended = await descendants({ org_unit_id: u.alpha.id, history: true, filter: { owned_active: false } });
      expect((ended.body as { org_unit_id: string }[]).map((r) => r.org_unit_id)).toEqual([u.alpha1.id]);
    });

    it('answers an empty page for a leaf and 404 for an unknown unit', async () => {
      const u = await tree();
      const leaf = await descendants({ org_unit_id: u.beta1.id });
      expect(leaf.status).toBe(200);
      expectPaging(leaf, 1, 0, 100, 0);
      expect(leaf.body).toEqual([]);
      const missing = await descendants({ org_unit_id: MISSING_ID });
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual(problem(404, 'not-found'));
    });

    it('refuses a bad body with a 400 naming the field', async () => {
      expectInvalid(await descendants({}), ['org_unit_id']);
      expectInvalid(await t.http().post(`${BASE}/descendants`).set(read).send([]), ['org_unit_id']);
      expectInvalid(await descendants({ org_unit_id: 'nope' }), ['org_unit_id']);
      expectInvalid(await descendants({ org_unit_id: MISSING_ID, depth: 0 }), ['depth']);
      expectInvalid(await descendants({ org_unit_id: MISSING_ID, depth: 1001 }), ['depth']);
      expectInvalid(await descendants({ org_unit_id: MISSING_ID, depth: '2' }), ['depth']);
      expectInvalid(await descendants({ org_unit_id: MISSING_ID, 'per-page': 1001 }), ['per-page']);
      expectInvalid(await descendants({ org_unit_id: MISSING_ID, page: 0 }), ['page']);
      expectInvalid(await descendants({ org_unit_id: MISSING_ID, with_counts: 'yes' }), ['with_counts']);
      expectInvalid(await descendants({ org_unit_id: MISSING_ID, history: 1 }), ['history']);
      expectInvalid(await descendants({ org_unit_id: MISSING_ID, filter: { colour: 'red' } }), ['filter.colour']);
      expectInvalid(await descendants({ org_unit_id: MISSING_ID, filter: 'x' }), ['filter']);
      expectInvalid(await descendants({ org_unit_id: MISSING_ID, sort: 'name' }), ['sort']);
    });
  });

  describe('head counts (with_counts)', () => {
    /**
     * Root
     * ├─ A: p1 twice (two roles)                         head 1
     * │  ├─ A1: p1, p2                                   head 2
     * │  └─ A2 (historicized): p3                        not counted anywhere
     * └─ B: p4 (assignment ended), p5 (person ended), p6 (role ended), p7 (assignment not yet started)
     */
    async function counted() {
      const root = await unit('Root', null);
      const a = await unit('A', root);
      const a1 = await unit('A1', a);
      const a2 = await unit('A2', a);
      const b = await unit('B', root);
      const [r1, r2, ended] = [await f.role(), await f.role(), await f.role()];
      const p = [];
      for (let i = 1; i <= 7; i++) p.push(await f.person({ email: `p${i}@example.com` }));
      await f.assignment({ person_id: p[0], org_unit_id: a.id, org_role_id: r1 });
      await f.assignment({ person_id: p[0], org_unit_id: a.id, org_role_id: r2 });
      await f.assignment({ person_id: p[0], org_unit_id: a1.id });
      await f.assignment({ person_id: p[1], org_unit_id: a1.id });
      await f.assignment({ person_id: p[2], org_unit_id: a2.id });
      const p4 = await f.assignment({ person_id: p[3], org_unit_id: b.id });
      await f.assignment({ person_id: p[4], org_unit_id: b.id });
      await f.assignment({ person_id: p[5], org_unit_id: b.id, org_role_id: ended });
      await f.assignment({ person_id: p[6], org_unit_id: b.id, valid_from: '2999-01-01T00:00:00.000Z' });
      expect((await historicize('org-unit', a2.id)).status).toBe(200);
      expect((await historicize('org-person', p4)).status).toBe(200);
      expect((await historicize('org-role', ended)).status).toBe(200);
      expect((await t.http().delete('/api/v2/data/people/p5@example.com?historicize=true').set(write)).status).toBe(204);
      return { root, a, a1, a2, b };
    }
    const counts = (head: number, total: number) => ({ head_count: head, total_head_count: total });

    it('counts distinct persons with an active assignment, in the unit and in its active subtree', async () => {
      const u = await counted();
      const res = await descendants({ org_unit_id: u.root.id, with_counts: true });
      expect(res.status).toBe(200);
      expectPaging(res, 1, 1, 100, 3);
      expect(res.body).toEqual([
        unitBody(u.a, { depth: 1, path: [u.root.id], ...counts(1, 2) }),
        unitBody(u.a1, { depth: 2, path: [u.root.id, u.a.id], ...counts(2, 2) }),
        unitBody(u.b, { depth: 1, path: [u.root.id], ...counts(0, 0) }),
      ]);
      const withHistory = await descendants({ org_unit_id: u.a.id, with_counts: true, history: true });
      expect(withHistory.body).toEqual([
        unitBody(u.a1, { depth: 1, path: [u.a.id], ...counts(2, 2) }),
        unitBody(u.a2, { depth: 1, path: [u.a.id], owned_active: false, valid_to: ISO, ...counts(0, 0) }),
      ]);
    });

    it('counts on the ancestors with ?with_counts=true, and not without it', async () => {
      const u = await counted();
      const res = await ancestors(u.a1.id, '?with_counts=true');
      expect(res.status).toBe(200);
      expect(res.body).toEqual([unitBody(u.root, { depth: 0, ...counts(0, 2) }), unitBody(u.a, { depth: 1, ...counts(1, 2) })]);
      const plain = await ancestors(u.a1.id, '?with_counts=false');
      expect(plain.body).toEqual([unitBody(u.root, { depth: 0 }), unitBody(u.a, { depth: 1 })]);
    });

    it('counts on the org-unit view with ?with_counts=true and on the index with with_counts: true', async () => {
      const u = await counted();
      for (const flag of ['true', '1']) {
        const view = await t.http().get(`${BASE}/view/${u.a.id}?with_counts=${flag}`).set(read);
        expect(view.status).toBe(200);
        expect(view.body).toEqual(unitBody(u.a, counts(1, 2)));
      }
      const byQuery = await t
        .http()
        .get(`${BASE}/view?id=${hexId(u.root.id)}&with_counts=true`)
        .set(read);
      expect(byQuery.body).toEqual(unitBody(u.root, counts(0, 2)));
      const ended = await t.http().get(`${BASE}/view/${u.a2.id}?with_counts=true`).set(read);
      expect(ended.body).toEqual(unitBody(u.a2, { owned_active: false, valid_to: ISO, ...counts(0, 0) }));
      const plain = await t.http().get(`${BASE}/view/${u.a.id}`).set(read);
      expect(plain.body).toEqual(unitBody(u.a));
      expectInvalid(await t.http().get(`${BASE}/view/${u.a.id}?with_counts=maybe`).set(read), ['with_counts']);

      const index = await t.http().post(`${BASE}/index`).set(read).send({ with_counts: true, sort: 'name' });
      expect(index.status).toBe(200);
      expectPaging(index, 1, 1, 100, 4);
      expect(index.body).toEqual([
        unitBody(u.a, counts(1, 2)),
        unitBody(u.a1, counts(2, 2)),
        unitBody(u.b, counts(0, 0)),
        unitBody(u.root, counts(0, 2)),
      ]);
      const without = await t.http().post(`${BASE}/index`).set(read).send({ sort: 'name', 'per-page': 1 });
      expect(without.body).toEqual([unitBody(u.a)]);
      expectInvalid(await t.http().post(`${BASE}/index`).set(read).send({ with_counts: 'true' }), ['with_counts']);
    });

    it('counts a page of units each over its whole subtree, also beyond the depth asked for', async () => {
      const u = await counted();
      const res = await descendants({ org_unit_id: u.root.id, with_counts: true, depth: 1, 'per-page': 1 });
      expect(res.status).toBe(200);
      expectPaging(res, 1, 2, 1, 2);
      expect(res.body).toEqual([unitBody(u.a, { depth: 1, path: [u.root.id], ...counts(1, 2) })]);
    });
  });
});
