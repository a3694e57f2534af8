import { Migration } from '@mikro-orm/migrations';

/**
 * The change log (contract section 10.1; docs/decisions.md, "Change log"): statement-level AFTER
 * triggers on person, org_unit, org_role and org_person append one event per changed entity in the
 * writing transaction, fed the actor and request id through transaction-local settings
 * (src/database/write-context-subscriber.ts). Positions in the feed are handed out at commit: each
 * writing transaction gets one `change_tx` row whose deferred constraint trigger, under one
 * transaction-scoped advisory lock held until the commit is visible, takes the next position. So
 * positions grow in commit order and a reader never sees position n+1 before position n.
 */

interface EntityLog {
  table: string;
  entity: string;
  id: string;
  /** Document field -> SQL expression over the row alias `r`. */
  fields: [string, string][];
  /** Fields that never count as a change by themselves. */
  ignored: string[];
  validTo: string;
}

const iso = (column: string) => `change_iso(r.${column})`;

const LOGS: EntityLog[] = [
  {
    table: 'person',
    entity: 'person',
    id: 'id',
    fields: [
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
      ['validFrom', iso('valid_from')],
      ['validTo', iso('valid_to')],
      ['createdAt', iso('created_at')],
      ['updatedAt', iso('updated_at')],
    ],
    ignored: ['createdAt', 'updatedAt'],
    validTo: 'validTo',
  },
  {
    table: 'org_unit',
    entity: 'org-unit',
    id: 'id',
    fields: [
      ['org_unit_id', 'r.id'],
      ['code', 'r.code'],
      ['name', 'r.name'],
      ['description', 'r.description'],
      ['parent_org_unit_id', 'r.parent_id'],
      ['project_id', 'r.project_id'],
      ['valid_from', iso('valid_from')],
      ['valid_to', iso('valid_to')],
    ],
    ignored: [],
    validTo: 'valid_to',
  },
  {
    table: 'org_role',
    entity: 'org-role',
    id: 'id',
    fields: [
      ['org_role_id', 'r.id'],
      ['code', 'r.code'],
      ['name', 'r.name'],
      ['description', 'r.description'],
      ['project_id', 'r.project_id'],
      ['valid_from', iso('valid_from')],
      ['valid_to', iso('valid_to')],
    ],
    ignored: [],
    validTo: 'valid_to',
  },
  {
    table: 'org_person',
    entity: 'org-person',
    id: 'id',
    fields: [
      ['org_person_id', 'r.id'],
      ['person_id', 'r.person_id'],
      ['org_unit_id', 'r.org_unit_id'],
      ['org_role_id', 'r.org_role_id'],
      ['valid_from', iso('valid_from')],
      ['valid_to', iso('valid_to')],
    ],
    ignored: [],
    validTo: 'valid_to',
  },
];

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** jsonb of the row aliased `alias` in the entity's own dialect. */
function documentOf(log: EntityLog, alias: string): string {
  const pairs = log.fields.map(([name, expr]) => `${quote(name)}, ${expr.replace(/\br\./g, `${alias}.`)}`);
  return `jsonb_build_object(${pairs.join(', ')})`;
}

const ACTOR = `coalesce(nullif(current_setting('organigram.actor', true), '')::jsonb, '{"token_id": null, "token_name": null, "role": null}'::jsonb)`;
const REQUEST_ID = `nullif(current_setting('organigram.request_id', true), '')`;
const COLUMNS = 'xid, actor, request_id, entity, entity_id, op, changed, before, after';

