import { Migration } from '@mikro-orm/migrations';

/**
 * managerEmail in bulk sync people rows (docs/decisions.md, "Bulk sync: managerEmail"):
 * - sync_person gains manager_email (as given) and manager_id (resolved after the people are planned:
 *   a stored person or one the job creates), and an index on target_id (the set-wise loop check walks
 *   the job's final managers through it).
 * - person_prevent_manager_cycle (Migration20261201080000) is replaced: same lock and walk, but a
 *   transaction that set `organigram.manager_cycle_checked` to 'on' (a sync job, for its one update
 *   statement, after checking the final state set-wise under the table locks) skips the walk, which
 *   row by row would see half-applied managers and refuse a swap wrongly.
 */
const CHECK = (skip: boolean) => `
      create or replace function person_prevent_manager_cycle() returns trigger language plpgsql as $$
      begin
        perform pg_advisory_xact_lock(4242003);${
          skip
            ? `
        if current_setting('organigram.manager_cycle_checked', true) = 'on' then
          return new;
        end if;`
            : ''
        }
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
      end $$`;

export class Migration20261201100000_sync_manager extends Migration {
  override up(): void {
    this.addSql('alter table sync_person add column manager_email varchar(254), add column manager_id uuid');
    this.addSql('create index sync_person_target_idx on sync_person (target_id) where target_id is not null');
    this.addSql(CHECK(true));
  }

  override down(): void {
    this.addSql(CHECK(false));
    this.addSql('drop index if exists sync_person_target_idx');
    this.addSql('alter table sync_person drop column if exists manager_id, drop column if exists manager_email');
  }
}
