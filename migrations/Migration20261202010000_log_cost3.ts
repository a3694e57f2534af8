import { Migration } from '@mikro-orm/migrations';

/**
 * The change log's cost per update, once more (issue 11 point 9; docs/decisions.md, "What an update's
 * event costs"). Measured in instructions (callgrind on a single-user PostgreSQL, 1,500 one-row person
 * updates: docs/performance.md), the log added about 785,000 instructions to an update of about
 * 650,000; three parts of it were not the event itself (593,000 after this migration, -24%):
 *
 * 1. `changed` was found by looking every field up in both documents (`d.a -> k`), through a correlated
 *    subquery over the field names, sorted back into their order: 52,000 instructions per update. It is
 *    now one array of the fields whose columns differ, in the fields' order, built in the statement
 *    that builds the documents. Same answer: a text or uuid field differs in the document exactly when
 *    its column does (varchar with deterministic collations, uuid); a timestamp field differs when its
 *    value truncated to the millisecond does (the document shows milliseconds, `change_iso`); a
 *    person's `managerEmail` differs exactly when `managerId` does (both are read in the same snapshot,
 *    emails are unique, and a manager exists).
 * 2. The CHECK constraints of `change_event.entity` and `change_event.op` were read back from their
 *    stored text and planned again at each statement that inserts events (PostgreSQL prepares a
 *    table's CHECK constraints per statement): 81,000 instructions per update. They become domains,
 *    whose constraints PostgreSQL keeps planned per session: the same rule, 9,000 instructions.
 * 3. The documents were built with `jsonb_build_object`, which looks up the output function of each
 *    argument's type at every call (34 per update). Every value of every document is a string or null
 *    (uuids, texts, `change_iso` times), so `jsonb_object(names, values::text)` builds the same jsonb
 *    from two text arrays: 78,000 instructions fewer. In all three statements of each function.
 *
 * Each `change_log_<table>()` is rewritten in place: the function's text is taken from the catalog (so
 * its `set enable_nestloop = off` stays) and its update statement and two documents replaced; the
 * migration fails unless it finds each exactly once.
 */

interface Log {
  table: string;
  /** Document field -> column (a bare name) or expression over `#` (the row's alias). */
  fields: [string, string][];
  /** Fields that never count as a change by themselves. */
  ignored: string[];
  validTo: string;
  /** How a field is compared when not as its column: `managerEmail` differs exactly when `managerId` does. */
  comparedAs?: Record<string, string>;
}

const iso = (column: string) => `change_iso(#.${column})`;

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
      ['managerEmail', '(select m.email from person m where m.id = #.manager_id)'],
      ['validFrom', iso('valid_from')],
      ['validTo', iso('valid_to')],
      ['createdAt', iso('created_at')],
      ['updatedAt', iso('updated_at')],
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
      ['valid_from', iso('valid_from')],
      ['valid_to', iso('valid_to')],
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
      ['valid_from', iso('valid_from')],
      ['valid_to', iso('valid_to')],
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
      ['valid_from', iso('valid_from')],
      ['valid_to', iso('valid_to')],
    ],
    ignored: [],
    validTo: 'valid_to',
  },
];

const ACTOR = `coalesce(nullif(current_setting('organigram.actor', true), '')::jsonb, '{"token_id": null, "token_name": null, "role": null}'::jsonb)`;
const REQUEST_ID = `nullif(current_setting('organigram.request_id', true), '')`;
const COLUMNS = 'xid, actor, request_id, entity, entity_id, op, changed, before, after';
const ENTITY: Record<string, string> = { person: 'person', org_unit: 'org-unit', org_role: 'org-role', org_person: 'org-person' };

