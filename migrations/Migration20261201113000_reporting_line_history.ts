import { Migration } from '@mikro-orm/migrations';

/**
 * The closure table's past (issue 11 point 3; docs/decisions.md, "Reporting lines as of an instant"):
 * `reporting_line` becomes system-versioned like the four tables of Migration20261201090000_as_of, so
 * an as_of read of reports is the same index range as a read of now, over `reporting_line_as_of(t)`,
 * instead of a walk down `manager_id` over `person_as_of(t)` (16x the read of now on the bench's
 * 100,000-person tree).
 *
 * - `sys_from` / `sys_to` on `reporting_line`, `reporting_line_versions` as the empty parent of the live
 *   table and of `reporting_line_history` (same columns, statistics of the whole).
 * - Lines are only ever inserted and deleted (a move deletes and inserts lines; a person's delete
 *   cascades to theirs). A line starts when the person change that made it did (the new person's
 *   `sys_from`, the moved person's new `sys_from`), not when the trigger ran a moment later, so a read as
 *   of any instant sees the person rows and the lines of the same writes. A statement-level AFTER DELETE
 *   trigger copies deleted lines to history, ended at the move's instant (passed by the rebuild in the
 *   transaction-local setting `organigram.line_clock`) or, for a cascade, at the deleted person's end.
 * - A move now deletes and inserts only the lines that change (the lines inside a moved subtree stay,
 *   and keep their start), so history holds real changes only.
 * - Backfill: the lines' past is rebuilt from the people's versions (`person_versions`, live and
 *   history): a line (a, p, d) existed while p's manager was m and m's line (a, m, d - 1) existed, level
 *   by level, adjacent periods of a line merged. So an as_of read of reports answers what the walk over
 *   `person_as_of(t)` answered before, for every instant.
 */
/** Every manager above the people of `start` (rows: person, its manager, 1, start of the lines). */
const WALK_UP = (start: string) => `with recursive up(person_id, ancestor_id, depth, sys_from) as (
          ${start}
          union all
          select u.person_id, p.manager_id, u.depth + 1, u.sys_from from up u join person p on p.id = u.ancestor_id where p.manager_id is not null
        )
        select ancestor_id, person_id, depth, sys_from from up`;

/**
 * Merges adjacent or overlapping periods of each line of `source` (columns ancestor_id, person_id, depth,
 * f, t; t = 'infinity' while current) into one row per period.
 */
const MERGED = (source: string) => `
  select ancestor_id, person_id, depth, min(f) as f, max(t) as t from (
    select s.*, count(*) filter (where s.starts) over (partition by ancestor_id, person_id, depth order by f rows unbounded preceding) as period
    from (
      select x.*, f > coalesce(max(t) over (partition by ancestor_id, person_id, depth order by f rows between unbounded preceding and 1 preceding), '-infinity') as starts
      from ${source} x
    ) s
  ) g
  group by ancestor_id, person_id, depth, period`;

