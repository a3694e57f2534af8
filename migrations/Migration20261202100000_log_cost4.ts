import { Migration } from '@mikro-orm/migrations';

/**
 * Two cuts in what an update's log costs (issue 11 point 9; docs/performance.md, "The log's
 * instructions, part by part"), measured in instructions per committed one-row person update
 * (callgrind, the method of docs/performance.md): 585,000 before, 548,000 after (each cut below
 * measured alone).
 *
 * - The two documents of an update's event pass their keys in jsonb's own order (shorter first, then
 *   bytewise): jsonb sorts an object's keys whatever order they come in, so the stored documents are
 *   the same bytes, and its sort finds them in order (-26,000). The documents read back with their
 *   keys in jsonb's order, as they always did; `changed` keeps the fields' order (built as before).
 * - `person_history_0_idx` (`id`) goes: `person_history_id_open_idx` (`id`, open end) starts with the
 *   same column and answers every probe by id (-10,000, and one index entry at a random place fewer
 *   per logged update). The as-of reads were measured again (docs/performance.md).
 *
 * The functions are generated as Migration20261202070000_row_update_log generated them (its text
 * copied, not imported: a migration is a frozen snapshot); the down migration restores that text.
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

/**
 * jsonb's own order of an object's keys: shorter first, then by their bytes (PostgreSQL's
 * lengthCompareJsonbString; every key here is ASCII, so a JS string compare is a byte compare).
 */
const jsonbOrder = ([a]: [string, string], [b]: [string, string]) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

/**
 * The document of `side` (`old` or `new`). `sorted`: its keys passed in jsonb's order (this
 * migration), which stores the same jsonb (jsonb sorts the keys whatever order they come in) and
 * spares the sort; else in the fields' order (Migration20261202070000_row_update_log's text).
 */
const documentOf = (log: Log, side: string, sorted: boolean) => {
  const fields = sorted ? [...log.fields].sort(jsonbOrder) : log.fields;
  return `jsonb_object(array[${fields.map(([name]) => `'${name}'`).join(', ')}]::text[], array[${fields
    .map(([, column]) => valueOf(column, side))
    .join(', ')}])`;
};

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

/** The history row and the change event of one updated row. */
function historyAndEvent(log: Log, sorted: boolean): string {
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
                  changed_fields, ${documentOf(log, 'old', sorted)}, ${documentOf(log, 'new', sorted)});
          return new;
        end $$`;
}

export class Migration20261202100000_log_cost4 extends Migration {
  override up(): void {
    for (const log of LOGS) this.addSql(historyAndEvent(log, true));
    this.addSql('drop index person_history_0_idx');
  }

  override down(): void {
    this.addSql('set local statement_timeout = 0');
    this.addSql('create index person_history_0_idx on person_history (id)');
    for (const log of LOGS) this.addSql(historyAndEvent(log, false));
  }
}