function triggerFunction(log: EntityLog): string {
  const keys = `array[${log.fields
    .map(([name]) => name)
    .filter((name) => !log.ignored.includes(name))
    .map(quote)
    .join(', ')}]::text[]`;
  const all = `array[${log.fields.map(([name]) => quote(name)).join(', ')}]::text[]`;
  const entity = quote(log.entity);
  return `
    create function change_log_${log.table}() returns trigger language plpgsql as $fn$
    declare
      appended bigint;
    begin
      if tg_op = 'INSERT' then
        insert into change_event (${COLUMNS})
        select pg_current_xact_id(), ${ACTOR}, ${REQUEST_ID}, ${entity}, n.${log.id}, 'create', ${all}, null, ${documentOf(log, 'n')}
        from new_rows n;
      elsif tg_op = 'DELETE' then
        insert into change_event (${COLUMNS})
        select pg_current_xact_id(), ${ACTOR}, ${REQUEST_ID}, ${entity}, o.${log.id}, 'delete', ${all}, ${documentOf(log, 'o')}, null
        from old_rows o;
      else
        -- Materialized: each document is built once per row (inlined, PostgreSQL would rebuild both
        -- for every field compared: 26 times per row).
        with d as materialized (
          select n.${log.id} as id, ${documentOf(log, 'o')} as b, ${documentOf(log, 'n')} as a
          from old_rows o join new_rows n on n.${log.id} = o.${log.id}
        ), c as materialized (
          select d.id, d.b, d.a, array(
            select k from unnest(${keys}) with ordinality as u(k, i)
            where d.a -> k is distinct from d.b -> k order by i
          ) as changed
          from d
        )
        insert into change_event (${COLUMNS})
        select pg_current_xact_id(), ${ACTOR}, ${REQUEST_ID}, ${entity}, c.id,
               case when c.changed = array[${quote(log.validTo)}]::text[] and c.a ->> ${quote(log.validTo)} is not null
                    then 'historicize' else 'update' end,
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

export class Migration20261201050000_change_log extends Migration {
  override up(): void {
    this.addSql(`
      create function change_iso(t timestamptz) returns text language sql immutable parallel safe as $$
        select to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      $$`);

    // One row per writing transaction. position and committed_at are set at commit (below).
    this.addSql(`
      create table change_tx (
        xid xid8 primary key,
        position bigint unique,
        committed_at timestamptz
      )`);
    this.addSql('create index change_tx_committed_at_idx on change_tx (committed_at) where position is not null');
    this.addSql('create sequence change_position_seq');

    // One row per changed entity. seq orders events within their transaction.
    this.addSql(`
      create table change_event (
        xid xid8 not null,
        seq bigint generated always as identity,
        actor jsonb not null,
        request_id text,
        entity text not null check (entity in ('person', 'org-unit', 'org-role', 'org-person')),
        entity_id uuid not null,
        op text not null check (op in ('create', 'update', 'historicize', 'delete')),
        changed text[] not null,
        before jsonb,
        after jsonb,
        primary key (xid, seq)
      )`);
    // The feed filtered by entity id, and the planned as_of reads (an entity's state at an instant).
    this.addSql('create index change_event_entity_idx on change_event (entity_id, xid, seq)');

    // Retention: everything up to trimmed_through may be gone; a cursor at or before it is a 410.
    this.addSql(`
      create table change_log_state (
        id int primary key check (id = 1),
        trimmed_through bigint not null default 0
      )`);
    this.addSql('insert into change_log_state (id) values (1)');

    // Commit-time positions. Runs once per writing transaction, as its last deferred trigger; the
    // advisory lock is released only after the commit is visible to others, so the next
    // transaction's position is taken after this one became visible.
    this.addSql(`
      create function change_tx_commit() returns trigger language plpgsql as $$
      begin
        perform pg_advisory_xact_lock(4242011);
        update change_tx set position = nextval('change_position_seq'), committed_at = clock_timestamp() where xid = new.xid;
        return null;
      end $$`);
    this.addSql(`
      create constraint trigger change_tx_commit after insert on change_tx
        deferrable initially deferred for each row execute function change_tx_commit()`);

    for (const log of LOGS) {
      this.addSql(triggerFunction(log));
      this.addSql(
        `create trigger change_log_${log.table}_insert after insert on ${log.table} referencing new table as new_rows for each statement execute function change_log_${log.table}()`,
      );
      this.addSql(
        `create trigger change_log_${log.table}_update after update on ${log.table} referencing old table as old_rows new table as new_rows for each statement execute function change_log_${log.table}()`,
      );
      this.addSql(
        `create trigger change_log_${log.table}_delete after delete on ${log.table} referencing old table as old_rows for each statement execute function change_log_${log.table}()`,
      );
    }

    this.addSql(`
      create table webhook (
        id uuid primary key,
        url varchar(2048) not null,
        events text[] not null,
        description varchar(500),
        secret text not null,
        created_by uuid,
        created_at timestamptz not null default now()
      )`);
    this.addSql(`
      create table webhook_delivery (
        id bigint generated always as identity primary key,
        webhook_id uuid not null references webhook (id) on delete cascade,
        event_id text not null,
        attempt int not null,
        status_code int,
        error text,
        at timestamptz not null default now()
      )`);
    this.addSql('create index webhook_delivery_webhook_idx on webhook_delivery (webhook_id, id desc)');
    // How far the webhook dispatcher has followed the change log (one row, locked by the dispatcher).
    this.addSql(`
      create table webhook_dispatch (
        id int primary key check (id = 1),
        position bigint not null,
        seq bigint not null
      )`);
    this.addSql(`insert into webhook_dispatch (id, position, seq) values (1, (select coalesce(max(position), 0) from change_tx), 0)`);
  }

  override down(): void {
    this.addSql('drop table if exists webhook_dispatch');
    this.addSql('drop table if exists webhook_delivery');
    this.addSql('drop table if exists webhook');
    for (const log of LOGS) {
      for (const op of ['insert', 'update', 'delete']) this.addSql(`drop trigger if exists change_log_${log.table}_${op} on ${log.table}`);
      this.addSql(`drop function if exists change_log_${log.table}()`);
    }
    this.addSql('drop table if exists change_log_state');
    this.addSql('drop table if exists change_event');
    this.addSql('drop table if exists change_tx');
    this.addSql('drop function if exists change_tx_commit()');
    this.addSql('drop sequence if exists change_position_seq');
    this.addSql('drop function if exists change_iso(timestamptz)');
  }
}