export class Migration20261201113000_reporting_line_history extends Migration {
  override up(): void {
    // Rewrites every line (600,000 on the bench's 100,000-person tree): past DB_STATEMENT_TIMEOUT_MS.
    this.addSql('set local statement_timeout = 0');

    // The periods of every line, from the people's versions (zero-length versions dropped).
    this.addSql(`
      create temporary table line_period on commit drop as
      select id as ancestor_id, id as person_id, 0 as depth, sys_from as f, coalesce(sys_to, 'infinity') as t
        from person_versions where coalesce(sys_to, 'infinity') > sys_from
      union all
      select manager_id, id, 1, sys_from, coalesce(sys_to, 'infinity')
        from person_versions where manager_id is not null and coalesce(sys_to, 'infinity') > sys_from`);
    this.addSql(`create temporary table line_past on commit drop as ${MERGED('line_period')}`);
    this.addSql('create index on line_past (person_id, depth)');
    this.addSql('analyze line_past');
    this.addSql(`
      do $$
      declare
        d int := 1;
        added bigint;
      begin
        loop
          -- (a, p, d + 1) while p's line to m (depth 1) and m's line to a (depth d) both held.
          truncate line_period;
          insert into line_period
          select up.ancestor_id, one.person_id, d + 1, greatest(one.f, up.f), least(one.t, up.t)
            from line_past one join line_past up on up.person_id = one.ancestor_id and up.depth = d
           where one.depth = 1 and greatest(one.f, up.f) < least(one.t, up.t);
          insert into line_past ${MERGED('line_period')};
          get diagnostics added = row_count;
          exit when added = 0;
          d := d + 1;
          if d > 10000 then
            raise exception 'reporting lines deeper than 10000 levels in person history';
          end if;
          analyze line_past;
        end loop;
      end $$`);

    this.addSql('alter table reporting_line add column sys_from timestamptz, add column sys_to timestamptz');
    this.addSql(`
      update reporting_line l set sys_from = p.f
        from line_past p
       where p.ancestor_id = l.ancestor_id and p.person_id = l.person_id and p.depth = l.depth and p.t = 'infinity'`);
    // A line the people's versions do not explain (none, unless history was removed by hand): from its person's start.
    this.addSql(`update reporting_line l set sys_from = p.sys_from from person p where l.sys_from is null and p.id = l.person_id`);
    this.addSql(
      `alter table reporting_line alter column sys_from set default history_clock(), alter column sys_from set not null, add constraint reporting_line_sys_to_live check (sys_to is null)`,
    );
    this.addSql('create table reporting_line_versions (like reporting_line)');
    this.addSql('alter table reporting_line inherit reporting_line_versions');
    this.addSql('create table reporting_line_history () inherits (reporting_line_versions)');
    this.addSql(`
      insert into reporting_line_history (ancestor_id, person_id, depth, sys_from, sys_to)
      select ancestor_id, person_id, depth, f, t from line_past where t <> 'infinity'`);
    // The live table's read paths (its primary key, depth range, lines of a person), and the versions
    // that ended after t.
    this.addSql('create index reporting_line_history_line_idx on reporting_line_history (ancestor_id, person_id)');
    this.addSql('create index reporting_line_history_depth_idx on reporting_line_history (ancestor_id, depth)');
    this.addSql('create index reporting_line_history_person_idx on reporting_line_history (person_id)');
    this.addSql('create index reporting_line_history_sys_to_idx on reporting_line_history (sys_to)');
    // Index-only as of an instant too: the count of a manager's reports (the whole range at the top of
    // the tree) and the inactive people probed against it read the period from the index, as the
    // reads of now read only the index (without them: 4.8x the read of now, measured).
    this.addSql('drop index reporting_line_depth_idx');
    this.addSql('create index reporting_line_depth_idx on reporting_line (ancestor_id, depth) include (sys_from, sys_to)');
    // Serial plans, as the reads of now have (their ranges are index-only): a parallel append over the
    // live and history tables for the count of a manager's reports cost more in worker start-up than it
    // saved (2.4x the read of now with it, 0.9x without, measured on the bench's 2 CPUs).
    this.addSql('alter table reporting_line set (parallel_workers = 0)');
    this.addSql('alter table reporting_line_history set (parallel_workers = 0)');
    this.addSql('drop index person_valid_from_idx');
    this.addSql('create index person_valid_from_idx on person (valid_from) include (id, sys_from, sys_to) where valid_from is not null');
    this.addSql('drop index person_valid_to_idx');
    this.addSql('create index person_valid_to_idx on person (valid_to) include (id, sys_from, sys_to) where valid_to is not null');

    // A line deleted with its person (the foreign keys' cascade) ends when that person's last version
    // did (person_z_history_delete, the same statement, a moment apart): a read as of any instant sees a
    // person and their lines together.
    this.addSql(`
      create function reporting_line_history_delete() returns trigger language plpgsql as $$
      declare
        at timestamptz := nullif(current_setting('organigram.line_clock', true), '')::timestamptz;
        now timestamptz := history_clock();
      begin
        insert into reporting_line_history (ancestor_id, person_id, depth, sys_from, sys_to)
        select o.ancestor_id, o.person_id, o.depth, o.sys_from, greatest(coalesce(at, least(
                 (select max(h.sys_to) from person_history h where h.id = o.person_id and not exists (select from person p where p.id = o.person_id)),
                 (select max(h.sys_to) from person_history h where h.id = o.ancestor_id and not exists (select from person p where p.id = o.ancestor_id))
               ), now), o.sys_from)
          from old_rows o;
        return null;
      end $$`);
    this.addSql(`
      create trigger reporting_line_z_history_delete after delete on reporting_line referencing old table as old_rows
        for each statement execute function reporting_line_history_delete()`);
    this.addSql(`
      create function reporting_line_as_of(t timestamptz) returns setof reporting_line language sql stable parallel safe as $$
        select * from reporting_line_versions where sys_from <= t and (sys_to is null or sys_to > t)
      $$`);

    // The lines of new people start with them.
    this.addSql(`
      create or replace function reporting_line_after_insert() returns trigger language plpgsql as $$
      begin
        insert into reporting_line (ancestor_id, person_id, depth, sys_from) select n.id, n.id, 0, n.sys_from from new_rows n;
        insert into reporting_line (ancestor_id, person_id, depth, sys_from)
        ${WALK_UP('select n.id, n.manager_id, 1, n.sys_from from new_rows n where n.manager_id is not null')};
        return null;
      end $$`);
    // A move: only the lines that change, at the instant of the move.
    this.addSql(`
      create or replace function reporting_line_after_update() returns trigger language plpgsql as $$
      declare
        moved uuid[];
        at timestamptz;
        affected uuid[];
      begin
        -- Two steps, each a join the planner hashes: transition tables have no statistics, and a
        -- nested loop over them rescans a spilled tuple store for every row (quadratic on 100,000 rows).
        select array_agg(n.id), max(n.sys_from) into moved, at
          from new_rows n join old_rows o on o.id = n.id
         where n.manager_id is distinct from o.manager_id;
        if moved is null then
          return null;
        end if;
        -- Every change of reporting lines is serialized (clearing ones too), so two rebuilds never
        -- interleave; the statements below see everything committed before.
        perform pg_advisory_xact_lock(4242003);
        -- Everyone at or below a person whose manager changed (the lines below a moved person are
        -- still those of before: a person moved with its subtree is found through its own row).
        select array_agg(distinct l.person_id) into affected
          from unnest(moved) m(id) join reporting_line l on l.ancestor_id = m.id;
        if affected is null then
          return null;
        end if;
        perform set_config('organigram.line_clock', at::text, true);
        with wanted as (
          ${WALK_UP('select p.id, p.manager_id, 1, null::timestamptz from person p join unnest(affected) a(id) on p.id = a.id where p.manager_id is not null')}
        )
        delete from reporting_line l using unnest(affected) a(id)
         where l.person_id = a.id and l.depth > 0
           and not exists (select from wanted w where w.ancestor_id = l.ancestor_id and w.person_id = l.person_id and w.depth = l.depth);
        perform set_config('organigram.line_clock', '', true);
        -- What is left of a moved person's lines is wanted as it is; the rest is new.
        insert into reporting_line (ancestor_id, person_id, depth, sys_from)
        select w.ancestor_id, w.person_id, w.depth, at from (
          ${WALK_UP('select p.id, p.manager_id, 1, null::timestamptz from person p join unnest(affected) a(id) on p.id = a.id where p.manager_id is not null')}
        ) w
        on conflict (ancestor_id, person_id) do nothing;
        return null;
      end $$`);
    this.addSql('analyze reporting_line_versions');
  }

