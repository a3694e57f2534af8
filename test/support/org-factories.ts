import type { Response } from 'supertest';
import { bearer, type TestApp } from './test-app.js';

/** The four tables of the data model, as `tableCounts` reports them. */
export interface TableCounts {
  person: number;
  org_unit: number;
  org_role: number;
  org_person: number;
}

/** Empties the data tables and their history (not the tokens) between tests. */
export const truncateOrgTables = (t: TestApp) =>
  t.sql(
    'truncate org_person, org_unit, org_role, person, org_person_history, org_unit_history, org_role_history, person_history, reporting_line_history cascade',
  );

/** Row count of every data table: the "nothing changed" check of refused writes and deletes. */
export async function tableCounts(t: TestApp): Promise<TableCounts> {
  const [row] = await t.sql<TableCounts>(
    `select (select count(*)::int from person) as person, (select count(*)::int from org_unit) as org_unit,
            (select count(*)::int from org_role) as org_role, (select count(*)::int from org_person) as org_person`,
  );
  return row;
}

/** Sorted distinct `field`s of a validation problem's errors. */
export function errorFields(res: Response): string[] {
  const errors = (res.body as { errors?: { field: string }[] }).errors ?? [];
  return [...new Set(errors.map((e) => e.field))].sort();
}

/** Orders related-entity items so a refused delete's listing can be compared independently of its order. */
export function byTypeAndId<T extends { type: string; id: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => (a.type === b.type ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.type < b.type ? -1 : 1));
}

export interface OrgFactories {
  /** Creates a person through the Opsera API; returns its id. */
  person(overrides?: Record<string, unknown>): Promise<string>;
  /** Creates an org unit; returns its org_unit_id. */
  unit(overrides?: Record<string, unknown>): Promise<string>;
  /** Creates an org role; returns its org_role_id. */
  role(overrides?: Record<string, unknown>): Promise<string>;
  /** Creates an assignment of a person to a unit (optionally with a role); returns its org_person_id. */
  assignment(body: { person_id: string; org_unit_id: string; org_role_id?: string | null } & Record<string, unknown>): Promise<string>;
}

/**
 * Small helpers that create entities through the real API with a Power User token, so the test data
 * goes through the same validation as a client's. Any answer other than 201 fails the test at once.
 */
export function orgFactories(t: TestApp): OrgFactories {
  let sequence = 0;
  const next = () => ++sequence;
  const auth = () => bearer(t.tokens.powerUser);

  const created = (res: Response, what: string, idField: string): string => {
    if (res.status !== 201) throw new Error(`creating ${what} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return (res.body as Record<string, string>)[idField];
  };

  return {
    async person(overrides = {}) {
      const n = next();
      const body = { email: `person${n}@example.com`, firstName: `First${n}`, lastName: `Last${n}`, ...overrides };
      return created(await t.http().post('/api/v2/data/people').set(auth()).send(body), 'a person', 'id');
    },
    async unit(overrides = {}) {
      const body = { name: `Unit ${next()}`, ...overrides };
      return created(await t.http().post('/v2/org-unit/create').set(auth()).send(body), 'an org unit', 'org_unit_id');
    },
    async role(overrides = {}) {
      const body = { name: `Role ${next()}`, ...overrides };
      return created(await t.http().post('/v2/org-role/create').set(auth()).send(body), 'an org role', 'org_role_id');
    },
    async assignment(body) {
      return created(await t.http().post('/v2/org-person/create').set(auth()).send(body), 'an assignment', 'org_person_id');
    },
  };
}

/** 32 hex digits, upper case, without dashes: the other id form the API accepts. */
export function hexId(id: string): string {
  return id.replace(/-/g, '').toUpperCase();
}
