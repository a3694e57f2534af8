import { Migration } from '@mikro-orm/migrations';

/**
 * The org chart (4HSE dialect): units (a tree), roles and assignments of people to units.
 * Foreign keys are NO ACTION on purpose: a plain delete must fail rather than take rows with it;
 * forced deletes remove the related rows explicitly in one transaction (see docs/cascades.md).
 * `unique ... nulls not distinct` needs PostgreSQL 15 or later.
 */
export class Migration20261122010000_org_chart extends Migration {
  override up(): void {
    this.addSql(`
      create table org_unit (
        id uuid primary key,
        code varchar(100) check (code is null or char_length(btrim(code)) > 0),
        name varchar(200) not null check (char_length(btrim(name)) > 0),
        description varchar(2000),
        parent_id uuid references org_unit (id),
        project_id uuid,
        valid_from timestamptz,
        valid_to timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint org_unit_not_own_parent check (parent_id is null or parent_id <> id),
        constraint org_unit_validity_check check (valid_from is null or valid_to is null or valid_to > valid_from)
      )`);
    this.addSql('create unique index org_unit_project_code_uniq on org_unit (project_id, code) nulls not distinct where code is not null');
    this.addSql('create index org_unit_parent_idx on org_unit (parent_id, id)');
    this.addSql('create index org_unit_project_idx on org_unit (project_id, id)');
    this.addSql('create index org_unit_name_idx on org_unit (name, id)');

    // The last line against cycles. Every change of parent_id takes one transaction-scoped advisory
    // lock, so re-parents are serialized and the ancestor walk below sees the moves committed before
    // it (a volatile function takes a fresh snapshot per statement under READ COMMITTED). Two opposite
    // concurrent moves therefore cannot both pass.
    this.addSql(`
      create function org_unit_prevent_cycle() returns trigger language plpgsql as $$
      begin
        if new.parent_id is null then
          return new;
        end if;
        perform pg_advisory_xact_lock(4242002);
        if exists (
          with recursive ancestors(id, parent_id) as (
            select id, parent_id from org_unit where id = new.parent_id
            union
            select u.id, u.parent_id from org_unit u join ancestors a on u.id = a.parent_id
          )
          select 1 from ancestors where id = new.id
        ) then
          raise exception 'moving org unit % under % would create a cycle', new.id, new.parent_id
            using errcode = 'check_violation', constraint = 'org_unit_no_cycle';
        end if;
        return new;
      end $$`);
    this.addSql(`
      create trigger org_unit_prevent_cycle before update of parent_id on org_unit
        for each row when (new.parent_id is distinct from old.parent_id) execute function org_unit_prevent_cycle()`);

    this.addSql(`
      create table org_role (
        id uuid primary key,
        code varchar(100) check (code is null or char_length(btrim(code)) > 0),
        name varchar(200) not null check (char_length(btrim(name)) > 0),
        description varchar(2000),
        project_id uuid,
        valid_from timestamptz,
        valid_to timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint org_role_validity_check check (valid_from is null or valid_to is null or valid_to > valid_from)
      )`);
    this.addSql('create unique index org_role_project_code_uniq on org_role (project_id, code) nulls not distinct where code is not null');
    this.addSql('create index org_role_name_idx on org_role (name, id)');

    this.addSql(`
      create table org_person (
        id uuid primary key,
        person_id uuid not null references person (id),
        org_unit_id uuid not null references org_unit (id),
        org_role_id uuid references org_role (id),
        valid_from timestamptz,
        valid_to timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint org_person_validity_check check (valid_from is null or valid_to is null or valid_to > valid_from)
      )`);
    // One open (not historicized) assignment per person, unit and role (a null role counts as a value).
    this.addSql(
      'create unique index org_person_active_uniq on org_person (person_id, org_unit_id, org_role_id) nulls not distinct where valid_to is null',
    );
    this.addSql('create index org_person_unit_idx on org_person (org_unit_id, id)');
    this.addSql('create index org_person_person_idx on org_person (person_id, id)');
    this.addSql('create index org_person_role_idx on org_person (org_role_id, id)');
  }

  override down(): void {
    this.addSql('drop table if exists org_person');
    this.addSql('drop table if exists org_role');
    this.addSql('drop trigger if exists org_unit_prevent_cycle on org_unit');
    this.addSql('drop table if exists org_unit');
    this.addSql('drop function if exists org_unit_prevent_cycle()');
  }
}
