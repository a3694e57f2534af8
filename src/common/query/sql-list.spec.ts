import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql, type RawBuilder } from 'kysely';
import { compileFilters, countedPage, whereSql } from './sql-list.js';

/** Compiles statements as PostgreSQL would get them, without a database. */
const compiler = new Kysely<unknown>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/** A fake statement runner: answers with the prepared rows and records the compiled statement. */
function runner(rows: object[]) {
  const statements: { query: string; params: readonly unknown[] }[] = [];
  const run = (statement: RawBuilder<object>) => {
    const compiled = statement.compile(compiler);
    statements.push({ query: compiled.sql.replace(/\s+/g, ' '), params: compiled.parameters });
    return Promise.resolve(rows);
  };
  return { run, statements };
}

const statement = (w: unknown, p: unknown) => ({
  withClause: sql`with x as (select ${w})`,
  from: sql`rows where a = ${p}`,
  order: 'id asc',
  id: 'id',
});

describe('countedPage', () => {
  it('asks for the count and the page in one statement, the filter parameters once for each', async () => {
    const { run, statements } = runner([
      { total_rows: 7, id: 'a' },
      { total_rows: 7, id: 'b' },
    ]);
    expect(await countedPage(run, statement('w', 'p'), { limit: 2, offset: 4 })).toEqual({
      items: [{ id: 'a' }, { id: 'b' }],
      total: 7,
    });
    expect(statements).toEqual([
      {
        query:
          'with x as (select $1) select counted.total_rows, page.* from (select count(*)::int as total_rows from rows where a = $2) counted ' +
          'left join lateral (select * from rows where a = $3 order by id asc limit $4 offset $5) page on true order by id asc',
        params: ['w', 'p', 'p', 2, 4],
      },
    ]);
  });

  it('takes the total from a given expression instead of counting the relation', async () => {
    const { run, statements } = runner([{ total_rows: 3, id: 'a' }]);
    const counted = { ...statement('w', 'p'), total: sql`(select count(*) from idx where k = ${'k'}) - 1` };
    expect(await countedPage(run, counted, { limit: 1, offset: 0 })).toEqual({ items: [{ id: 'a' }], total: 3 });
    expect(statements).toEqual([
      {
        query:
          'with x as (select $1) select counted.total_rows, page.* from (select ((select count(*) from idx where k = $2) - 1)::int as total_rows) counted ' +
          'left join lateral (select * from rows where a = $3 order by id asc limit $4 offset $5) page on true order by id asc',
        params: ['w', 'k', 'p', 1, 0],
      },
    ]);
  });

  it('reads the exact total from the row of nulls of a page past the end', async () => {
    const { run, statements } = runner([{ total_rows: 5, id: null }]);
    expect(await countedPage(run, statement('w', 'p'), { limit: 10, offset: 100 })).toEqual({ items: [], total: 5 });
    expect(statements).toHaveLength(1);
  });
});

describe('compileFilters', () => {
  it('binds every client value and interpolates only the allow-listed columns', () => {
    const clauses = compileFilters(
      { code: "x' or '1'='1", name: 'a%b', parent: null, active: true },
      {
        code: { kind: 'eq', sql: 'code' },
        name: { kind: 'contains-ci', sql: 'name' },
        parent: { kind: 'eq-nullable', sql: 'parent_id' },
        active: { kind: 'bool', sql: 'owned_active' },
      },
    );
    const compiled = sql`select * from rows ${whereSql(clauses)}`.compile(compiler);
    expect(compiled.sql).toBe('select * from rows where code = $1 and name ilike $2 and parent_id is null and (owned_active) = $3');
    expect(compiled.parameters).toEqual(["x' or '1'='1", '%a\\%b%', true]);
  });
});
