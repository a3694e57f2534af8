import { Migration } from '@mikro-orm/migrations';

/**
 * Reporting lines (contract section 11; docs/decisions.md, "Reporting lines"):
 * - person.manager_id: another person, `on delete restrict` (a forced delete of a manager clears
 *   the reports' manager_id itself, in the same transaction, so each report gets its own change
 *   event); a CHECK that nobody manages themselves; an index for the reports of a manager.
 * - The last line against loops, as for the unit tree: every change of manager_id (and every insert
 *   with one) takes one transaction-scoped advisory lock (4242003, also taken by the service before
 *   its row locks, and by the closure trigger below for clearing changes), so changes are serialized
 *   and the walk up the chain (a fresh snapshot per statement in a volatile function) sees the
 *   changes committed before it. Two opposite concurrent changes therefore cannot both pass.
 * - reporting_line, a closure table (docs/decisions.md, "Reports of every level: a closure table, measured"):
 *   one row per (manager at any level, report, depth), plus (person, person, 0) for everyone, kept
 *   by statement-level triggers on person: an insert adds the new people's rows, a change of
 *   manager_id rebuilds the lines of the moved people and everyone below them, walking manager_id
 *   up (so a statement that sets several managers at once, in any order, ends right). Reports at
 *   every depth of a manager are then one index range instead of a walk over 100,000 people.
 * - The change log's person document (contract 10.1: "person as in section 3") gains managerId and
 *   managerEmail; the function of Migration20261201050000 is replaced with the same body and the two
 *   fields (a migration is never edited in place).
 */
const PERSON_FIELDS: [string, string][] = [
  ['id', 'r.id'],
  ['email', 'r.email'],
  ['firstName', 'r.first_name'],
  ['lastName', 'r.last_name'],
  ['displayName', 'r.display_name'],
  ['externalId', 'r.external_id'],
  ['organization', 'r.organization'],
  ['business', 'r.business'],
  ['department', 'r.department'],
  ['group', 'r.group_name'],
  ['team', 'r.team'],
  ['managerId', 'r.manager_id'],
  // The manager's email as of the write (a manager deleted in the same statement has none).
  ['managerEmail', '(select m.email from person m where m.id = r.manager_id)'],
  ['validFrom', 'change_iso(r.valid_from)'],
  ['validTo', 'change_iso(r.valid_to)'],
  ['createdAt', 'change_iso(r.created_at)'],
  ['updatedAt', 'change_iso(r.updated_at)'],
];

/** `select ancestor_id, person_id, depth` of every manager above the people of `start` (rows: person, its manager, 1). */
const WALK_UP = (start: string) => `with recursive up(person_id, ancestor_id, depth) as (
          ${start}
          union all
          select u.person_id, p.manager_id, u.depth + 1 from up u join person p on p.id = u.ancestor_id where p.manager_id is not null
        )
        select ancestor_id, person_id, depth from up`;

function personLogFunction(fields: [string, string][]): string {
  const doc = (alias: string) => `jsonb_build_object(${fields.map(([k, e]) => `'${k}', ${e.replace(/\br\./g, `${alias}.`)}`).join(', ')})`;
  const names = (list: string[]) => `array[${list.map((k) => `'${k}'`).join(', ')}]::text[]`;
  const all = names(fields.map(([k]) => k));
  const compared = names(fields.map(([k]) => k).filter((k) => k !== 'createdAt' && k !== 'updatedAt'));
  const actor = `coalesce(nullif(current_setting('organigram.actor', true), '')::jsonb, '{"token_id": null, "token_name": null, "role": null}'::jsonb)`;
  const requestId = `nullif(current_setting('organigram.request_id', true), '')`;
  const columns = 'xid, actor, request_id, entity, entity_id, op, changed, before, after';
  return `
    create or replace function change_log_person() returns trigger language plpgsql as $fn$
    declare
      appended bigint;
    begin
      if tg_op = 'INSERT' then
        insert into change_event (${columns})
        select pg_current_xact_id(), ${actor}, ${requestId}, 'person', n.id, 'create', ${all}, null, ${doc('n')}
        from new_rows n;
      elsif tg_op = 'DELETE' then
        insert into change_event (${columns})
        select pg_current_xact_id(), ${actor}, ${requestId}, 'person', o.id, 'delete', ${all}, ${doc('o')}, null
        from old_rows o;
      else
        with d as materialized (
          select n.id, ${doc('o')} as b, ${doc('n')} as a
          from old_rows o join new_rows n on n.id = o.id
        ), c as materialized (
          select d.id, d.b, d.a, array(
            select k from unnest(${compared}) with ordinality as u(k, i)
            where d.a -> k is distinct from d.b -> k order by i
          ) as changed
          from d
        )
        insert into change_event (${columns})
        select pg_current_xact_id(), ${actor}, ${requestId}, 'person', c.id,
               case when c.changed = array['validTo']::text[] and c.a ->> 'validTo' is not null then 'historicize' else 'update' end,
               c.changed, c.b, c.a
        from c
        where cardinality(c.changed) > 0;
      end if;
      get diagnostics appended = row_count;
      if appended > 0 then
        insert into change_tx (xid) values (pg_current_xact_id()) on conflict do nothing;
      end if;
      return null;
    end $fn$`;
}

