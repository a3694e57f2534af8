import { Migration } from '@mikro-orm/migrations';

/** The people found from the person ids in `$1` up to the top of their chains (as the closure table needs them). */
const WALK_UP = `with recursive up(person_id, ancestor_id, depth, sys_from) as (
          select p.id, p.manager_id, 1, null::timestamptz from person p join unnest($1::uuid[]) a(id) on p.id = a.id where p.manager_id is not null
          union all
          select u.person_id, p.manager_id, u.depth + 1, u.sys_from from up u join person p on p.id = u.ancestor_id where p.manager_id is not null
        )
        select ancestor_id, person_id, depth, sys_from from up`;

/**
 * Statement triggers keep the plans of their first call (issue 11; docs/decisions.md, "Trigger plans").
 *
 * PL/pgSQL plans each statement of a function once per session, for the sizes of that first call:
 * a statement over the transition tables, planned for one row (an API write), joins them with a nested
 * loop, which rescans a tuple store for every row when a later statement of the same session updates
 * 20,000 (a bulk sync, a set-based statement): 160 s instead of 3.8 s on the bench's people, measured
 * with one update of one person, then one of 20,000, in one `psql` session.
 * - `change_log_<table>()`: their only join is that of the old and new rows of an update; they run
 *   with `enable_nestloop = off`, so whichever call plans it, the join is hashed (one row: a hash of
 *   one row). Their other reads are subqueries by primary key, which the setting leaves as they are.
 * - `reporting_line_after_update()`: which people changed manager is now one grouped pass over both
 *   transition tables (no join); the rebuild of the closure table, run only when a manager changed,
 *   is planned for each call (EXECUTE), with the sizes of that call.
 * A later `create or replace function` of these functions must keep this (`set enable_nestloop = off`
 * is part of a function's definition): test/e2e/changes.e2e-spec.ts checks it.
 */
export class Migration20261201134000_trigger_plans extends Migration {
  override up(): void {
    for (const table of ['person', 'org_unit', 'org_role', 'org_person']) {
      this.addSql(`alter function change_log_${table}() set enable_nestloop = off`);
    }
    this.addSql(`
      create or replace function reporting_line_after_update() returns trigger language plpgsql as $$
      declare
        moved uuid[];
        at timestamptz;
        affected uuid[];
      begin
        -- The people whose manager changed: both transition tables in one pass, grouped by id (the old
        -- and the new row of each), with no join whose plan depends on the first call's size.
        select array_agg(m.id), max(m.since) into moved, at
          from (
            select x.id, max(x.sys_from) filter (where x.side = 1) as since
              from (select n.id, n.manager_id, n.sys_from, 1 as side from new_rows n
                    union all
                    select o.id, o.manager_id, null::timestamptz, 0 from old_rows o) x
             group by x.id
            having count(distinct x.manager_id) = 2 or count(x.manager_id) = 1
          ) m;
        if moved is null then
          return null;
        end if;
        -- Every change of reporting lines is serialized (clearing ones too), so two rebuilds never
        -- interleave; the statements below see everything committed before. They are planned for this
        -- call (EXECUTE): a move of one person and the seed of a whole tree want different plans.
        perform pg_advisory_xact_lock(4242003);
        -- Everyone at or below a person whose manager changed (the lines below a moved person are
        -- still those of before: a person moved with its subtree is found through its own row).
        execute 'select array_agg(distinct l.person_id) from unnest($1::uuid[]) m(id) join reporting_line l on l.ancestor_id = m.id'
          into affected using moved;
        if affected is null then
          return null;
        end if;
        perform set_config('organigram.line_clock', at::text, true);
        execute $q$with wanted as (${WALK_UP})
          delete from reporting_line l using unnest($1::uuid[]) a(id)
           where l.person_id = a.id and l.depth > 0
             and not exists (select from wanted w where w.ancestor_id = l.ancestor_id and w.person_id = l.person_id and w.depth = l.depth)$q$
          using affected;
        perform set_config('organigram.line_clock', '', true);
        -- What is left of a moved person's lines is wanted as it is; the rest is new.
        execute $q$insert into reporting_line (ancestor_id, person_id, depth, sys_from)
          select w.ancestor_id, w.person_id, w.depth, $2 from (${WALK_UP}) w
          on conflict (ancestor_id, person_id) do nothing$q$
          using affected, at;
        return null;
      end $$`);
  }

  override down(): void {
    for (const table of ['person', 'org_unit', 'org_role', 'org_person']) {
      this.addSql(`alter function change_log_${table}() reset enable_nestloop`);
    }
    const walk = (start: string) => WALK_UP.replace('join unnest($1::uuid[]) a(id) on p.id = a.id', start);
    this.addSql(`
      create or replace function reporting_line_after_update() returns trigger language plpgsql as $$
      declare
        moved uuid[];
        at timestamptz;
        affected uuid[];
      begin
        select array_agg(n.id), max(n.sys_from) into moved, at
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
        perform set_config('organigram.line_clock', at::text, true);
        with wanted as (
          ${walk('join unnest(affected) a(id) on p.id = a.id')}
        )
        delete from reporting_line l using unnest(affected) a(id)
         where l.person_id = a.id and l.depth > 0
           and not exists (select from wanted w where w.ancestor_id = l.ancestor_id and w.person_id = l.person_id and w.depth = l.depth);
        perform set_config('organigram.line_clock', '', true);
        insert into reporting_line (ancestor_id, person_id, depth, sys_from)
        select w.ancestor_id, w.person_id, w.depth, at from (
          ${walk('join unnest(affected) a(id) on p.id = a.id')}
        ) w
        on conflict (ancestor_id, person_id) do nothing;
        return null;
      end $$`);
  }
}
