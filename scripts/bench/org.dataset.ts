import { encodeCursor, END_OF_TRANSACTION } from '../../src/changes/change-cursor.js';
import { externalIdDigits, PEOPLE, people } from './people.dataset.js';
import type { Dataset, Sql } from './types.js';

/**
 * The org chart: units in one tree per project, roles, and assignments of the bench people.
 *
 * Five projects of 1,000 units each. Every project is one tree, 6 levels deep (the root at depth 0,
 * leaves at depth 5), with the level sizes of UNITS_PER_LEVEL: 3 divisions, 4 departments per
 * division, 5 sections per department, 4 teams per section, then about 3 sub-teams per team. Every
 * unit has ASSIGNMENTS_PER_UNIT assignments. The last project is the delete target: the force-delete
 * measurement deletes its whole tree (its root is a top-level unit) and rebuilds it with
 * {@link rebuildDeleteBranch} before each run, so the rest of the dataset is never reseeded for it.
 */
export const ORG_PROJECTS = 5;
/** Units per level of each project's tree, root first; they add up to UNITS_PER_PROJECT. */
const UNITS_PER_LEVEL = [1, 3, 12, 60, 240, 684] as const;
export const UNITS_PER_PROJECT = UNITS_PER_LEVEL.reduce((a, b) => a + b, 0);
export const ORG_UNITS = ORG_PROJECTS * UNITS_PER_PROJECT;
export const ASSIGNMENTS_PER_UNIT = 60;
export const ORG_ASSIGNMENTS = ORG_UNITS * ASSIGNMENTS_PER_UNIT;
export const ORG_ROLES = 50;
/** The project whose tree the delete measurement destroys and rebuilds. */
export const DELETE_PROJECT = ORG_PROJECTS;

const LEVEL_NAMES = ['Company', 'Division', 'Department', 'Section', 'Team', 'Squad'] as const;

/** A fixed, recognizable project id per bench project (valid v4 shape). */
export function benchProjectId(project: number): string {
  return `0b0e0000-0000-4000-8000-${String(project).padStart(12, '0')}`;
}

export interface OrgFixtures {
  /** Active units with active assignments, outside the delete target. */
  readonly unitsWithAssignments: readonly string[];
  /** Active units with active children, outside the delete target. */
  readonly unitsWithChildren: readonly string[];
  /** The roots of the projects (1,000-unit trees), outside the delete target. */
  readonly projectRoots: readonly string[];
  /**
   * A change-feed cursor just after the last seeding transaction (the last one with more than 10,000
   * events): the feed after it is the small transactions of the write operations (this run's and
   * earlier runs').
   */
  readonly changesAfterSeed: string;
}

/**
 * Fills the temporary table bench_org_unit_map with one row per unit of `projects`: project p, level
 * l, index j within the level, k (1..UNITS_PER_PROJECT within the project), g (0-based over every
 * project, fixing the unit's assignments), a fresh random id and its parent's id. The parent of unit
 * j on level l is unit floor(j * size(l - 1) / size(l)) on level l - 1, so siblings are spread evenly.
 */
function unitMapSql(projects: readonly number[]): string[] {
  const levels = UNITS_PER_LEVEL.map((size, l) => {
    const offset = UNITS_PER_LEVEL.slice(0, l).reduce((a, b) => a + b, 0);
    return `(${l}, ${size}, ${l === 0 ? 0 : UNITS_PER_LEVEL[l - 1]}, ${offset})`;
  }).join(', ');
  return [
    'drop table if exists bench_org_unit_map',
    `create temporary table bench_org_unit_map on commit drop as
       select p, lv.l, j, lv.prev_size, lv.size, lv.offset_ + j + 1 as k, (p - 1) * ${UNITS_PER_PROJECT} + lv.offset_ + j as g,
              gen_random_uuid() as id, null::uuid as parent_id
         from unnest(array[${projects.join(', ')}]::int[]) as p
        cross join (values ${levels}) as lv(l, size, prev_size, offset_)
        cross join lateral generate_series(0, lv.size - 1) as j`,
    `update bench_org_unit_map m set parent_id = pm.id
       from bench_org_unit_map pm
      where m.l > 0 and pm.p = m.p and pm.l = m.l - 1 and pm.j = (m.j * m.prev_size) / m.size`,
  ];
}

/**
 * The units of the map. About 1% of the leaves (j % 97 = 13) ended 30 days ago (historicized); half
 * of the others have a valid_from in the past, the rest are unbounded.
 */
