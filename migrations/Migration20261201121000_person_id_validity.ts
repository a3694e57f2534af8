import { Migration } from '@mikro-orm/migrations';

/**
 * The people list's deep pages and exact count at 1,000,000 people (issue 10, points 2 and 4;
 * docs/performance.md, "Deep pages and the exact count at 1,000,000 people").
 *
 * 1. `person_id_validity_idx`: the id with the two validity columns. The default list (active people,
 *    ordered by id) walks its offset as an index-only scan of it and reads only the page's rows by
 *    primary key (PersonRepository.list): page 901, 1,140 ms -> 31 ms for the page part at 100,000.
 * 2. `person_last_id_validity_idx`: the same for `sort=lastName` (`last_name, id`): the first page is
 *    the first 100 index entries instead of an incremental sort of the whole first last name.
 * 3. `person_count`: the exact number of rows of `person`, kept as deltas. A statement-level trigger
 *    adds one row per INSERT or DELETE statement (+ or - the rows it touched, from its transition
 *    table) in the writer's own transaction, so the sum of the rows a snapshot sees is exactly the
 *    `count(*)` of `person` in that snapshot (both commit together, or neither). The same trigger folds
 *    the rows no other transaction holds into one (FOR UPDATE SKIP LOCKED: writers never wait for
 *    each other here), so the table stays a few rows. TRUNCATE empties it. The unfiltered list's
 *    exact total is then this sum minus the inactive people found through the partial indexes on
 *    valid_from and valid_to (a few percent), instead of a scan of the million rows: 332 ms -> ~3 ms.
 */
export class Migration20261201121000_person_id_validity extends Migration {
  override up(): void {
    this.addSql('set local statement_timeout = 0');
    this.addSql('create index person_id_validity_idx on person (id) include (valid_from, valid_to)');
    this.addSql('create index person_last_id_validity_idx on person (last_name, id) include (valid_from, valid_to)');

    this.addSql(
      'create table person_count (n bigint not null) with (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000)',
    );
    this.addSql(`
      create function person_count_change() returns trigger language plpgsql as $$
      declare
        delta bigint;
      begin
        if tg_op = 'INSERT' then
          select count(*) into delta from new_rows;
        else
          select -count(*) into delta from old_rows;
        end if;
        if delta = 0 then
          return null;
        end if;
        -- Fold every row no other transaction holds into one with this delta. Only under READ COMMITTED
        -- (the application's level): a stricter level would fail on a row another fold just deleted.
        if current_setting('transaction_isolation') <> 'read committed' then
          insert into person_count (n) values (delta);
          return null;
        end if;
        with folded as (
          delete from person_count where ctid in (select ctid from person_count for update skip locked) returning n
        )
        insert into person_count (n) select coalesce(sum(n), 0) + delta from folded;
        return null;
      end $$`);
    this.addSql(`
      create function person_count_truncate() returns trigger language plpgsql as $$
      begin
        delete from person_count;
        return null;
      end $$`);
    this.addSql(
      'create trigger person_count_insert after insert on person referencing new table as new_rows for each statement execute function person_count_change()',
    );
    this.addSql(
      'create trigger person_count_delete after delete on person referencing old table as old_rows for each statement execute function person_count_change()',
    );
    this.addSql(
      'create trigger person_count_truncate after truncate on person for each statement execute function person_count_truncate()',
    );
    // After the triggers: creating them locks out writers until this migration commits, so no row is missed.
    this.addSql('insert into person_count (n) select count(*) from only person');
  }

  override down(): void {
    this.addSql('drop trigger person_count_truncate on person');
    this.addSql('drop trigger person_count_delete on person');
    this.addSql('drop trigger person_count_insert on person');
    this.addSql('drop function person_count_truncate()');
    this.addSql('drop function person_count_change()');
    this.addSql('drop table person_count');
    this.addSql('drop index person_last_id_validity_idx');
    this.addSql('drop index person_id_validity_idx');
  }
}
