import fc from 'fast-check';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, type CompiledQuery } from 'kysely';
import { ScimError } from '../common/errors/scim-error.js';
import { filterSql, MAX_COMPARISONS, MAX_FILTER_LENGTH } from './scim-filter.sql.js';
import { USER_ATTRIBUTES } from './scim-users.repository.js';

/** Compiles statements as PostgreSQL would get them, without a database. */
const compiler = new Kysely<unknown>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/**
 * Milliseconds of CPU this thread spent since `started`: how long a parse held the event loop (the
 * bound on hostile inputs: no request holds it for more than 100 ms), not the wall clock, which other
 * processes on a loaded machine stretch.
 */
function cpuMs(started: NodeJS.CpuUsage): number {
  const used = process.threadCpuUsage(started);
  return (used.user + used.system) / 1000;
}

/** The SQL text and parameters of a compiled filter. */
function compiled(filter: string): CompiledQuery {
  return filterSql(filter, USER_ATTRIBUTES).compile(compiler);
}

function refusal(filter: string): unknown {
  try {
    compiled(filter);
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('SCIM filters to SQL (contract section 13.4)', () => {
  it('binds every value and writes only allow-listed SQL text', () => {
    const { sql, parameters } = compiled('userName eq "x\' or 1=1 --" and (name.givenName sw "A%_" or not (active eq false))');
    expect(sql).toBe(
      "((lower(email) = lower($1::text)) and ((lower(first_name) like lower($2::text) escape '\\') or (not coalesce((" +
        '((valid_from is null or valid_from <= now()) and (valid_to is null or valid_to > now())) = $3), false))))',
    );
    expect(parameters).toEqual(["x' or 1=1 --", 'A\\%\\_%', false]);
  });

  it('reads attribute names and operators in any case, URN-qualified names, value paths and the Entra form', () => {
    expect(compiled('USERNAME EQ "a"').sql).toBe('(lower(email) = lower($1::text))');
    expect(compiled('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a"').sql).toBe('(lower(email) = lower($1::text))');
    expect(compiled('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "a"').sql).toBe(
      '(lower(department) = lower($1::text))',
    );
    expect(compiled('emails[type eq "work"].value eq "a"').sql).toBe(
      "((lower('work') = lower($1::text)) and (lower(email) = lower($2::text)))",
    );
    expect(compiled('externalId eq "A"').sql).toBe('(external_id = $1::text)');
    expect(compiled('id eq "2819C2237F76453A919D413861904646"').parameters).toEqual(['2819c223-7f76-453a-919d-413861904646']);
    expect(compiled('id eq "nope"').sql).toBe('false');
  });

  it('answers anything else with invalidFilter, fast, whatever the input (fuzz)', () => {
    const alphabet = fc.constantFrom(...'()[]"\\ .:,=!<>-_%aAeEqQnNoOrRtTuUsSpPlL0123456789'.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: alphabet, maxLength: 200 })), (filter) => {
        const started = process.threadCpuUsage();
        const error = refusal(filter);
        const held = cpuMs(started);
        expect(error === undefined || (error instanceof ScimError && error.scimType === 'invalidFilter')).toBe(true);
        expect(held).toBeLessThan(100);
      }),
      { seed: 1401, numRuns: 2000 },
    );
  });

  it('refuses the oversized: length, comparisons, nesting', () => {
    for (const filter of [
      `userName eq "${'x'.repeat(MAX_FILTER_LENGTH)}"`,
      Array.from({ length: MAX_COMPARISONS + 1 }, () => 'active eq true').join(' and '),
      `${'('.repeat(33)}active eq true${')'.repeat(33)}`,
      `${'('.repeat(2000)}active eq true${')'.repeat(2000)}`,
    ]) {
      const started = process.threadCpuUsage();
      const error = refusal(filter);
      const held = cpuMs(started);
      expect(error).toEqual(expect.objectContaining({ status: 400, scimType: 'invalidFilter' }));
      expect(held).toBeLessThan(100);
    }
  });
});