const INSERT_UNITS = `
  insert into org_unit (id, code, name, description, parent_id, project_id, valid_from, valid_to, created_at, updated_at)
  select m.id,
    'U' || m.p || '-' || lpad(m.k::text, 4, '0'),
    (array[${LEVEL_NAMES.map((n) => `'${n}'`).join(', ')}])[m.l + 1] || ' ' || m.p || '.' || m.k,
    case when m.k % 10 = 0 then 'Bench unit ' || m.k || ' of project ' || m.p end,
    m.parent_id,
    ('0b0e0000-0000-4000-8000-' || lpad(m.p::text, 12, '0'))::uuid,
    case
      when m.l = ${UNITS_PER_LEVEL.length - 1} and m.j % 97 = 13 then now() - interval '400 days'
      when m.k % 2 = 0 then now() - make_interval(days => 10 + m.k % 1500)
    end,
    case when m.l = ${UNITS_PER_LEVEL.length - 1} and m.j % 97 = 13 then now() - interval '30 days' end,
    now() - make_interval(days => m.k % 1000),
    now() - make_interval(days => m.k % 1000)
  from bench_org_unit_map m`;

/**
 * ASSIGNMENTS_PER_UNIT assignments per unit of the map. Assignment x = g * ASSIGNMENTS_PER_UNIT + s
 * (s = 0..ASSIGNMENTS_PER_UNIT - 1) goes to person n = 1 + (x * 7919) mod PEOPLE (external id
 * E-<n>): 7919 is prime to PEOPLE, so the people of one unit are all different and every person gets
 * ORG_ASSIGNMENTS / PEOPLE assignments in different units; the partial unique index on open
 * (person, unit, role) holds whatever the roles. From md5(x): 10% without a role, the others one of
 * the ORG_ROLES roles; 4% (x % 25 = 7) historicized 1 to 700 days ago; 60% of the others with a
 * valid_from in the past, the rest unbounded.
 */
const insertAssignments = () => `
  with slots as (
    select m.id as unit_id, x, md5('organigram-bench-org-person-' || x) as h
      from bench_org_unit_map m
     cross join lateral generate_series(m.g * ${ASSIGNMENTS_PER_UNIT}, m.g * ${ASSIGNMENTS_PER_UNIT} + ${ASSIGNMENTS_PER_UNIT - 1}) as x
  ),
  numbered as (
    select unit_id, x,
      1 + (x::bigint * 7919) % ${PEOPLE} as person_n,
      ('x' || substr(h, 1, 8))::bit(32)::bigint / 4294967296.0 as u1,
      ('x' || substr(h, 9, 8))::bit(32)::bigint / 4294967296.0 as u2
    from slots
  ),
  dated as (
    select n.*, case when n.x % 25 = 7 then now() - make_interval(days => 1 + (n.x % 700)::int) end as valid_to
      from numbered n
  )
  insert into org_person (id, person_id, org_unit_id, org_role_id, valid_from, valid_to, created_at, updated_at)
  select gen_random_uuid(), pe.id, d.unit_id, r.id,
    case
      when d.valid_to is not null then d.valid_to - make_interval(days => 30 + (d.x % 900)::int)
      when d.u2 < 0.6 then now() - make_interval(days => 1 + floor(d.u2 * 5000)::int)
    end,
    d.valid_to,
    now() - make_interval(days => (d.x % 1000)::int),
    now() - make_interval(days => (d.x % 1000)::int)
  from dated d
    join person pe on pe.external_id = 'E-' || lpad(d.person_n::text, ${externalIdDigits()}, '0')
    left join org_role r on d.u1 >= 0.1 and r.project_id is null
      and r.code = 'BR' || lpad((1 + floor((d.u1 - 0.1) / 0.9 * ${ORG_ROLES}))::int::text, 2, '0')`;

/** ORG_ROLES roles without a project (codes BR01...), 2 of them historicized. */
const INSERT_ROLES = `
  insert into org_role (id, code, name, description, project_id, valid_from, valid_to, created_at, updated_at)
  select gen_random_uuid(), 'BR' || lpad(n::text, 2, '0'), 'Bench role ' || n, null, null,
    case when n % 25 = 0 then now() - interval '800 days' end,
    case when n % 25 = 0 then now() - interval '100 days' end,
    now(), now()
  from generate_series(1, ${ORG_ROLES}) as n`;

async function insertProjects(sql: Sql, projects: readonly number[]): Promise<void> {
  for (const statement of unitMapSql(projects)) await sql(statement);
  await sql(INSERT_UNITS);
  await sql(insertAssignments());
}

/** What {@link rebuildDeleteBranch} made. */
export interface DeleteBranch {
  readonly rootId: string;
  readonly unitIds: readonly string[];
  readonly assignments: number;
}

/**
 * In the caller's transaction: deletes whatever is left of the delete target's tree (project
 * DELETE_PROJECT) and writes it again, UNITS_PER_PROJECT units under one top-level root with
 * ASSIGNMENTS_PER_UNIT assignments each, exactly as the seed does (new random ids).
 */