  override down(): void {
    this.addSql(`
      create or replace function reporting_line_after_insert() returns trigger language plpgsql as $$
      begin
        insert into reporting_line (ancestor_id, person_id, depth) select n.id, n.id, 0 from new_rows n;
        insert into reporting_line (ancestor_id, person_id, depth)
        select ancestor_id, person_id, depth from (
        ${WALK_UP('select n.id, n.manager_id, 1, null::timestamptz from new_rows n where n.manager_id is not null')}
        ) w;
        return null;
      end $$`);
    this.addSql(`
      create or replace function reporting_line_after_update() returns trigger language plpgsql as $$
      declare
        moved uuid[];
        affected uuid[];
      begin
        select array_agg(n.id) into moved
          from new_rows n join old_rows o on o.id = n.id
         where n.manager_id is distinct from o.manager_id;
        if moved is null then
          return null;
        end if;
        perform pg_advisory_xact_lock(4242003);
        select array_agg(distinct l.person_id) into affected
          from unnest(moved) m(id) join reporting_line l on l.ancestor_id = m.id;
        if affected is null then
          return null;
        end if;
        delete from reporting_line l using unnest(affected) a(id) where l.person_id = a.id and l.depth > 0;
        insert into reporting_line (ancestor_id, person_id, depth)
        select ancestor_id, person_id, depth from (
        ${WALK_UP('select p.id, p.manager_id, 1, null::timestamptz from person p join unnest(affected) a(id) on p.id = a.id where p.manager_id is not null')}
        ) w;
        return null;
      end $$`);
    this.addSql('drop index if exists person_valid_to_idx');
    this.addSql('create index person_valid_to_idx on person (valid_to) include (id) where valid_to is not null');
    this.addSql('drop index if exists person_valid_from_idx');
    this.addSql('create index person_valid_from_idx on person (valid_from) include (id) where valid_from is not null');
    this.addSql('alter table reporting_line reset (parallel_workers)');
    this.addSql('drop index if exists reporting_line_depth_idx');
    this.addSql('create index reporting_line_depth_idx on reporting_line (ancestor_id, depth)');
    this.addSql('drop function if exists reporting_line_as_of(timestamptz)');
    this.addSql('drop trigger if exists reporting_line_z_history_delete on reporting_line');
    this.addSql('drop function if exists reporting_line_history_delete()');
    this.addSql('drop table if exists reporting_line_history');
    this.addSql('alter table reporting_line no inherit reporting_line_versions');
    this.addSql('drop table if exists reporting_line_versions');
    this.addSql(
      'alter table reporting_line drop constraint if exists reporting_line_sys_to_live, drop column if exists sys_from, drop column if exists sys_to',
    );
  }
}
