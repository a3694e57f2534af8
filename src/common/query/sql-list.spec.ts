import { countedPage } from './sql-list.js';

/** A fake statement runner: answers each statement with the next prepared result and records it. */
function runner(...results: object[][]) {
  const statements: { query: string; params: readonly unknown[] }[] = [];
  const run = (query: string, params: readonly unknown[]) => {
    statements.push({ query, params });
    return Promise.resolve(results.shift() ?? []);
  };
  return { run, statements };
}

const statement = { withClause: 'with x as (select 1)', from: 'rows where a = ?', order: 'id asc' };

describe('countedPage', () => {
  it('reads the total from the page itself: one statement, the count column removed from the rows', async () => {
    const { run, statements } = runner([
      { id: 'a', total_rows: 7 },
      { id: 'b', total_rows: 7 },
    ]);
    expect(await countedPage(run, statement, ['p'], { limit: 2, offset: 4 })).toEqual({ items: [{ id: 'a' }, { id: 'b' }], total: 7 });
    expect(statements).toEqual([
      {
        query:
          'with x as (select 1) select *, (count(*) over ())::int as total_rows from rows where a = ? order by id asc limit ? offset ?',
        params: ['p', 2, 4],
      },
    ]);
  });

  it('counts exactly, in a second statement, only for a page past the end', async () => {
    const { run, statements } = runner([], [{ total: 5 }]);
    expect(await countedPage(run, statement, ['p'], { limit: 10, offset: 100 })).toEqual({ items: [], total: 5 });
    expect(statements[1]).toEqual({ query: 'with x as (select 1) select count(*)::int as total from rows where a = ?', params: ['p'] });
  });

  it('needs no count for an empty first page', async () => {
    const { run, statements } = runner([]);
    expect(await countedPage(run, statement, [], { limit: 10, offset: 0 })).toEqual({ items: [], total: 0 });
    expect(statements).toHaveLength(1);
  });
});