const expressionOf = (column: string, alias: string) => (/^[a-z_]+$/.test(column) ? `${alias}.${column}` : column.replace(/#/g, alias));
/** A document as the earlier migrations built it: `jsonb_build_object` of names and values. */
const documentOf = (log: Log, alias: string) =>
  `jsonb_build_object(${log.fields.map(([name, column]) => `'${name}', ${expressionOf(column, alias)}`).join(', ')})`;
/** The same document from two text arrays (every value of every document is a string or null). */
const textDocumentOf = (log: Log, alias: string) =>
  `jsonb_object(array[${log.fields.map(([name]) => `'${name}'`).join(', ')}]::text[], array[${log.fields
    .map(([, column]) => `${expressionOf(column, alias)}::text`)
    .join(', ')}])`;
const compared = (log: Log) => log.fields.filter(([name]) => !log.ignored.includes(name));

/** Where the rewritten statement starts and ends in both versions (their own first and last words). */
const START = 'with d as materialized (';
const OLD_END = 'where cardinality(c.changed) > 0;';
const NEW_END = 'where cardinality(d.changed) > 0;';

/** The update statement before this migration (Migration20261201050000_change_log's template). */
function oldUpdate(log: Log): string {
  const keys = `array[${compared(log)
    .map(([name]) => `'${name}'`)
    .join(', ')}]::text[]`;
  return `${START}
          select n.id, ${documentOf(log, 'o')} as b, ${documentOf(log, 'n')} as a
          from old_rows o join new_rows n on n.id = o.id
        ), c as materialized (
          select d.id, d.b, d.a, array(
            select k from unnest(${keys}) with ordinality as u(k, i)
            where d.a -> k is distinct from d.b -> k order by i
          ) as changed
          from d
        )
        insert into change_event (${COLUMNS})
        select pg_current_xact_id(), ${ACTOR}, ${REQUEST_ID}, '${ENTITY[log.table]}', c.id,
               case when c.changed = array['${log.validTo}']::text[] and c.a ->> '${log.validTo}' is not null then 'historicize' else 'update' end,
               c.changed, c.b, c.a
        from c
        ${OLD_END}`;
}

/** The update statement of this migration: the changed fields from the columns, in the same statement as the documents. */
function newUpdate(log: Log): string {
  const differs = compared(log).map(([name, column]) => {
    const by = log.comparedAs?.[name] ?? column;
    const timestamp = by.startsWith('change_iso(');
    const side = (alias: string) =>
      timestamp ? `date_trunc('milliseconds', ${alias}.${by.slice('change_iso(#.'.length, -1)})` : expressionOf(by, alias);
    return `case when ${side('o')} is distinct from ${side('n')} then '${name}' end`;
  });
  return `${START}
          -- Each document built once per row (inlined, PostgreSQL would build them again for every
          -- use); the changed fields from the columns, in the fields' order (Migration20261202010000).
          select n.id, ${textDocumentOf(log, 'o')} as b, ${textDocumentOf(log, 'n')} as a,
                 array_remove(array[${differs.join(', ')}]::text[], null) as changed
          from old_rows o join new_rows n on n.id = o.id
        )
        insert into change_event (${COLUMNS})
        select pg_current_xact_id(), ${ACTOR}, ${REQUEST_ID}, '${ENTITY[log.table]}', d.id,
               case when d.changed = array['${log.validTo}']::text[] and d.a ->> '${log.validTo}' is not null then 'historicize' else 'update' end,
               d.changed, d.b, d.a
        from d
        ${NEW_END}`;
}

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** Replaces, in `change_log_<table>()`, the one statement from START to `end` with `statement`. */
function replaceUpdate(table: string, end: string, statement: string): string {
  return `
    do $do$
    declare
      def text := pg_get_functiondef('change_log_${table}()'::regprocedure);
      s int := strpos(def, ${quote(START)});
      e int := strpos(def, ${quote(end)});
    begin
      if s = 0 or e < s or strpos(substr(def, s + 1), ${quote(START)}) > 0 or strpos(substr(def, e + 1), ${quote(end)}) > 0 then
        raise exception 'change_log_${table}() does not hold its update statement exactly once';
      end if;
      execute substr(def, 1, s - 1) || ${quote(statement)} || substr(def, e + length(${quote(end)}));
    end $do$`;
}

/** Replaces, in `change_log_<table>()`, the text `from` with `to`; fails unless `from` is there exactly once. */
function replaceOnce(table: string, from: string, to: string): string {
  return `
    do $do$
    declare
      def text := pg_get_functiondef('change_log_${table}()'::regprocedure);
    begin
      if length(def) - length(replace(def, ${quote(from)}, '')) <> length(${quote(from)}) then
        raise exception 'change_log_${table}() does not hold % exactly once', ${quote(from)};
      end if;
      execute replace(def, ${quote(from)}, ${quote(to)});
    end $do$`;
}

export class Migration20261202010000_log_cost3 extends Migration {
  override up(): void {
    // The columns become domains without a check first: text to a domain over text with no constraint
    // does not rewrite the table (with one, PostgreSQL would rewrite the whole change log under an
    // exclusive lock). The checks are then added to the domains, which validates the existing rows in
    // one scan (they all passed the same checks as table constraints).
    this.addSql('create domain change_entity as text');
    this.addSql('create domain change_op as text');
    this.addSql('alter table change_event drop constraint change_event_entity_check, drop constraint change_event_op_check');
    this.addSql('alter table change_event alter column entity type change_entity, alter column op type change_op');
    this.addSql(
      `alter domain change_entity add constraint change_entity_check check (value in ('person', 'org-unit', 'org-role', 'org-person'))`,
    );
    this.addSql(`alter domain change_op add constraint change_op_check check (value in ('create', 'update', 'historicize', 'delete'))`);
    for (const log of LOGS) {
      this.addSql(replaceUpdate(log.table, OLD_END, newUpdate(log)));
      // The create's document (new row) and the delete's (old row).
      for (const alias of ['n', 'o']) this.addSql(replaceOnce(log.table, documentOf(log, alias), textDocumentOf(log, alias)));
    }
  }

  override down(): void {
    for (const log of LOGS) {
      this.addSql(replaceUpdate(log.table, NEW_END, oldUpdate(log)));
      for (const alias of ['n', 'o']) this.addSql(replaceOnce(log.table, textDocumentOf(log, alias), documentOf(log, alias)));
    }
    this.addSql('alter table change_event alter column entity type text, alter column op type text');
    this.addSql(
      `alter table change_event add constraint change_event_entity_check check (entity in ('person', 'org-unit', 'org-role', 'org-person')),
        add constraint change_event_op_check check (op in ('create', 'update', 'historicize', 'delete'))`,
    );
    this.addSql('drop domain change_op');
    this.addSql('drop domain change_entity');
  }
}
