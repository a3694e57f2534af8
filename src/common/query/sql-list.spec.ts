import { countedPage } from './sql-list.js';

/** A fake statement runner: answers with the prepared rows and records the statement. */
function runner(rows: object[]) {
  const statements: { query: string; params: readonly unknown[] }[] = [];
  const run = (query: string, params: readonly unknown[]) => {
    statements.push({ query: query.replace(/\s+/g, ' '), params });
    return Promise.resolve(rows);
  };
  return { run, statements };
}

const statement = { withClause: 'with x as (select ?)', from: 'rows where a = ?', order: 'id asc', id: 'id' };

describe('countedPage', () => {
  it('asks for the count and the page in one statement, the filter parameters once for each', async () => {
    const { run, statements } = runner([
      { total_rows: 7, id: 'a' },
      { total_rows: 7, id: 'b' },
    ]);
    expect(await countedPage(run, statement, { withClause: ['w'], from: ['p'] }, { limit: 2, offset: 4 })).toEqual({
      items: [{ id: 'a' }, { id: 'b' }],
      total: 7,
    });
    expect(statements).toEqual([
      {
        query:
          'with x as (select ?) select counted.total_rows, page.* from (select count(*)::int as total_rows from rows where a = ?) counted ' +
          'left join lateral (select * from rows where a = ? order by id asc limit ? offset ?) page on true order by id asc',
        params: ['w', 'p', 'p', 2, 4],
      },
    ]);
  });

  it('reads the exact total from the row of nulls of a page past the end', async () => {
    const { run, statements } = runner([{ total_rows: 5, id: null }]);
    expect(await countedPage(run, statement, { withClause: [], from: [] }, { limit: 10, offset: 100 })).toEqual({ items: [], total: 5 });
    expect(statements).toHaveLength(1);
  });
});
