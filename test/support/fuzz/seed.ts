import type { TestApp } from '../test-app.js';

/**
 * The small fixed dataset every fuzz file starts from (and returns to after a request changed it), so
 * that updates, deletes and historicizes have real targets, and refused deletes have real related rows:
 *
 *   unit root (project P) ── unit child ── unit grandchild          unit leaf (nothing related), unit old (ended)
 *   role mgr, role spare (nothing related), role old (ended)
 *   person one: child/mgr, root/mgr (ended)   person two: grandchild/no role   person lonely   person old (ended)
 *   reporting lines: two and old report to one
 */
export const SEED = {
  project: '55555555-5555-4555-8555-555555555501',
  person: {
    one: '11111111-1111-4111-8111-111111111101',
    two: '11111111-1111-4111-8111-111111111102',
    lonely: '11111111-1111-4111-8111-111111111103',
    old: '11111111-1111-4111-8111-111111111104',
  },
  email: {
    one: 'seed.one@example.com',
    two: 'Seed.Two@Example.com',
    lonely: 'seed+lonely@example.org',
    old: 'seed.old@example.com',
  },
  unit: {
    root: '22222222-2222-4222-8222-222222222201',
    child: '22222222-2222-4222-8222-222222222202',
    grandchild: '22222222-2222-4222-8222-222222222203',
    leaf: '22222222-2222-4222-8222-222222222204',
    old: '22222222-2222-4222-8222-222222222205',
  },
  role: {
    mgr: '33333333-3333-4333-8333-333333333301',
    spare: '33333333-3333-4333-8333-333333333302',
    old: '33333333-3333-4333-8333-333333333303',
  },
  assignment: {
    oneInChild: '44444444-4444-4444-8444-444444444401',
    twoInGrandchild: '44444444-4444-4444-8444-444444444402',
    oneInRootEnded: '44444444-4444-4444-8444-444444444403',
  },
} as const;

export const SEED_IDS = {
  person: Object.values(SEED.person),
  'org-unit': Object.values(SEED.unit),
  'org-role': Object.values(SEED.role),
  'org-person': Object.values(SEED.assignment),
} as const;

export const SEED_EMAILS: readonly string[] = Object.values(SEED.email);
export const SEED_CODES = ['ROOT', 'CHILD', 'GRAND', 'LEAF', 'OLD', 'MGR', 'SPARE'] as const;

const P = SEED.person;
const U = SEED.unit;
const R = SEED.role;
const A = SEED.assignment;
const E = SEED.email;
const ENDED = `'2020-01-01T00:00:00.000Z', '2021-01-01T00:00:00.000Z'`;

const RESEED_SQL = `
truncate org_person, org_unit, org_role, person cascade;
insert into person (id, email, first_name, last_name, display_name, department, valid_from, valid_to) values
  ('${P.one}', '${E.one}', 'Seed', 'One', 'Seed One', 'Platform', null, null),
  ('${P.two}', '${E.two}', 'Seed', 'Two', null, null, null, null),
  ('${P.lonely}', '${E.lonely}', 'Lonely', 'Seed', null, null, null, null),
  ('${P.old}', '${E.old}', 'Old', 'Seed', null, null, ${ENDED});
insert into org_unit (id, code, name, description, parent_id, project_id, valid_from, valid_to) values
  ('${U.root}', 'ROOT', 'Root unit', 'the top', null, '${SEED.project}', null, null),
  ('${U.child}', 'CHILD', 'Child unit', null, '${U.root}', '${SEED.project}', null, null),
  ('${U.grandchild}', 'GRAND', 'Grandchild unit', null, '${U.child}', '${SEED.project}', null, null),
  ('${U.leaf}', 'LEAF', 'Leaf unit', null, null, null, null, null),
  ('${U.old}', 'OLD', 'Old unit', null, null, null, ${ENDED});
insert into org_role (id, code, name, description, project_id, valid_from, valid_to) values
  ('${R.mgr}', 'MGR', 'Manager', 'leads', '${SEED.project}', null, null),
  ('${R.spare}', 'SPARE', 'Spare role', null, null, null, null),
  ('${R.old}', 'OLD', 'Old role', null, null, ${ENDED});
insert into org_person (id, person_id, org_unit_id, org_role_id, valid_from, valid_to) values
  ('${A.oneInChild}', '${P.one}', '${U.child}', '${R.mgr}', null, null),
  ('${A.twoInGrandchild}', '${P.two}', '${U.grandchild}', null, null, null),
  ('${A.oneInRootEnded}', '${P.one}', '${U.root}', '${R.mgr}', ${ENDED});
update person set manager_id = '${P.one}' where id in ('${P.two}', '${P.old}');
`;

/** Empties the four data tables and writes the fixed dataset (tokens are left alone). */
export async function reseed(t: TestApp): Promise<void> {
  await t.sql(RESEED_SQL);
}

/** Counts and content digests of every table: equal before and after means "nothing was written". */
export interface TableState {
  counts: Record<string, number>;
  digests: Record<string, string>;
}

// api_token.last_used_at is coarse bookkeeping written by authentication itself (contract section 7),
// not a write of the request: it is left out of the token digest, every other column is in.
const STATE_SQL = `select
  (select count(*)::int from person) as person_count,
  (select count(*)::int from org_unit) as org_unit_count,
  (select count(*)::int from org_role) as org_role_count,
  (select count(*)::int from org_person) as org_person_count,
  (select count(*)::int from api_token) as api_token_count,
  (select coalesce(md5(string_agg(t::text, '|' order by t.id)), '') from person t) as person_digest,
  (select coalesce(md5(string_agg(t::text, '|' order by t.id)), '') from org_unit t) as org_unit_digest,
  (select coalesce(md5(string_agg(t::text, '|' order by t.id)), '') from org_role t) as org_role_digest,
  (select coalesce(md5(string_agg(t::text, '|' order by t.id)), '') from org_person t) as org_person_digest,
  (select coalesce(md5(string_agg(concat_ws(',', t.id, t.name, t.role, t.scopes::text, t.token_hash, t.created_at, t.expires_at, t.revoked_at), '|' order by t.id)), '')
     from api_token t) as api_token_digest`;

export const STATE_TABLES = ['person', 'org_unit', 'org_role', 'org_person', 'api_token'] as const;

export async function tableState(t: TestApp): Promise<TableState> {
  const [row] = await t.sql<Record<string, string | number>>(STATE_SQL);
  const counts: Record<string, number> = {};
  const digests: Record<string, string> = {};
  for (const table of STATE_TABLES) {
    counts[table] = Number(row[`${table}_count`]);
    digests[table] = String(row[`${table}_digest`]);
  }
  return { counts, digests };
}

/** What changed between two states, one line per table; empty when nothing did. */
export function stateChanges(before: TableState, after: TableState): string[] {
  const out: string[] = [];
  for (const table of STATE_TABLES) {
    if (before.counts[table] !== after.counts[table]) out.push(`${table}: ${before.counts[table]} -> ${after.counts[table]} rows`);
    else if (before.digests[table] !== after.digests[table]) out.push(`${table}: same row count, contents changed`);
  }
  return out;
}
