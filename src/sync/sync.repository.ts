import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { sql, type RawBuilder } from 'kysely';
import { rows } from '../database/sql.js';
import type { SyncMode, SyncStatus } from './dto/sync.dto.js';
import type { AssignmentRow, PersonRow, RoleRow, UnitRow } from './sync-input.js';

/** A row of sync_job as the service reads it. */
export interface SyncJobRow {
  id: string;
  status: SyncStatus;
  mode: SyncMode;
  dry_run: boolean;
  max_changes: number;
  project_id: string | null;
  sections: string[];
  actor: { tokenId: string | null; tokenName: string | null; role: string | null };
  request_id: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  progress_total: number;
  progress_done: number;
  summary: { create: number; update: number; historicize: number; unchanged: number; invalid: number };
}

export interface SyncErrorRow {
  section: string;
  index: number | null;
  field: string | null;
  message: string;
}

export interface SyncChangeRow {
  entity: string;
  key: string;
  op: string;
  changed: string[];
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** The advisory lock key of a job (one runner at a time). */
const jobLockKey = (id: string) => sql`hashtextextended(${`sync:${id}`}, 0)`;

const ts = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** [API name, person column] of the optional person fields (absent: unchanged). */
const PERSON_OPTIONAL = [
  ['displayName', 'display_name'],
  ['externalId', 'external_id'],
  ['organization', 'organization'],
  ['business', 'business'],
  ['department', 'department'],
  ['group', 'group_name'],
  ['team', 'team'],
  // Resolved from the row's managerEmail (a stored person or one the job creates).
  ['managerEmail', 'manager_id'],
  ['validFrom', 'valid_from'],
  ['validTo', 'valid_to'],
] as const;
const PERSON_REQUIRED = [
  ['email', 'email'],
  ['firstName', 'first_name'],
  ['lastName', 'last_name'],
] as const;
const PERSON_FIELDS = [...PERSON_REQUIRED, ...PERSON_OPTIONAL];

/**
 * The email of the manager `managerId`: with `job` (an expression of the job id), the email the job
 * gives that person (created or updated by it), else the stored one.
 */
const managerEmailOf = (managerId: string, job?: string) => {
  const stored = `(select m.email from person m where m.id = ${managerId})`;
  return job
    ? `coalesce((select o.email from sync_person o where o.target_id = ${managerId} and o.job_id = ${job} limit 1), ${stored})`
    : stored;
};

/** The person `p` (or the new values `n` of the job `job`, an expression of its id) in the Opsera dialect, as jsonb. */
function personJson(alias: string, id: string, job?: string): string {
  const parts = PERSON_FIELDS.map(([api, column]) =>
    column.startsWith('valid_')
      ? `'${api}', ${ts(`${alias}.${column}`)}`
      : api === 'managerEmail'
        ? `'managerId', ${alias}.manager_id, 'managerEmail', ${managerEmailOf(`${alias}.manager_id`, job)}`
        : `'${api}', ${alias}.${column}`,
  );
  return `jsonb_build_object('id', ${id}, ${parts.join(', ')})`;
}

/** The value a staged person row `s` gives `column` of the stored person `p`. */
const personNew = (api: string, column: string, required: boolean) =>
  required ? `s.${column}` : `case when '${api}' = any(s.present) then s.${column} else p.${column} end`;

/** Column list of the new values of person: `... as email, ... as first_name, ...`. */
const PERSON_NEW_SELECT = PERSON_FIELDS.map(
  ([api, column]) =>
    `${personNew(
      api,
      column,
      PERSON_REQUIRED.some(([a]) => a === api),
    )} as ${column}`,
).join(', ');
const PERSON_CHANGED = `array_remove(array[${PERSON_FIELDS.map(([api, column]) => `case when n.${column} is distinct from p.${column} then '${api}' end`).join(', ')}], null)`;

const UNIT_FIELDS = [
  ['name', 'name', true],
  ['description', 'description', false],
  ['parent_org_unit_id', 'parent_id', false],
  ['valid_from', 'valid_from', false],
  ['valid_to', 'valid_to', false],
] as const;
const ROLE_FIELDS = UNIT_FIELDS.filter(([api]) => api !== 'parent_org_unit_id');
/** The `present` name of a unit or role field. */
const presentName = (api: string) => (api === 'parent_org_unit_id' ? 'parent_code' : api);

function unitJson(alias: string, id: string, withParent: boolean): string {
  const parts = [`'org_unit_id', ${id}`, `'code', ${alias}.code`, `'name', ${alias}.name`, `'description', ${alias}.description`];
  if (withParent) parts.push(`'parent_org_unit_id', ${alias}.parent_id`);
  parts.push(`'project_id', ${alias}.project_id`, `'valid_from', ${ts(`${alias}.valid_from`)}`, `'valid_to', ${ts(`${alias}.valid_to`)}`);
  if (!withParent) parts[0] = `'org_role_id', ${id}`;
  return `jsonb_build_object(${parts.join(', ')})`;
}

const ORG_PERSON_JSON = (alias: string) =>
  `jsonb_build_object('org_person_id', ${alias}.id, 'person_id', ${alias}.person_id, 'org_unit_id', ${alias}.org_unit_id, 'org_role_id', ${alias}.org_role_id, 'valid_from', ${ts(`${alias}.valid_from`)}, 'valid_to', ${ts(`${alias}.valid_to`)})`;

/**
 * Every statement of bulk sync: the job rows, the staging tables filled with multi-row inserts
 * (one `unnest` of arrays per batch), and the plan and apply in set-based SQL on the staged rows.
 * Column and field names come from the fixed lists above through `sql.raw`; values are parameters.
 */
@Injectable()
export class SyncRepository {
  constructor(private readonly em: EntityManager) {}

