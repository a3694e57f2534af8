import { Migration } from '@mikro-orm/migrations';

/**
 * An update's change event is written by the row trigger that already writes its history row (issue 11
 * point 9; docs/decisions.md, "Updates are logged per row").
 *
 * Measured in instructions (callgrind on a single-user PostgreSQL, 1,500 one-row person updates, each
 * its own transaction: docs/performance.md), the log added 730,000 instructions to an update of 705,000.
 * Most of it was fixed cost per statement, not the event: the statement-level trigger's call (with its
 * `set enable_nestloop`), the start of a plan joining the two transition tables through a CTE, and the
 * two manager-email subqueries, whose presence makes PostgreSQL walk the whole statement at every
 * execution to lock what it reads. The BEFORE UPDATE row trigger `<table>_z_history` runs for every
 * updated row anyway and already decides whether the row really changed; it now also writes the event
 * with one `insert ... values` of the same documents, and compares the whole row only when no field of
 * the documents changed: 149,000 instructions fewer per update (-20%), with `change_tx_first()` below.
 *
 * What stays the same: the event's every field (the documents are built as by
 * Migration20261202010000_log_cost3, the changed fields in the same order by the same comparisons, a
 * no-op appends nothing); one event per changed row, in the order the rows are updated, in the
 * statement's transaction. Inserts and deletes stay statement-level (a sync's 100,000 new people are
 * one statement). A statement that updates many rows now pays per row: PostgreSQL runs the row trigger
 * and its two inserts for each of them, linear in the rows (a re-sync of 1,000 changed people, issue 13).
 * `change_log_<table>()` keeps its update branch for the down migration; no trigger calls it for updates,
 * so it loses `set enable_nestloop = off` (Migration20261201134000_trigger_plans), which was there for
 * that branch's join only: the insert and delete statements join nothing, and saving and restoring
 * the setting around each call cost a one-row create 8,000 instructions.
 *
 * Visibility: the managers' emails are read when the row is updated, in the statement's snapshot plus
 * the rows the same statement updated before it (PostgreSQL's rule for row triggers); the
 * statement-level trigger read them after the whole statement. They differ only for a statement that
 * changes a manager's email and a report of that manager at once, which no route of ours issues.
 */

interface Log {
  table: string;
  /** Document field -> column, or `iso:` column (a time, shown to the millisecond), or `lookup:` name. */
  fields: [string, string][];
  /** Fields that never count as a change by themselves. */
  ignored: string[];
  validTo: string;
  /** How a field is compared when not as its column: `managerEmail` differs exactly when `managerId` does. */
  comparedAs?: Record<string, string>;
}

const LOGS: Log[] = [
  {
    table: 'person',
    fields: [
      ['id', 'id'],
      ['email', 'email'],
      ['firstName', 'first_name'],
      ['lastName', 'last_name'],
      ['displayName', 'display_name'],
      ['externalId', 'external_id'],
      ['organization', 'organization'],
      ['business', 'business'],
      ['department', 'department'],
      ['group', 'group_name'],
      ['team', 'team'],
      ['managerId', 'manager_id'],
      ['managerEmail', 'lookup:manager_email'],
      ['validFrom', 'iso:valid_from'],
      ['validTo', 'iso:valid_to'],
      ['createdAt', 'iso:created_at'],
      ['updatedAt', 'iso:updated_at'],
    ],
    ignored: ['createdAt', 'updatedAt'],
    validTo: 'validTo',
    comparedAs: { managerEmail: 'manager_id' },
  },
  {
    table: 'org_unit',
    fields: [
      ['org_unit_id', 'id'],
      ['code', 'code'],
      ['name', 'name'],
      ['description', 'description'],
      ['parent_org_unit_id', 'parent_id'],
      ['project_id', 'project_id'],
      ['external_id', 'external_id'],
      ['valid_from', 'iso:valid_from'],
      ['valid_to', 'iso:valid_to'],
    ],
    ignored: [],
    validTo: 'valid_to',
  },
  {
    table: 'org_role',
    fields: [
      ['org_role_id', 'id'],
      ['code', 'code'],
      ['name', 'name'],
      ['description', 'description'],
      ['project_id', 'project_id'],
      ['valid_from', 'iso:valid_from'],
      ['valid_to', 'iso:valid_to'],
    ],
    ignored: [],
    validTo: 'valid_to',
  },
  {
    table: 'org_person',
    fields: [
      ['org_person_id', 'id'],
      ['person_id', 'person_id'],
      ['org_unit_id', 'org_unit_id'],
      ['org_role_id', 'org_role_id'],
      ['valid_from', 'iso:valid_from'],
      ['valid_to', 'iso:valid_to'],
    ],
    ignored: [],
    validTo: 'valid_to',
  },
];