export async function rebuildDeleteBranch(sql: Sql): Promise<DeleteBranch> {
  const project = benchProjectId(DELETE_PROJECT);
  await sql('delete from org_person where org_unit_id in (select id from org_unit where project_id = ?)', [project]);
  await sql('delete from org_unit where project_id = ?', [project]);
  await insertProjects(sql, [DELETE_PROJECT]);
  const units = await sql<{ id: string; root: boolean }>('select id, parent_id is null as root from bench_org_unit_map');
  const [counted] = await sql<{ n: number }>(
    'select count(*)::int as n from org_person where org_unit_id in (select id from bench_org_unit_map)',
  );
  const root = units.find((u) => u.root);
  if (!root) throw new Error('the delete target has no root');
  return { rootId: root.id, unitIds: units.map((u) => u.id), assignments: counted?.n ?? 0 };
}

interface Counts {
  units: number;
  bench_units: number;
  roles: number;
  assignments: number;
  delete_units: number;
}

export const org: Dataset<OrgFixtures> = {
  name: 'org',
  description:
    `${ORG_UNITS.toLocaleString('en-US')} org units (${ORG_PROJECTS} projects, one tree of ${UNITS_PER_PROJECT.toLocaleString('en-US')} ` +
    `each, ${UNITS_PER_LEVEL.length} levels), ${ORG_ROLES} roles, ${ORG_ASSIGNMENTS.toLocaleString('en-US')} assignments ` +
    `(${ASSIGNMENTS_PER_UNIT} per unit, 10% without role, 4% historicized)`,
  dependsOn: [people],

  async isSeeded(sql: Sql): Promise<boolean> {
    const [c] = await sql<Counts>(
      `select (select count(*)::int from org_unit) as units,
              (select count(*)::int from org_unit where code like 'U%-%' and project_id::text like '0b0e0000-0000-4000-8000-%') as bench_units,
              (select count(*)::int from org_role where code like 'BR%') as roles,
              (select count(*)::int from org_person) as assignments,
              (select count(*)::int from org_unit where project_id = ?) as delete_units`,
      [benchProjectId(DELETE_PROJECT)],
    );
    return (
      c !== undefined &&
      c.units === ORG_UNITS &&
      c.bench_units === ORG_UNITS &&
      c.roles === ORG_ROLES &&
      c.assignments === ORG_ASSIGNMENTS &&
      c.delete_units === UNITS_PER_PROJECT
    );
  },

  async seed(sql: Sql): Promise<void> {
    await sql('truncate org_person, org_unit, org_role');
    await sql(INSERT_ROLES);
    await insertProjects(
      sql,
      Array.from({ length: ORG_PROJECTS }, (_, i) => i + 1),
    );
  },

  async count(sql: Sql): Promise<number> {
    const [row] = await sql<{ n: number }>(
      'select (select count(*) from org_unit) + (select count(*) from org_role) + (select count(*) from org_person) as n',
    );
    return Number(row?.n ?? 0);
  },

  async fixtures(sql: Sql): Promise<OrgFixtures> {
    const project = benchProjectId(DELETE_PROJECT);
    // Active here means: the unit's own period is current and it is not under a historicized unit
    // (only leaves are historicized, so the first condition covers both).
    const active = `(u.valid_to is null or u.valid_to > now())`;
    const withAssignments = await sql<{ id: string }>(
      `select u.id from org_unit u
        where u.project_id is distinct from ? and ${active}
          and exists (select 1 from org_person a where a.org_unit_id = u.id and (a.valid_to is null or a.valid_to > now()))
        order by u.id`,
      [project],
    );
    const withChildren = await sql<{ id: string }>(
      `select u.id from org_unit u
        where u.project_id is distinct from ? and ${active}
          and exists (select 1 from org_unit c where c.parent_id = u.id and (c.valid_to is null or c.valid_to > now()))
        order by u.id`,
      [project],
    );
    const roots = await sql<{ id: string }>(
      `select u.id from org_unit u where u.parent_id is null and u.project_id::text like '0b0e0000-0000-4000-8000-%' and u.project_id <> ? order by u.project_id`,
      [project],
    );
    if (withAssignments.length === 0 || withChildren.length === 0 || roots.length === 0)
      throw new Error('the org dataset has no units to draw from');
    const [seedEnd] = await sql<{ position: string }>(
      `select coalesce(max(t.position), 0)::text as position from change_tx t
        where t.position is not null and (select count(*) from change_event e where e.xid = t.xid) > 10000`,
    );
    return {
      unitsWithAssignments: withAssignments.map((r) => r.id),
      unitsWithChildren: withChildren.map((r) => r.id),
      projectRoots: roots.map((r) => r.id),
      changesAfterSeed: encodeCursor({ position: BigInt(seedEnd?.position ?? '0'), seq: END_OF_TRANSACTION }),
    };
  },
};