  private run<T>(statement: RawBuilder<T>): Promise<T[]> {
    return rows(this.em, statement);
  }

  async insertJob(job: {
    id: string;
    mode: SyncMode;
    dryRun: boolean;
    maxChanges: number;
    projectId: string | null;
    actor: SyncJobRow['actor'];
    requestId: string;
  }): Promise<void> {
    await this.run(sql`
      insert into sync_job (id, status, mode, dry_run, max_changes, project_id, actor, request_id)
      values (${job.id}, 'queued', ${job.mode}, ${job.dryRun}, ${job.maxChanges}, ${job.projectId}, ${JSON.stringify(job.actor)}::jsonb, ${job.requestId})`);
  }

  async finishIngest(
    id: string,
    options: { mode: SyncMode; dryRun: boolean; maxChanges: number; projectId: string | null },
    sections: string[],
    total: number,
    invalid: number,
  ): Promise<void> {
    await this.run(sql`
      update sync_job set mode = ${options.mode}, dry_run = ${options.dryRun}, max_changes = ${options.maxChanges},
        project_id = ${options.projectId}, sections = ${sections}::text[], progress_total = ${total},
        summary = jsonb_set(summary, '{invalid}', to_jsonb(${invalid}::int))
      where id = ${id}`);
  }

  async find(id: string): Promise<SyncJobRow | undefined> {
    const [row] = await this.run(sql<SyncJobRow>`
      select id, status, mode, dry_run, max_changes, project_id, sections, actor, request_id,
        ${sql.raw(ts('created_at'))} as created_at, ${sql.raw(ts('started_at'))} as started_at, ${sql.raw(ts('finished_at'))} as finished_at,
        progress_total, progress_done, summary
      from sync_job where id = ${id}`);
    return row;
  }

  async errors(id: string, limit: number): Promise<SyncErrorRow[]> {
    return this.run(sql<SyncErrorRow>`
      select section, idx as index, field, message from sync_error where job_id = ${id}
      order by case section when 'job' then 0 when 'csv' then 1 when 'people' then 2 when 'org_units' then 3 when 'org_roles' then 4 else 5 end, idx, seq
      limit ${limit}`);
  }

  async insertErrors(id: string, errors: SyncErrorRow[]): Promise<void> {
    if (errors.length === 0) return;
    await this.run(sql`
      insert into sync_error (job_id, section, idx, field, message)
      select ${id}, * from unnest(${errors.map((e) => e.section)}::text[], ${errors.map((e) => e.index)}::int[],
        ${errors.map((e) => e.field)}::text[], ${errors.map((e) => e.message.slice(0, 500))}::text[])`);
  }

  async countInvalidRows(id: string): Promise<number> {
    const [row] = await this.run(sql<{ n: number }>`
      select count(*)::int as n from (select distinct section, idx from sync_error where job_id = ${id} and section <> 'job') e`);
    return row.n;
  }

  async changes(id: string, offset: number, limit: number): Promise<{ items: SyncChangeRow[]; total: number }> {
    const [count] = await this.run(sql<{ n: number }>`select count(*)::int as n from sync_change where job_id = ${id}`);
    const items = await this.run(sql<SyncChangeRow>`
      select entity, key, op, changed, before, after from sync_change where job_id = ${id} order by seq limit ${limit} offset ${offset}`);
    return { items, total: count.n };
  }