export class Migration20261201080000_reporting_lines extends Migration {
  override up(): void {
    // Rewrites or indexes every row of big tables: on a large directory this outlasts the app's
    // DB_STATEMENT_TIMEOUT_MS (measured: the bench's 100,000 people and 300,000 assignments). Local to
    // the migrations' one transaction (allOrNothing), so the pool's sessions keep their timeout.
    this.addSql('set local statement_timeout = 0');
    this.addSql('alter table person add column manager_id uuid');
    this.addSql('alter table person add constraint person_manager_fkey foreign key (manager_id) references person (id) on delete restrict');
    this.addSql('alter table person add constraint person_manager_not_self check (manager_id <> id)');
    this.addSql('create index person_manager_idx on person (manager_id) where manager_id is not null');
    this.addSql(`
      create function person_prevent_manager_cycle() returns trigger language plpgsql as $$
      begin
        perform pg_advisory_xact_lock(4242003);
        if exists (
          with recursive chain(id, manager_id) as (
            select id, manager_id from person where id = new.manager_id
            union
            select p.id, p.manager_id from person p join chain c on p.id = c.manager_id
          )
          select 1 from chain where id = new.id
        ) then
          raise exception 'making % the manager of % would create a cycle', new.manager_id, new.id
            using errcode = 'check_violation', constraint = 'person_manager_no_cycle';
        end if;
        return new;
      end $$`);
    this.addSql(`
      create trigger person_prevent_manager_cycle before update of manager_id on person
        for each row when (new.manager_id is not null and new.manager_id is distinct from old.manager_id)
        execute function person_prevent_manager_cycle()`);
    // Inserts too: a set-based insert (bulk sync) could otherwise bring in people managing each other.
    this.addSql(`
      create trigger person_prevent_manager_cycle_insert before insert on person
        for each row when (new.manager_id is not null) execute function person_prevent_manager_cycle()`);
    this.addSql(personLogFunction(PERSON_FIELDS));

    this.addSql(`
      create table reporting_line (
        ancestor_id uuid not null references person (id) on delete cascade,
        person_id uuid not null references person (id) on delete cascade,
        depth int not null check (depth >= 0),
        primary key (ancestor_id, person_id),
        constraint reporting_line_self check ((depth = 0) = (ancestor_id = person_id))
      )`);
    // Reports of a manager down to a depth (counts, index-only), and the lines of a person (moves, deletes;
    // without depth, so that a probe for one (manager, person) pair takes the primary key).
    this.addSql('create index reporting_line_depth_idx on reporting_line (ancestor_id, depth)');
    this.addSql('create index reporting_line_person_idx on reporting_line (person_id)');
    this.addSql('insert into reporting_line (ancestor_id, person_id, depth) select id, id, 0 from person');
    this.addSql(`
      create function reporting_line_after_insert() returns trigger language plpgsql as $$
      begin
        insert into reporting_line (ancestor_id, person_id, depth) select n.id, n.id, 0 from new_rows n;
        insert into reporting_line (ancestor_id, person_id, depth)
        ${WALK_UP('select n.id, n.manager_id, 1 from new_rows n where n.manager_id is not null')};
        return null;
      end $$`);
    this.addSql(`
      create function reporting_line_after_update() returns trigger language plpgsql as $$
      declare
        moved uuid[];
        affected uuid[];
      begin
        -- Two steps, each a join the planner hashes: transition tables have no statistics, and a
        -- nested loop over them rescans a spilled tuple store for every row (quadratic on 100,000 rows).
        select array_agg(n.id) into moved
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
        delete from reporting_line l using unnest(affected) a(id) where l.person_id = a.id and l.depth > 0;
        insert into reporting_line (ancestor_id, person_id, depth)
        ${WALK_UP('select p.id, p.manager_id, 1 from person p join unnest(affected) a(id) on p.id = a.id where p.manager_id is not null')};
        return null;
      end $$`);
    this.addSql(`
      create trigger person_reporting_line_insert after insert on person referencing new table as new_rows
        for each statement execute function reporting_line_after_insert()`);
    this.addSql(`
      create trigger person_reporting_line_update after update on person referencing old table as old_rows new table as new_rows
        for each statement execute function reporting_line_after_update()`);
  }

  override down(): void {
    this.addSql('drop trigger if exists person_reporting_line_update on person');
    this.addSql('drop trigger if exists person_reporting_line_insert on person');
    this.addSql('drop function if exists reporting_line_after_update()');
    this.addSql('drop function if exists reporting_line_after_insert()');
    this.addSql('drop table if exists reporting_line');
    this.addSql(personLogFunction(PERSON_FIELDS.filter(([k]) => k !== 'managerId' && k !== 'managerEmail')));
    this.addSql('drop trigger if exists person_prevent_manager_cycle_insert on person');
    this.addSql('drop trigger if exists person_prevent_manager_cycle on person');
    this.addSql('drop function if exists person_prevent_manager_cycle()');
    this.addSql('alter table person drop column if exists manager_id');
  }
}
