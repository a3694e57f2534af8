import type { Response } from 'supertest';
import { bearer, createTestApp, problem, type TestApp } from '../support/test-app.js';

const PEOPLE = '/api/v2/data/people';
const HEADERS = ['x-pagination-current-page', 'x-pagination-page-count', 'x-pagination-per-page', 'x-pagination-total-count'];

/** The `rel="next"` target of a Link header, or undefined. */
function nextOf(res: Response): string | undefined {
  return /<([^>]+)>; rel="next"/.exec(String(res.headers['link']))?.[1];
}
const headersOf = (res: Response) => Object.fromEntries(HEADERS.map((h) => [h, res.headers[h]]));

/**
 * Issue 10, point 4: the people list's `Link: rel=next` carries a keyset cursor; the page it leads to
 * is the same page, with the same X-Pagination-* headers (its page number included), as `page=N`.
 */
describe('People list keyset cursors (Link rel=next)', () => {
  let t: TestApp;
  let auth: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp();
    auth = bearer(t.tokens.powerUser);
    // Ties on lastName and firstName, nulls in displayName and validFrom, one person not active.
    const people = [
      ['a', 'Zed', 'Ann', null, null],
      ['b', 'Zed', 'Ann', 'B', '2020-01-01T00:00:00Z'],
      ['c', 'Young', 'Bob', 'C', null],
      ['d', 'Young', 'Cid', null, '2021-06-01T00:00:00Z'],
      ['e', 'Xu', 'Dee', 'E', '2019-03-01T00:00:00Z'],
      ['f', 'Xu', 'Eve', 'F', null],
      ['g', 'Wu', 'Fay', null, '2022-01-01T00:00:00Z'],
    ] as const;
    for (const [key, lastName, firstName, displayName, validFrom] of people) {
      const res = await t
        .http()
        .post(PEOPLE)
        .set(auth)
        .send({ email: `${key}@example.com`, lastName, firstName, displayName, validFrom });
      expect(res.status).toBe(201);
    }
    const old = await t
      .http()
      .post(PEOPLE)
      .set(auth)
      .send({ email: 'old@example.com', lastName: 'Old', firstName: 'O', validTo: '2021-01-01T00:00:00Z' });
    expect(old.status).toBe(201);
  });
  afterAll(() => t.close());

  it.each([
    ['the default order', ''],
    ['lastName', '&sort=lastName'],
    ['lastName then descending firstName', '&sort=lastName,-firstName'],
    ['displayName (nulls last)', '&sort=displayName'],
    ['descending validFrom (nulls first)', '&sort=-validFrom'],
    ['history and a search', '&history=true&q=e'],
  ])('following next by %s gives every page exactly as page=N does', async (_label, params) => {
    const all = await t.http().get(`${PEOPLE}?per-page=100${params}`).set(auth);
    expect(all.status).toBe(200);
    const seen: string[] = [];
    let res = await t.http().get(`${PEOPLE}?per-page=2${params}`).set(auth);
    for (let n = 1; ; n++) {
      expect(res.status).toBe(200);
      const byNumber = await t.http().get(`${PEOPLE}?per-page=2${params}&page=${n}`).set(auth);
      expect(res.body).toEqual(byNumber.body);
      expect(headersOf(res)).toEqual({ ...headersOf(byNumber), 'x-pagination-current-page': String(n) });
      seen.push(...(res.body.data as { email: string }[]).map((p) => p.email));
      const next = nextOf(res);
      if (!next) break;
      expect(next).toMatch(new RegExp(`[?&]page=${n + 1}(&|$)`));
      expect(next).toMatch(/[?&]cursor=[A-Za-z0-9_-]+(&|$)/);
      res = await t.http().get(next).set(auth);
    }
    expect(seen).toEqual((all.body.data as { email: string }[]).map((p) => p.email));
    expect(seen.length).toBe(Number(all.headers['x-pagination-total-count']));
  });

  it('keeps the prev, first and last links by page number, without the cursor', async () => {
    const first = await t.http().get(`${PEOPLE}?per-page=2`).set(auth);
    const second = await t.http().get(nextOf(first)!).set(auth);
    const link = String(second.headers['link']);
    expect(link).toContain(`<${PEOPLE}?per-page=2&page=1>; rel="first"`);
    expect(link).toContain(`<${PEOPLE}?per-page=2&page=1>; rel="prev"`);
    expect(link).toContain(`<${PEOPLE}?per-page=2&page=4>; rel="last"`);
    expect(nextOf(second)).toMatch(/^\/api\/v2\/data\/people\?per-page=2&page=3&cursor=[A-Za-z0-9_-]+$/);
  });

  it('reads the rows after the cursor (a keyset): a row inserted before it does not shift the next page', async () => {
    const first = await t.http().get(`${PEOPLE}?per-page=2&sort=lastName`).set(auth);
    const before = await t.http().get(`${PEOPLE}?per-page=2&sort=lastName&page=2`).set(auth);
    await t.http().post(PEOPLE).set(auth).send({ email: 'early@example.com', lastName: 'Aab', firstName: 'Early' }).expect(201);
    const keyed = await t.http().get(nextOf(first)!).set(auth);
    const shifted = await t.http().get(`${PEOPLE}?per-page=2&sort=lastName&page=2`).set(auth);
    expect(keyed.body.data).toEqual(before.body.data);
    expect(shifted.body.data).not.toEqual(before.body.data);
    expect(keyed.headers['x-pagination-total-count']).toBe(shifted.headers['x-pagination-total-count']);
    await t.sql("delete from person where email = 'early@example.com'");
  });

  it('answers a page whose reference row was deleted by its number (the offset)', async () => {
    await t.http().post(PEOPLE).set(auth).send({ email: 'gone@example.com', lastName: 'Aaa', firstName: 'Gone' }).expect(201);
    const first = await t.http().get(`${PEOPLE}?per-page=2&sort=lastName`).set(auth);
    expect(first.body.data[0].email).toBe('gone@example.com');
    const next = nextOf(first)!;
    // The cursor's reference row is the last of page 1.
    expect(first.body.data[1].email).toBe('g@example.com');
    await t.sql("delete from person where email = 'g@example.com'");
    const res = await t.http().get(next).set(auth);
    const byNumber = await t.http().get(`${PEOPLE}?per-page=2&sort=lastName&page=2`).set(auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(byNumber.body);
    expect(headersOf(res)).toEqual(headersOf(byNumber));
  });

  it('refuses a tampered cursor, one of another list, and a page that contradicts it (400 naming the field)', async () => {
    const first = await t.http().get(`${PEOPLE}?per-page=1&sort=lastName`).set(auth);
    const cursor = new URLSearchParams(nextOf(first)!.split('?')[1]).get('cursor')!;
    const cases: [string, string][] = [
      [`${PEOPLE}?per-page=1&sort=lastName&cursor=not-a-cursor`, 'cursor'],
      [`${PEOPLE}?per-page=1&sort=lastName&cursor=${Buffer.from('[2,"x","y"]').toString('base64url')}`, 'cursor'],
      [`${PEOPLE}?per-page=1&sort=firstName&cursor=${cursor}`, 'cursor'],
      [`${PEOPLE}?per-page=2&sort=lastName&cursor=${cursor}`, 'cursor'],
      [`${PEOPLE}?per-page=1&sort=lastName&page=5&cursor=${cursor}`, 'page'],
    ];
    for (const [url, field] of cases) {
      const res = await t.http().get(url).set(auth);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(problem(400, 'validation-error', { errors: [{ field, message: expect.any(String) }] }));
    }
    expect((await t.http().get(`${PEOPLE}?per-page=1&sort=lastName&page=2&cursor=${cursor}`).set(auth)).status).toBe(200);
  });
});