  async stagePeople(id: string, batch: { index: number; row: PersonRow }[]): Promise<void> {
    if (batch.length === 0) return;
    const col = <T>(f: (r: PersonRow) => T) => batch.map((b) => f(b.row));
    await this.run(sql`
      insert into sync_person (job_id, idx, present, email, first_name, last_name, display_name, external_id, organization,
        business, department, group_name, team, manager_email, valid_from, valid_to)
      select ${id}, idx, string_to_array(present, ','), email, first_name, last_name, display_name, external_id, organization,
        business, department, group_name, team, manager_email, valid_from, valid_to
      from unnest(${batch.map((b) => b.index)}::int[], ${col((r) => r.present.join(','))}::text[], ${col((r) => r.email)}::text[],
        ${col((r) => r.firstName)}::text[], ${col((r) => r.lastName)}::text[], ${col((r) => r.displayName)}::text[],
        ${col((r) => r.externalId)}::text[], ${col((r) => r.organization)}::text[], ${col((r) => r.business)}::text[],
        ${col((r) => r.department)}::text[], ${col((r) => r.group)}::text[], ${col((r) => r.team)}::text[],
        ${col((r) => r.managerEmail)}::text[], ${col((r) => iso(r.validFrom))}::timestamptz[], ${col((r) => iso(r.validTo))}::timestamptz[])
        as t(idx, present, email, first_name, last_name, display_name, external_id, organization, business, department, group_name, team,
          manager_email, valid_from, valid_to)`);
  }

  async stageUnits(id: string, table: 'sync_unit' | 'sync_role', batch: { index: number; row: UnitRow | RoleRow }[]): Promise<void> {
    if (batch.length === 0) return;
    const col = <T>(f: (r: UnitRow) => T) => batch.map((b) => f(b.row as UnitRow));
    const parent = table === 'sync_unit' ? sql`, parent_code` : sql``;
    const parentValues = table === 'sync_unit' ? sql`, ${col((r) => r.parent_code)}::text[]` : sql``;
    await this.run(sql`
      insert into ${sql.table(table)} (job_id, idx, present, code, name, description, valid_from, valid_to ${parent})
      select ${id}, t.idx, string_to_array(t.present, ','), t.code, t.name, t.description, t.valid_from, t.valid_to ${parent}
      from unnest(${batch.map((b) => b.index)}::int[], ${col((r) => r.present.join(','))}::text[], ${col((r) => r.code)}::text[],
        ${col((r) => r.name)}::text[], ${col((r) => r.description)}::text[], ${col((r) => iso(r.valid_from))}::timestamptz[],
        ${col((r) => iso(r.valid_to))}::timestamptz[] ${parentValues}) as t(idx, present, code, name, description, valid_from, valid_to ${parent})`);
  }

  async stageAssignments(id: string, batch: { index: number; row: AssignmentRow }[]): Promise<void> {
    if (batch.length === 0) return;
    await this.run(sql`
      insert into sync_assignment (job_id, idx, person_email, org_unit_code, org_role_code)
      select ${id}, t.* from unnest(${batch.map((b) => b.index)}::int[], ${batch.map((b) => b.row.person_email)}::text[],
        ${batch.map((b) => b.row.org_unit_code)}::text[], ${batch.map((b) => b.row.org_role_code)}::text[]) as t`);
  }

  /**
   * Marks the job running (one more attempt) unless it has finished or another runner holds it (its
   * advisory lock is taken: a redelivery while the first runner works); undefined then. The lock
   * taken here ends with this statement: {@link tryLockJob} takes it again for the job's transaction.
   */
  async claim(id: string): Promise<SyncJobRow | undefined> {
    const [row] = await this.run(sql<{ id: string }>`
      update sync_job set status = 'running', started_at = coalesce(started_at, now()), attempts = attempts + 1, progress_done = 0
      where id = ${id} and status in ('queued', 'running') and pg_try_advisory_xact_lock(${jobLockKey(id)}) returning id`);
    return row ? this.find(id) : undefined;
  }