const ACTOR = `coalesce(nullif(current_setting('organigram.actor', true), '')::jsonb, '{"token_id": null, "token_name": null, "role": null}'::jsonb)`;
const REQUEST_ID = `nullif(current_setting('organigram.request_id', true), '')`;
const COLUMNS = 'xid, actor, request_id, entity, entity_id, op, changed, before, after';
const ENTITY: Record<string, string> = { person: 'person', org_unit: 'org-unit', org_role: 'org-role', org_person: 'org-person' };

/** A field's value in the document of `side` (`old` or `new`): every value is a string or null. */
function valueOf(column: string, side: string): string {
  if (column.startsWith('iso:')) return `change_iso(${side}.${column.slice(4)})`;
  if (column.startsWith('lookup:')) return `${side}_${column.slice(7)}`;
  return `${side}.${column}::text`;
}

const documentOf = (log: Log, side: string) =>
  `jsonb_object(array[${log.fields.map(([name]) => `'${name}'`).join(', ')}]::text[], array[${log.fields
    .map(([, column]) => valueOf(column, side))
    .join(', ')}])`;

/** The fields whose values differ, in the fields' order (as Migration20261202010000_log_cost3 compares them). */
function changedOf(log: Log): string {
  const differs = log.fields
    .filter(([name]) => !log.ignored.includes(name))
    .map(([name, column]) => {
      const by = log.comparedAs?.[name] ?? column;
      const side = (s: string) => (by.startsWith('iso:') ? `date_trunc('milliseconds', ${s}.${by.slice(4)})` : `${s}.${by}`);
      return `case when ${side('old')} is distinct from ${side('new')} then '${name}' end`;
    });
  return `array_remove(array[${differs.join(', ')}]::text[], null)`;
}

/** The history row as Migration20261201090000_as_of wrote it (the down migration's function). */
function historyOnly(table: string): string {
  return `create or replace function ${table}_history_update() returns trigger language plpgsql as $$
        declare
          probe ${table};
          past ${table};
        begin
          probe := new;
          probe.updated_at := old.updated_at;
          probe.version := old.version;
          probe.sys_from := old.sys_from;
          probe.sys_to := old.sys_to;
          new.sys_to := null;
          if probe is not distinct from old then
            new.sys_from := old.sys_from;
            return new;
          end if;
          new.sys_from := greatest(history_clock(), old.sys_from);
          past := old;
          past.sys_to := new.sys_from;
          insert into ${table}_history select (past).*;
          return new;
        end $$`;
}

