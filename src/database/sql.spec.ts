import { recordedAt } from './sql.js';

describe('recordedAt (as_of reads, contract section 10.2)', () => {
  const at = new Date('2026-01-31T00:00:00.000Z');

  it('reads every recorded table as of the instant, bound as one more parameter', () => {
    const compiled = {
      sql: `with rows as (select a.id from org_person a join person pe on pe.id = a.person_id
        left join org_role r on r.id = a.org_role_id where a.org_unit_id not in (select id from org_unit where x = $1))
        select p.* from person p, person r where r.id = $2`,
      parameters: ['x', 'id'],
    };
    expect(recordedAt(compiled, at)).toEqual({
      sql: `with rows as (select a.id from org_person_as_of($3::timestamptz) a join person_as_of($3::timestamptz) pe on pe.id = a.person_id
        left join org_role_as_of($3::timestamptz) r on r.id = a.org_role_id where a.org_unit_id not in (select id from org_unit_as_of($3::timestamptz) where x = $1))
        select p.* from person_as_of($3::timestamptz) p, person_as_of($3::timestamptz) r where r.id = $2`,
      parameters: ['x', 'id', at],
    });
  });

  it('leaves columns, aliases and other tables alone', () => {
    const sql = 'select a.person_id, person.id, org_unit_id from api_token t join org_person_unit r on true, personx y';
    expect(() => recordedAt({ sql, parameters: [] }, at)).toThrow('An as_of read must read at least one recorded table.');
    const joined = recordedAt({ sql: `${sql} join org_unit u on u.id = a.org_unit_id`, parameters: [] }, at);
    expect(joined.sql).toBe(`${sql} join org_unit_as_of($1::timestamptz) u on u.id = a.org_unit_id`);
  });

  it('leaves a table named with only (the live rows themselves) and the history tables alone', () => {
    const sql = `select (select count(*) from only person p join person_history h on h.id = p.id), x.* from person x`;
    expect(recordedAt({ sql, parameters: [] }, at).sql).toBe(
      `select (select count(*) from only person p join person_history h on h.id = p.id), x.* from person_as_of($1::timestamptz) x`,
    );
  });
});