  /** One runner per job across instances: a transaction-scoped advisory lock on the job id. */
  async tryLockJob(id: string): Promise<boolean> {
    const [row] = await this.run(sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${jobLockKey(id)}) as locked`);
    return row.locked;
  }

  async status(id: string): Promise<SyncStatus | undefined> {
    const [row] = await this.run(sql<{ status: SyncStatus }>`select status from sync_job where id = ${id}`);
    return row?.status;
  }

  /** Long statements and waits for the table locks are expected here: bounded generously, per transaction. */
  async setJobTimeouts(statementMs: number, lockMs: number): Promise<void> {
    await this.run(
      sql`select set_config('statement_timeout', ${String(statementMs)}, true), set_config('lock_timeout', ${String(lockMs)}, true)`,
    );
  }

  /**
   * Blocks every other write of the four tables until the job commits (reads go on): the plan is made
   * after every write acknowledged before it, and no write lands between the plan and its apply.
   */
  async lockTables(): Promise<void> {
    await this.run(sql`lock table person, org_unit, org_role, org_person in share row exclusive mode`);
  }

  /** Fresh statistics of the staging tables (just filled): without them the planner joins them row by row. */
  async analyzeStaging(): Promise<void> {
    await this.run(sql`analyze sync_person, sync_unit, sync_role, sync_assignment`);
  }

  async setProgress(id: string, done: number): Promise<void> {
    await this.run(sql`update sync_job set progress_done = least(${done}, progress_total) where id = ${id}`);
  }

  /** Ends the job (in the job's transaction: `finished_at` is the clock's time now, not the transaction's start). */
  async finish(id: string, status: SyncStatus, summary: Partial<SyncJobRow['summary']>, errors: SyncErrorRow[] = []): Promise<void> {
    await this.insertErrors(id, errors);
    await this.run(sql`
      update sync_job set status = ${status}, finished_at = clock_timestamp(), progress_done = case when ${status} = 'succeeded' then progress_total else progress_done end,
        summary = summary || ${JSON.stringify(summary)}::jsonb
      where id = ${id}`);
    for (const table of ['sync_person', 'sync_unit', 'sync_role', 'sync_assignment']) {
      await this.run(sql`delete from ${sql.table(table)} where job_id = ${id}`);
    }
  }

  /**
   * Deletes up to `limit` jobs that finished before `cutoff`, with their errors and changes (the
   * foreign keys cascade); a job another instance is deleting is skipped. Returns how many.
   */
  async trimFinished(cutoff: Date, limit: number): Promise<number> {
    const deleted = await this.run(sql`
      delete from sync_job where id in (
        select id from sync_job where status in ('succeeded', 'failed', 'aborted') and finished_at < ${cutoff}
        order by finished_at limit ${limit} for update skip locked)
      returning 1`);
    return deleted.length;
  }

  async clearPlan(id: string): Promise<void> {
    await this.run(sql`delete from sync_change where job_id = ${id}`);
    await this.run(sql`delete from sync_error where job_id = ${id} and section = 'job'`);
  }

  // ---- referential validation (rows that are valid alone but not together or against the data)

  async referentialErrors(id: string, projectId: string | null, at: Date): Promise<void> {
    const statements = [
      sql`insert into sync_error (job_id, section, idx, field, message)
        select ${id}, 'people', s.idx, 'email', 'appears more than once in this job (also at index ' || f.first || ')'
        from (select idx, email, min(idx) over (partition by lower(email)) as first from sync_person where job_id = ${id}) s
        cross join lateral (select s.first) f where s.idx <> s.first`,
      // The stored start of validity with a new end (or the reverse) must still make a period (a row
      // that gives neither keeps its stored, valid period: not joined).
      sql`insert into sync_error (job_id, section, idx, field, message)
        select ${id}, 'people', s.idx, 'validTo', 'must be after the start of validity'
        from sync_person s join person p on lower(p.email) = lower(s.email)
        cross join lateral (select case when 'validFrom' = any(s.present) then s.valid_from else p.valid_from end as f,
                                   case when 'validTo' = any(s.present) then s.valid_to else p.valid_to end as t) v
        where s.job_id = ${id} and ('validFrom' = any(s.present) or 'validTo' = any(s.present))
          and v.f is not null and v.t is not null and v.t <= v.f`,
      sql`insert into sync_error (job_id, section, idx, field, message)
        select ${id}, 'people', s.idx, 'managerEmail', 'no person with this email in the job or stored'
        from sync_person s where s.job_id = ${id} and s.manager_email is not null
          and not exists (select 1 from sync_person o where o.job_id = ${id} and lower(o.email) = lower(s.manager_email))
          and not exists (select 1 from person p where lower(p.email) = lower(s.manager_email))`,
      sql`insert into sync_error (job_id, section, idx, field, message)
        select ${id}, 'org_units', s.idx, 'code', 'appears more than once in this job (also at index ' || s.first || ')'
        from (select idx, min(idx) over (partition by code) as first from sync_unit where job_id = ${id}) s where s.idx <> s.first`,
      sql`insert into sync_error (job_id, section, idx, field, message)
        select ${id}, 'org_roles', s.idx, 'code', 'appears more than once in this job (also at index ' || s.first || ')'
        from (select idx, min(idx) over (partition by code) as first from sync_role where job_id = ${id}) s where s.idx <> s.first`,
      sql`insert into sync_error (job_id, section, idx, field, message)
        select ${id}, 'org_units', s.idx, 'parent_code', case when s.parent_code = s.code then 'would create a cycle' else 'no unit with this code in the job or the project' end
        from sync_unit s where s.job_id = ${id} and s.parent_code is not null and (s.parent_code = s.code or (
          not exists (select 1 from sync_unit o where o.job_id = ${id} and o.code = s.parent_code)
          and not exists (select 1 from org_unit u where u.code = s.parent_code and u.project_id is not distinct from ${projectId})))`,
      sql`insert into sync_error (job_id, section, idx, field, message)
        select ${id}, 'org_persons', a.idx, 'person_email', 'no person with this email in the job or stored'
        from sync_assignment a where a.job_id = ${id}
          and not exists (select 1 from sync_person s where s.job_id = ${id} and lower(s.email) = lower(a.person_email))
          and not exists (select 1 from person p where lower(p.email) = lower(a.person_email))`,
      sql`insert into sync_error (job_id, section, idx, field, message)
        select ${id}, 'org_persons', a.idx, 'org_unit_code', 'no unit with this code in the job or the project'
        from sync_assignment a where a.job_id = ${id}
          and not exists (select 1 from sync_unit s where s.job_id = ${id} and s.code = a.org_unit_code)
          and not exists (select 1 from org_unit u where u.code = a.org_unit_code and u.project_id is not distinct from ${projectId})`,
      sql`insert into sync_error (job_id, section, idx, field, message)
        select ${id}, 'org_persons', a.idx, 'org_role_code', 'no role with this code in the job or the project'
        from sync_assignment a where a.job_id = ${id} and a.org_role_code is not null
          and not exists (select 1 from sync_role s where s.job_id = ${id} and s.code = a.org_role_code)
          and not exists (select 1 from org_role r where r.code = a.org_role_code and r.project_id is not distinct from ${projectId})`,
      sql`insert into sync_error (job_id, section, idx, field, message)
        select ${id}, 'org_persons', s.idx, null, 'the same assignment appears more than once in this job (also at index ' || s.first || ')'
        from (select idx, min(idx) over (partition by lower(person_email), org_unit_code, org_role_code) as first
              from sync_assignment where job_id = ${id}) s where s.idx <> s.first`,
    ];
    void at;
    for (const statement of statements) await this.run(statement);
  }

  // ---- plan: resolve keys, decide each staged row's operation, write the changes (under the locks)

  /**
   * The people of the job: create (a new email), update (a given field differs) or unchanged. Only
   * the rows that change are written (a re-sync of 100,000 with 1% changed rewrites 1,000 staged
   * rows, not 100,000): an unchanged row keeps `op` and `target_id` null. Each statement covers
   * the whole job: one join of the staged rows with person, not one per chunk.
   */
  async planPeople(id: string): Promise<void> {
    await this.run(sql`
      update sync_person t set target_id = gen_random_uuid(), op = 'create'
      where t.job_id = ${id} and not exists (select 1 from person p where lower(p.email) = lower(t.email))`);
    // Managers after the creates: a manager may be a person this job creates.
    await this.run(sql`
      update sync_person t set manager_id = coalesce(
          (select p.id from person p where lower(p.email) = lower(t.manager_email)),
          (select o.target_id from sync_person o where o.job_id = ${id} and lower(o.email) = lower(t.manager_email) and o.op = 'create' limit 1))
      where t.job_id = ${id} and t.manager_email is not null`);
    await this.run(sql`
      update sync_person t set target_id = x.pid, op = 'update'
      from (
        select s.idx, p.id as pid
        from sync_person s join person p on lower(p.email) = lower(s.email)
          cross join lateral (select ${sql.raw(PERSON_NEW_SELECT)}) n
        where s.job_id = ${id} and ${sql.raw(PERSON_CHANGED)} <> '{}'
      ) x
      where t.job_id = ${id} and t.idx = x.idx`);
    await this.run(sql`
      insert into sync_change (job_id, entity, key, op, changed, before, after)
      select ${id}, 'person', s.email, s.op,
        case when s.op = 'create'
          then array_remove(array[${sql.raw(PERSON_FIELDS.map(([api, column]) => `case when n.${column} is not null then '${api}' end`).join(', '))}], null)
          else ${sql.raw(PERSON_CHANGED)} end,
        case when s.op = 'create' then null else ${sql.raw(personJson('p', 'p.id'))} end,
        ${sql.raw(personJson('n', 's.target_id', 's.job_id'))}
      from sync_person s left join person p on p.id = s.target_id
        cross join lateral (select ${sql.raw(PERSON_NEW_SELECT)}) n
      where s.job_id = ${id} and s.op in ('create', 'update')
      order by s.idx`);
  }

  /**
   * The rows whose managerEmail would close a loop in the job's final state (stored managers, with
   * the job's managers in place of theirs): listed as errors; returns how many. Set-wise: one walk up
   * from every manager the job sets; a loop must go through one of them (the stored lines have none).
   * Serialized with the other changes of reporting lines by their advisory lock.
   */
  async managerCycles(id: string): Promise<number> {
    const [any] = await this.run(sql<{ n: number }>`
      select count(*)::int as n from sync_person where job_id = ${id} and op is not null and manager_id is not null`);
    if (any.n === 0) return 0;
    await this.run(sql`select pg_advisory_xact_lock(4242003)`);
    const found = await this.run(sql<{ idx: number }>`
      insert into sync_error (job_id, section, idx, field, message)
      select ${id}, 'people', s.idx, 'managerEmail', 'would create a cycle'
      from sync_person s
      where s.job_id = ${id} and s.target_id in (
        with recursive walk(start, cur) as (
          select s.target_id, s.manager_id from sync_person s
          where s.job_id = ${id} and s.op is not null and s.manager_id is not null and 'managerEmail' = any(s.present)
          union
          select w.start, case when j.target_id is not null then j.manager_id else p.manager_id end
          from walk w
            left join sync_person j on j.target_id = w.cur and j.job_id = ${id} and j.op is not null and 'managerEmail' = any(j.present)
            left join person p on p.id = w.cur
          where w.cur <> w.start and case when j.target_id is not null then j.manager_id else p.manager_id end is not null
        )
        select start from walk where cur = start)
      order by s.idx
      returning idx`);
    return found.length;
  }

  /** Snapshot: every person active at `at` whose email the job does not contain is historicized at `at`. */
  async planPeopleSnapshot(id: string, at: Date): Promise<void> {
    await this.run(sql`
      insert into sync_change (job_id, entity, key, op, changed, before, after)
      select ${id}, 'person', p.email, 'historicize', array['validTo'], ${sql.raw(personJson('p', 'p.id'))},
        ${sql.raw(personJson('p', 'p.id'))} || jsonb_build_object('validTo', to_char(${at}::timestamptz at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
      from person p
      where (p.valid_from is null or p.valid_from <= ${at}) and (p.valid_to is null or p.valid_to > ${at})
        and not exists (select 1 from sync_person s where s.job_id = ${id} and lower(s.email) = lower(p.email))
      order by lower(p.email), p.id`);
  }

  /** Units and roles of the job: matched by code within the project; a unit's parent resolved by parent_code. */
  async planCoded(id: string, kind: 'unit' | 'role', projectId: string | null): Promise<void> {
    const unit = kind === 'unit';
    const staged = sql.table(unit ? 'sync_unit' : 'sync_role');
    const stored = sql.table(unit ? 'org_unit' : 'org_role');
    await this.run(sql`
      update ${staged} t set target_id = coalesce(u.id, gen_random_uuid())
      from ${staged} s left join ${stored} u on u.code = s.code and u.project_id is not distinct from ${projectId}
      where t.job_id = ${id} and s.job_id = ${id} and t.idx = s.idx`);
    if (unit) {
      await this.run(sql`
        update sync_unit t set parent_id = coalesce(
          (select o.target_id from sync_unit o where o.job_id = ${id} and o.code = t.parent_code),
          (select u.id from org_unit u where u.code = t.parent_code and u.project_id is not distinct from ${projectId}))
        where t.job_id = ${id} and t.parent_code is not null`);
    }
    const fields = unit ? UNIT_FIELDS : ROLE_FIELDS;
    const newValue = (api: string, column: string, required: boolean) =>
      required ? `s.${column}` : `case when '${presentName(api)}' = any(s.present) then s.${column} else u.${column} end`;
    const newSelect = fields.map(([api, column, required]) => `${newValue(api, column, required)} as ${column}`).join(', ');
    const changed = `array_remove(array[${fields.map(([api, column]) => `case when n.${column} is distinct from u.${column} then '${api}' end`).join(', ')}], null)`;
    const entity = unit ? 'org-unit' : 'org-role';
    await this.run(sql`
      update ${staged} t set op = x.op
      from (
        select s.idx, case when u.id is null then 'create' when ${sql.raw(changed)} = '{}' then 'unchanged' else 'update' end as op
        from ${staged} s left join ${stored} u on u.id = s.target_id
          cross join lateral (select ${sql.raw(newSelect)}) n
        where s.job_id = ${id}
      ) x
      where t.job_id = ${id} and t.idx = x.idx`);
    const created = `array_remove(array['code', ${fields.map(([api, column]) => `case when n.${column} is not null then '${api}' end`).join(', ')}, case when n.project_id is not null then 'project_id' end], null)`;
    await this.run(sql`
      insert into sync_change (job_id, entity, key, op, changed, before, after)
      select ${id}, ${entity}, s.code, s.op,
        case when s.op = 'create' then ${sql.raw(created)} else ${sql.raw(changed)} end,
        case when s.op = 'create' then null else ${sql.raw(unitJson('u', 'u.id', unit))} end,
        ${sql.raw(unitJson('n', 's.target_id', unit))}
      from ${staged} s left join ${stored} u on u.id = s.target_id
        cross join lateral (select s.code, ${sql.raw(newSelect)}, ${projectId}::uuid as project_id) n
      where s.job_id = ${id} and s.op in ('create', 'update')
      order by s.idx`);
  }

  /** Assignments: resolve the person, unit and role; an active equal assignment means unchanged. */
  async planAssignments(id: string, projectId: string | null, at: Date, snapshot: boolean): Promise<void> {
    await this.run(sql`
      update sync_assignment a set
        person_id = coalesce((select s.target_id from sync_person s where s.job_id = ${id} and lower(s.email) = lower(a.person_email) limit 1),
                             (select p.id from person p where lower(p.email) = lower(a.person_email))),
        org_unit_id = coalesce((select s.target_id from sync_unit s where s.job_id = ${id} and s.code = a.org_unit_code),
                               (select u.id from org_unit u where u.code = a.org_unit_code and u.project_id is not distinct from ${projectId})),
        org_role_id = case when a.org_role_code is null then null else coalesce(
                               (select s.target_id from sync_role s where s.job_id = ${id} and s.code = a.org_role_code),
                               (select r.id from org_role r where r.code = a.org_role_code and r.project_id is not distinct from ${projectId})) end
      where a.job_id = ${id}`);
    await this.run(sql`
      update sync_assignment a set
        target_id = coalesce(x.id, gen_random_uuid()), op = case when x.id is null then 'create' else 'unchanged' end
      from sync_assignment s left join lateral (
        select o.id from org_person o
        where o.person_id = s.person_id and o.org_unit_id = s.org_unit_id and o.org_role_id is not distinct from s.org_role_id
          and (o.valid_from is null or o.valid_from <= ${at}) and (o.valid_to is null or o.valid_to > ${at})
        order by o.id limit 1) x on true
      where a.job_id = ${id} and s.job_id = ${id} and a.idx = s.idx`);
    await this.run(sql`
      insert into sync_change (job_id, entity, key, op, changed, before, after)
      select ${id}, 'org-person', s.person_email || '|' || s.org_unit_code || '|' || coalesce(s.org_role_code, ''), 'create',
        array_remove(array['person_id', 'org_unit_id', case when s.org_role_id is not null then 'org_role_id' end], null), null,
        jsonb_build_object('org_person_id', s.target_id, 'person_id', s.person_id, 'org_unit_id', s.org_unit_id, 'org_role_id', s.org_role_id,
          'valid_from', null, 'valid_to', null)
      from sync_assignment s where s.job_id = ${id} and s.op = 'create' order by s.idx`);
    if (!snapshot) return;
    await this.run(sql`
      insert into sync_change (job_id, entity, key, op, changed, before, after)
      select ${id}, 'org-person', p.email || '|' || coalesce(u.code, u.id::text) || '|' || coalesce(r.code, ''), 'historicize', array['valid_to'],
        ${sql.raw(ORG_PERSON_JSON('o'))},
        ${sql.raw(ORG_PERSON_JSON('o'))} || jsonb_build_object('valid_to', to_char(${at}::timestamptz at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
      from org_person o join org_unit u on u.id = o.org_unit_id join person p on p.id = o.person_id left join org_role r on r.id = o.org_role_id
      where u.project_id is not distinct from ${projectId}
        and (o.valid_from is null or o.valid_from <= ${at}) and (o.valid_to is null or o.valid_to > ${at})
        and not exists (select 1 from sync_assignment s where s.job_id = ${id} and s.target_id = o.id)
      order by o.id`);
  }

  /** How many changes of `entity` with `op` the plan holds. */
  async countPlanned(id: string, entity: string, op: string): Promise<number> {
    const [row] = await this.run(
      sql<{ n: number }>`select count(*)::int as n from sync_change where job_id = ${id} and entity = ${entity} and op = ${op}`,
    );
    return row.n;
  }

  async planCounts(id: string): Promise<{ create: number; update: number; historicize: number; unchanged: number }> {
    const [row] = await this.run(sql<{ create: number; update: number; historicize: number; unchanged: number }>`
      select
        (select count(*)::int from sync_change where job_id = ${id} and op = 'create') as "create",
        (select count(*)::int from sync_change where job_id = ${id} and op = 'update') as "update",
        (select count(*)::int from sync_change where job_id = ${id} and op = 'historicize') as historicize,
        (select count(*)::int from sync_person where job_id = ${id} and op is null)
          + (select count(*)::int from sync_unit where job_id = ${id} and op = 'unchanged')
          + (select count(*)::int from sync_role where job_id = ${id} and op = 'unchanged')
          + (select count(*)::int from sync_assignment where job_id = ${id} and op = 'unchanged') as unchanged`);
    return row;
  }

  // ---- apply: set-based writes from the staged, planned rows

  /**
   * The new people of idx in [lo, hi) (chunks: progress steps) whose manager is none or already
   * stored; with `lo` undefined, every new person still missing (their managers are new people: one
   * statement, so the foreign key, checked at its end, finds them in any order).
   */
  async insertPeople(id: string, at: Date, lo?: number, hi?: number): Promise<void> {
    const which =
      lo === undefined
        ? sql`s.manager_id is not null and not exists (select 1 from person p where p.id = s.target_id)`
        : sql`s.idx >= ${lo} and s.idx < ${hi} and (s.manager_id is null or exists (select 1 from person m where m.id = s.manager_id))`;
    await this.run(sql`
      insert into person (id, email, first_name, last_name, display_name, external_id, organization, business, department, group_name, team,
        manager_id, valid_from, valid_to, created_at, updated_at)
      select s.target_id, s.email, s.first_name, s.last_name, s.display_name, s.external_id, s.organization, s.business, s.department,
        s.group_name, s.team, s.manager_id, s.valid_from, s.valid_to, ${at}, ${at}
      from sync_person s where s.job_id = ${id} and s.op = 'create' and ${which}`);
  }

  /** The people that differ, in one statement (they are few in a re-sync). */
  async updatePeople(id: string, at: Date): Promise<void> {
    const assignments = PERSON_FIELDS.map(
      ([api, column]) =>
        `${column} = ${personNew(
          api,
          column,
          PERSON_REQUIRED.some(([a]) => a === api),
        )}`,
    ).join(', ');
    // The job's final managers were checked for loops set-wise (managerCycles, under the table locks):
    // the row trigger's walk, which would see the statement's managers half applied (a swap of two
    // people's lines refused wrongly), is skipped for this one statement (docs/decisions.md).
    await this.run(sql`select set_config('organigram.manager_cycle_checked', 'on', true)`);
    await this.run(sql`
      update person p set ${sql.raw(assignments)}, updated_at = ${at}
      from sync_person s
      where s.job_id = ${id} and s.op = 'update' and p.id = s.target_id`);
    await this.run(sql`select set_config('organigram.manager_cycle_checked', '', true)`);
  }

  /** Historicizes what the plan lists (snapshot): people and assignments. */
  async applyHistoricize(id: string, at: Date): Promise<void> {
    await this.run(sql`
      update person set valid_to = ${at}, updated_at = ${at}
      where id in (select (before->>'id')::uuid from sync_change where job_id = ${id} and entity = 'person' and op = 'historicize')`);
    await this.run(sql`
      update org_person set valid_to = ${at}, updated_at = ${at}
      where id in (select (before->>'org_person_id')::uuid from sync_change where job_id = ${id} and entity = 'org-person' and op = 'historicize')`);
  }

  async applyRoles(id: string, projectId: string | null, at: Date): Promise<void> {
    await this.run(sql`
      insert into org_role (id, code, name, description, project_id, valid_from, valid_to, created_at, updated_at)
      select target_id, code, name, description, ${projectId}, valid_from, valid_to, ${at}, ${at}
      from sync_role where job_id = ${id} and op = 'create'`);
    const set = ROLE_FIELDS.map(([api, column, required]) =>
      required
        ? `${column} = s.${column}`
        : `${column} = case when '${presentName(api)}' = any(s.present) then s.${column} else r.${column} end`,
    ).join(', ');
    await this.run(sql`
      update org_role r set ${sql.raw(set)}, updated_at = ${at}
      from sync_role s where s.job_id = ${id} and s.op = 'update' and r.id = s.target_id`);
  }

  /**
   * New units parent first (a unit whose parent is new waits for it), then the updates. Returns the
   * number of new units left over: their parents form a cycle.
   */
  async applyUnits(id: string, projectId: string | null, at: Date): Promise<number> {
    for (;;) {
      const inserted = await this.run(sql<{ id: string }>`
        insert into org_unit (id, code, name, description, parent_id, project_id, valid_from, valid_to, created_at, updated_at)
        select s.target_id, s.code, s.name, s.description, s.parent_id, ${projectId}, s.valid_from, s.valid_to, ${at}, ${at}
        from sync_unit s
        where s.job_id = ${id} and s.op = 'create' and not exists (select 1 from org_unit u where u.id = s.target_id)
          and (s.parent_id is null or exists (select 1 from org_unit p where p.id = s.parent_id))
        returning id`);
      if (inserted.length === 0) break;
    }
    const [left] = await this.run(sql<{ n: number }>`
      select count(*)::int as n from sync_unit s
      where s.job_id = ${id} and s.op = 'create' and not exists (select 1 from org_unit u where u.id = s.target_id)`);
    if (left.n > 0) return left.n;
    const set = UNIT_FIELDS.map(([api, column, required]) =>
      required
        ? `${column} = s.${column}`
        : `${column} = case when '${presentName(api)}' = any(s.present) then s.${column} else u.${column} end`,
    ).join(', ');
    await this.run(sql`
      update org_unit u set ${sql.raw(set)}, updated_at = ${at}
      from sync_unit s where s.job_id = ${id} and s.op = 'update' and u.id = s.target_id`);
    return 0;
  }

  async applyAssignments(id: string, at: Date): Promise<void> {
    await this.run(sql`
      insert into org_person (id, person_id, org_unit_id, org_role_id, valid_from, valid_to, created_at, updated_at)
      select target_id, person_id, org_unit_id, org_role_id, null, null, ${at}, ${at}
      from sync_assignment where job_id = ${id} and op = 'create'`);
  }

  async maxIndex(id: string): Promise<number> {
    const [row] = await this.run(sql<{ n: number }>`select coalesce(max(idx) + 1, 0)::int as n from sync_person where job_id = ${id}`);
    return row.n;
  }
}