/** The history row and the change event of one updated row. */
function historyAndEvent(log: Log): string {
  const table = log.table;
  // Only the person has a looked-up field: its manager's email, read once when the manager is the same.
  const lookups =
    table === 'person'
      ? `
          if new.manager_id is not null then
            select m.email into new_manager_email from person m where m.id = new.manager_id;
          end if;
          if old.manager_id is not distinct from new.manager_id then
            old_manager_email := new_manager_email;
          elsif old.manager_id is not null then
            select m.email into old_manager_email from person m where m.id = old.manager_id;
          end if;`
      : '';
  const declarations = table === 'person' ? '\n          old_manager_email text;\n          new_manager_email text;' : '';
  const validTo = log.fields.find(([name]) => name === log.validTo)![1].slice('iso:'.length);
  return `create or replace function ${table}_history_update() returns trigger language plpgsql as $$
        declare
          probe ${table};
          past ${table};
          changed_fields text[];${declarations}
        begin
          -- The fields of the documents that changed (Migration20261202070000_row_update_log). When
          -- one did, the row changed; when none did, the row may still have (created_at, a time
          -- moved within its millisecond): the whole row is compared, updated_at, version and the
          -- system times aside, as Migration20261201090000_as_of does.
          changed_fields := ${changedOf(log)};
          new.sys_to := null;
          if cardinality(changed_fields) = 0 then
            probe := new;
            probe.updated_at := old.updated_at;
            probe.version := old.version;
            probe.sys_from := old.sys_from;
            probe.sys_to := old.sys_to;
            if probe is not distinct from old then
              new.sys_from := old.sys_from;
              return new;
            end if;
          end if;
          new.sys_from := greatest(history_clock(), old.sys_from);
          past := old;
          past.sys_to := new.sys_from;
          insert into ${table}_history select (past).*;
          -- No event when no field of the documents changed.
          if cardinality(changed_fields) = 0 then
            return new;
          end if;${lookups}
          insert into change_event (${COLUMNS})
          values (pg_current_xact_id(), ${ACTOR}, ${REQUEST_ID}, '${ENTITY[table]}', new.id,
                  case when changed_fields = array['${log.validTo}']::text[] and new.${validTo} is not null
                       then 'historicize' else 'update' end,
                  changed_fields, ${documentOf(log, 'old')}, ${documentOf(log, 'new')});
          return new;
        end $$`;
}

/** Whether the transaction's first event: `set_config` as an assignment, not `perform` (a query of its own). */
const CHANGE_TX_FIRST = `create or replace function change_tx_first() returns boolean language plpgsql as $$
      declare
        ignored text;
      begin
        if current_setting('organigram.change_tx_queued', true) = 'on' then
          return false;
        end if;
        ignored := set_config('organigram.change_tx_queued', 'on', true);
        return true;
      end $$`;

/** change_tx_first() as Migration20261201112000_log_cost wrote it. */
const CHANGE_TX_FIRST_BEFORE = `create or replace function change_tx_first() returns boolean language plpgsql as $$
      begin
        if current_setting('organigram.change_tx_queued', true) = 'on' then
          return false;
        end if;
        perform set_config('organigram.change_tx_queued', 'on', true);
        return true;
      end $$`;

export class Migration20261202070000_row_update_log extends Migration {
  override up(): void {
    this.addSql(CHANGE_TX_FIRST);
    for (const log of LOGS) {
      this.addSql(historyAndEvent(log));
      this.addSql(`drop trigger change_log_${log.table}_update on ${log.table}`);
      // The setting kept the update branch's join hashed (Migration20261201134000_trigger_plans); the
      // insert and delete statements join nothing (8,000 instructions per one-row create, measured).
      this.addSql(`alter function change_log_${log.table}() reset enable_nestloop`);
      this.addSql(
        `comment on function change_log_${log.table}() is 'Appends the change events of an insert or a delete statement on ${log.table}; an update''s are appended per row by ${log.table}_history_update() (Migration20261202070000_row_update_log).'`,
      );
    }
  }

  override down(): void {
    this.addSql(CHANGE_TX_FIRST_BEFORE);
    for (const log of LOGS) {
      this.addSql(historyOnly(log.table));
      this.addSql(
        `create trigger change_log_${log.table}_update after update on ${log.table} referencing old table as old_rows new table as new_rows for each statement execute function change_log_${log.table}()`,
      );
      this.addSql(`alter function change_log_${log.table}() set enable_nestloop = off`);
      this.addSql(`comment on function change_log_${log.table}() is null`);
    }
  }
}
