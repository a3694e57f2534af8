import { MikroORM, RequestContext } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { PersonRepository } from '../../src/people/person.repository.js';
import type { SortTerm } from '../../src/common/pagination/sort.js';
import type { PersonSortField } from '../../src/people/dto/person.dto.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { instant } from '../support/as-of.js';
import { SideConnection } from '../support/side-connection.js';

/**
 * The reads of people whose statements take several shapes, against the plain statement that says
 * what the answer is, over one seeded world and an instant in its past:
 * - the reports of a manager (contract section 11) in both of the repository's shapes (a range of at
 *   most 5,000 read into a CTE, a larger one walked) and both clocks (now, and as recorded at the
 *   instant, whose large shape counts the inactive reports from the live rows corrected by the history);
 * - the people list, whose count as of an instant is the count of now corrected by the history, and
 *   whose page as of an instant is read from the live rows and the past versions apart.
 * The plain statement joins, filters, sorts, counts and cuts, over `<table>_as_of(t)` for an instant.
 */
describe('reads of people on PostgreSQL against the plain statement', () => {
  let t: TestApp;
  let orm: MikroORM;
  let people: PersonRepository;
  /** The seeding's own session, without the application's statement timeout (6,000 inserts with their reporting lines take seconds, and many more on a busy CI machine). */
  let seed: SideConnection;
  const inContext = <T>(work: () => Promise<T>) => RequestContext.create(orm.em, work);

  beforeAll(async () => {
    t = await createTestApp();
    orm = t.app.get(MikroORM);
    people = t.app.get(PersonRepository);
    seed = SideConnection.open(t);
  });
  afterAll(async () => {
    await seed.close();
    await t.close();
  });

  const PAST = '2020-01-01T00:00:00.000Z';
  const FUTURE = '2090-01-01T00:00:00.000Z';

  async function addPeople(rows: { id: string; manager: string | null; validFrom?: string; validTo?: string }[]) {
    await seed.sql(
      `insert into person (id, email, first_name, last_name, manager_id, valid_from, valid_to, created_at, updated_at)
       select r.id, r.id || '@example.com', 'F', 'L' || (abs(hashtext(r.id::text)) % 97), r.manager, r.valid_from, r.valid_to, now(), now()
         from jsonb_to_recordset(?::jsonb) as r(id uuid, manager uuid, valid_from timestamptz, valid_to timestamptz)`,
      [JSON.stringify(rows.map((r) => ({ id: r.id, manager: r.manager, valid_from: r.validFrom ?? null, valid_to: r.validTo ?? null })))],
    );
  }

  /** The answer as the contract defines it: every report's row, filtered, sorted and cut by one plain statement. */
  async function expected(
    manager: string,
    o: { maxDepth?: number; history: boolean; at: Date; asOf?: Date },
    order: string,
    page: { page: number; perPage: number },
  ) {
    const table = (name: string) => (o.asOf ? `${name}_as_of(?::timestamptz)` : name);
    const params = (o.asOf ? [o.asOf, o.asOf] : []) as unknown[];
    const where = `r.ancestor_id = ? and r.depth between 1 and ? ${o.history ? '' : 'and (p.valid_from is null or p.valid_from <= ?) and (p.valid_to is null or p.valid_to > ?)'}`;
    const values = [...params, manager, o.maxDepth ?? 1_000_000, ...(o.history ? [] : [o.at, o.at])];
    const from = `${table('reporting_line')} r join ${table('person')} p on p.id = r.person_id where ${where}`;
    const [{ n }] = await t.sql<{ n: number }>(`select count(*)::int as n from ${from}`, values);
    const rows = await t.sql<{ id: string; depth: number }>(`select p.id, r.depth from ${from} order by ${order}, p.id limit ? offset ?`, [
      ...values,
      page.perPage,
      (page.page - 1) * page.perPage,
    ]);
    return { total: n, items: rows.map((r) => [r.id, r.depth]) };
  }

  let top: string;
  let heads: string[];
  let then: Date;
  let now: Date;

  // A top manager over 60 heads over 6,000 staff (some ended, some not yet started), an instant, then
  // renames, ends, deletes, new people under the top and a head moved under another.
  beforeAll(async () => {
    await seed.sql('truncate person, person_history, reporting_line_history cascade');
    top = randomUUID();
    heads = Array.from({ length: 60 }, () => randomUUID());
    const staff = Array.from({ length: 6000 }, (_, i) => ({
      id: randomUUID(),
      manager: heads[i % heads.length],
      validTo: i % 31 === 0 ? PAST : undefined,
      validFrom: i % 47 === 0 && i % 31 !== 0 ? FUTURE : undefined,
    }));
    await addPeople([{ id: top, manager: null }]);
    await addPeople(heads.map((id) => ({ id, manager: top })));
    await addPeople(staff);
    then = new Date(await instant());

    // After the instant: renamed (sorts differently), ended, deleted, new under the top, a head moved under another.
    await seed.sql(
      `update person set last_name = 'Z' || last_name where id = any(array(select jsonb_array_elements_text(?::jsonb)::uuid))`,
      [JSON.stringify(staff.filter((_, i) => i % 13 === 0).map((s) => s.id))],
    );
    await seed.sql(
      `update person set valid_to = ? where id = any(array(select jsonb_array_elements_text(?::jsonb)::uuid)) and valid_from is null`,
      [PAST, JSON.stringify(staff.filter((_, i) => i % 17 === 0).map((s) => s.id))],
    );
    await seed.sql('delete from person where id = any(array(select jsonb_array_elements_text(?::jsonb)::uuid))', [
      JSON.stringify(staff.slice(1, 6).map((s) => s.id)),
    ]);
    await addPeople(Array.from({ length: 50 }, () => ({ id: randomUUID(), manager: top })));
    await seed.sql('update person set manager_id = ? where id = ?', [heads[1], heads[0]]);
    now = new Date(await instant());
    expect(await seed.sql('select count(*)::int as n from reporting_line where ancestor_id = ? and depth >= 1', [top])).toEqual([
      { n: 6105 },
    ]);
  }, 60_000);

  const sorts: [SortTerm<PersonSortField>[], string][] = [
    [[], 'p.id asc'],
    [[{ field: 'lastName', direction: 'desc' }], 'p.last_name desc nulls first'],
  ];
  const pages = [
    { page: 1, perPage: 100 },
    { page: 20, perPage: 300 },
  ];

  it('answers exactly the plain join, for a large and a small range, now and as of an instant, with and without history', async () => {
    for (const manager of [top, heads[1]]) {
      for (const clock of [{ at: now }, { at: then, asOf: then }]) {
        for (const history of [false, true]) {
          for (const maxDepth of [undefined, 1]) {
            for (const [sort, order] of sorts) {
              for (const page of pages) {
                const options = { ...clock, history, maxDepth };
                const answer = await inContext(() => people.reports(manager, options, sort, page));
                const got = {
                  total: answer.total,
                  items: answer.items.map((item) => [item.id, (item as unknown as { depth: number }).depth]),
                };
                const label = {
                  manager: manager === top ? 'top' : 'head',
                  asOf: clock.asOf !== undefined,
                  history,
                  maxDepth,
                  sort: order,
                  page: page.page,
                };
                expect({ ...label, ...got }).toEqual({ ...label, ...(await expected(manager, options, order, page)) });
              }
            }
          }
        }
      }
    }
  }, 120_000);

  it('the people list answers exactly the plain statement, now and as of an instant, with and without history', async () => {
    for (const clock of [{ at: now }, { at: then, asOf: then }]) {
      for (const history of [false, true]) {
        for (const [sort, order] of sorts) {
          for (const page of pages) {
            const answer = await inContext(() => people.list({ history, at: clock.at }, sort, page, undefined, clock.asOf));
            const table = clock.asOf ? 'person_as_of(?::timestamptz)' : 'person';
            const params = clock.asOf ? [clock.asOf] : [];
            const where = history ? '' : 'where (p.valid_from is null or p.valid_from <= ?) and (p.valid_to is null or p.valid_to > ?)';
            const values = [...params, ...(history ? [] : [clock.at, clock.at])];
            const [{ n }] = await t.sql<{ n: number }>(`select count(*)::int as n from ${table} p ${where}`, values);
            const rows = await t.sql<{ id: string }>(`select p.id from ${table} p ${where} order by ${order}, p.id limit ? offset ?`, [
              ...values,
              page.perPage,
              (page.page - 1) * page.perPage,
            ]);
            const label = { asOf: clock.asOf !== undefined, history, sort: order, page: page.page };
            expect({ ...label, total: answer.total, items: answer.items.map((item) => item.id) }).toEqual({
              ...label,
              total: n,
              items: rows.map((r) => r.id),
            });
          }
        }
      }
    }
  }, 60_000);
});
