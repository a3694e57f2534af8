import { Migration } from '@mikro-orm/migrations';

/** The nil uuid: the project_key of units without project. */
const NIL = '00000000-0000-0000-0000-000000000000';

/** Raises a check_violation carrying `constraint`, so the services map a lost race to a 400 naming the field. */
const refuse = (constraint: string, message: string, args: string) =>
  `raise exception '${message}', ${args} using errcode = 'check_violation', constraint = '${constraint}'`;

/**
 * 1. People search (`q`): trigram GIN indexes, one per searched column, so `ilike '%q%'` on each is a
 *    bitmap index scan instead of a sequential scan that lower-cases a long pattern for every row
 *    (a 254-character q: 816 ms -> 0.3 ms on 100,000 people; docs/performance.md). pg_trgm ships with
 *    PostgreSQL's contrib and is a trusted extension: the database owner may create it.
 * 2. Projects never mix (contract section 9), as the last line behind the services' checks:
 *    - a unit's parent has the same project_id (both may be null): a composite foreign key, so a
 *      unit's project_id also changes only while none of its children has the old one;
 *    - an assignment's role, when it has a project_id, has its unit's; a unit's project_id changes
 *      only while no assignment's role disagrees; a role's project_id changes only while every unit
 *      it is assigned in has that project: triggers. The assignment's check first takes FOR SHARE on
 *      the role and the unit it reads, so a concurrent change of their project_id waits for it and
 *      then sees the new assignment (its own check runs under a fresh READ COMMITTED snapshot), or
 *      the check waits for that change and reads its result.
 *    Existing rows are not rewritten; docs/operations.md has the query that lists any mix.
 */
export class Migration20261201020000_people_search_and_projects extends Migration {
  override up(): void {
    this.addSql('create extension if not exists pg_trgm');
    for (const column of ['first_name', 'last_name', 'display_name', 'email']) {
      this.addSql(`create index person_${column}_trgm on person using gin (${column} gin_trgm_ops)`);
    }

    // A unit's parent has the same project_id, null included: a key that is never null (the nil uuid
    // stands for "no project") and a foreign key (parent_id, project_key) -> (id, project_key). The
    // database's own foreign-key locking settles every race: inserting or moving a child takes KEY
    // SHARE on its parent, and changing a unit's project changes a key, which waits for that and is
    // refused while any child still references the old one. A plain column kept by a trigger, not a
    // generated one: PostgreSQL counts a stored generated column as changed by every update, which
    // would make a rename a key update and deadlock two opposite re-parents (measured).
    // NOT VALID: rows that already mix are not checked, only new and changed ones.
    this.addSql(`alter table org_unit add column project_key uuid not null default '${NIL}'`);
    this.addSql('update org_unit set project_key = project_id where project_id is not null');
    this.addSql('alter table org_unit alter column project_key drop default');
    this.addSql(`
      create function org_unit_project_key() returns trigger language plpgsql as $$
      begin
        new.project_key := coalesce(new.project_id, '${NIL}');
        return new;
      end $$`);
    this.addSql(
      'create trigger org_unit_project_key before insert or update on org_unit for each row execute function org_unit_project_key()',
    );
    this.addSql('alter table org_unit add constraint org_unit_id_project_key_uniq unique (id, project_key)');
    this.addSql(
      'alter table org_unit add constraint org_unit_parent_project_fkey foreign key (parent_id, project_key) references org_unit (id, project_key) not valid',
    );
    this.addSql(`
      create function org_unit_same_project() returns trigger language plpgsql as $$
      begin
        if exists (
          select 1 from org_person a join org_role r on r.id = a.org_role_id
           where a.org_unit_id = new.id and r.project_id is not null and r.project_id is distinct from new.project_id
        ) then
          ${refuse('org_unit_assignments_same_project', 'org unit % has assignments with roles of another project than %', "new.id, coalesce(new.project_id::text, 'none')")};
        end if;
        return new;
      end $$`);
    this.addSql(`
      create trigger org_unit_same_project before update of project_id on org_unit
        for each row when (new.project_id is distinct from old.project_id) execute function org_unit_same_project()`);

    this.addSql(`
      create function org_person_role_same_project() returns trigger language plpgsql as $$
      declare
        role_project uuid;
        unit_project uuid;
      begin
        if new.org_role_id is null then
          return new;
        end if;
        select project_id into role_project from org_role where id = new.org_role_id for share;
        if not found or role_project is null then
          return new;
        end if;
        select project_id into unit_project from org_unit where id = new.org_unit_id for share;
        if found and unit_project is distinct from role_project then
          ${refuse('org_person_role_same_project', 'role % of project % cannot be held in unit % of project %', "new.org_role_id, role_project, new.org_unit_id, coalesce(unit_project::text, 'none')")};
        end if;
        return new;
      end $$`);
    this.addSql(`
      create trigger org_person_role_same_project before insert or update of org_unit_id, org_role_id on org_person
        for each row execute function org_person_role_same_project()`);

    this.addSql(`
      create function org_role_same_project() returns trigger language plpgsql as $$
      begin
        if new.project_id is not null and exists (
          select 1 from org_person a join org_unit u on u.id = a.org_unit_id
           where a.org_role_id = new.id and u.project_id is distinct from new.project_id
        ) then
          ${refuse('org_role_assignments_same_project', 'role % is held in units of another project than %', 'new.id, new.project_id')};
        end if;
        return new;
      end $$`);
    this.addSql(`
      create trigger org_role_same_project before update of project_id on org_role
        for each row when (new.project_id is distinct from old.project_id) execute function org_role_same_project()`);
  }

  override down(): void {
    this.addSql('drop trigger if exists org_role_same_project on org_role');
    this.addSql('drop function if exists org_role_same_project()');
    this.addSql('drop trigger if exists org_person_role_same_project on org_person');
    this.addSql('drop function if exists org_person_role_same_project()');
    this.addSql('drop trigger if exists org_unit_same_project on org_unit');
    this.addSql('drop function if exists org_unit_same_project()');
    this.addSql('alter table org_unit drop constraint if exists org_unit_parent_project_fkey');
    this.addSql('alter table org_unit drop constraint if exists org_unit_id_project_key_uniq');
    this.addSql('drop trigger if exists org_unit_project_key on org_unit');
    this.addSql('drop function if exists org_unit_project_key()');
    this.addSql('alter table org_unit drop column if exists project_key');
    for (const column of ['first_name', 'last_name', 'display_name', 'email']) this.addSql(`drop index if exists person_${column}_trgm`);
    // The pg_trgm extension stays: other objects of the database may use it.
  }
}
