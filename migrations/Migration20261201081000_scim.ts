import { Migration } from '@mikro-orm/migrations';

/**
 * SCIM 2.0 (contract section 13) and its amendments to sections 1 and 7:
 *
 * 1. `org_unit.external_id`: optional, up to 255 characters, case kept, not unique (a SCIM Group's
 *    `externalId`, also written through the 4HSE dialect).
 * 2. The change log's org-unit document (Migration20261201050000_change_log) lists its fields one by
 *    one, so it is replaced here with `external_id` added after `project_id`; the version trigger
 *    (Migration20261201060000_etags) compares whole rows and needs nothing.
 * 3. `api_token.project_id`: the project of a token's SCIM Groups (null: the units without project).
 */
const FIELDS: [string, string][] = [
  ['org_unit_id', 'id'],
  ['code', 'code'],
  ['name', 'name'],
  ['description', 'description'],
  ['parent_org_unit_id', 'parent_id'],
  ['project_id', 'project_id'],
  ['external_id', 'external_id'],
  ['valid_from', 'change_iso(#.valid_from)'],
  ['valid_to', 'change_iso(#.valid_to)'],
];
const OLD_FIELDS = FIELDS.filter(([name]) => name !== 'external_id');

function documentOf(fields: [string, string][], alias: string): string {
  const pairs = fields.map(([name, column]) => `'${name}', ${column.includes('#') ? column.replace('#', alias) : `${alias}.${column}`}`);
  return `jsonb_build_object(${pairs.join(', ')})`;
}

const ACTOR = `coalesce(nullif(current_setting('organigram.actor', true), '')::jsonb, '{"token_id": null, "token_name": null, "role": null}'::jsonb)`;
const REQUEST_ID = `nullif(current_setting('organigram.request_id', true), '')`;
const COLUMNS = 'xid, actor, request_id, entity, entity_id, op, changed, before, after';

/** The org-unit change-log trigger function of Migration20261201050000_change_log over `fields`. */
function orgUnitLog(fields: [string, string][]): string {
  const names = `array[${fields.map(([name]) => `'${name}'`).join(', ')}]::text[]`;
  return `
    create or replace function change_log_org_unit() returns trigger language plpgsql as $fn$
    declare
      appended bigint;
    begin
      if tg_op = 'INSERT' then
        insert into change_event (${COLUMNS})
        select pg_current_xact_id(), ${ACTOR}, ${REQUEST_ID}, 'org-unit', n.id, 'create', ${names}, null, ${documentOf(fields, 'n')}
        from new_rows n;
      elsif tg_op = 'DELETE' then
        insert into change_event (${COLUMNS})
        select pg_current_xact_id(), ${ACTOR}, ${REQUEST_ID}, 'org-unit', o.id, 'delete', ${names}, ${documentOf(fields, 'o')}, null
        from old_rows o;
      else
        with d as materialized (
          select n.id as id, ${documentOf(fields, 'o')} as b, ${documentOf(fields, 'n')} as a
          from old_rows o join new_rows n on n.id = o.id
        ), c as materialized (
          select d.id, d.b, d.a, array(
            select k from unnest(${names}) with ordinality as u(k, i)
            where d.a -> k is distinct from d.b -> k order by i
          ) as changed
          from d
        )
        insert into change_event (${COLUMNS})
        select pg_current_xact_id(), ${ACTOR}, ${REQUEST_ID}, 'org-unit', c.id,
               case when c.changed = array['valid_to']::text[] and c.a ->> 'valid_to' is not null
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

export class Migration20261201081000_scim extends Migration {
  override up(): void {
    this.addSql('alter table org_unit add column external_id varchar(255)');
    this.addSql(orgUnitLog(FIELDS));
    this.addSql('alter table api_token add column project_id uuid');
  }

  override down(): void {
    this.addSql('alter table api_token drop column if exists project_id');
    this.addSql(orgUnitLog(OLD_FIELDS));
    this.addSql('alter table org_unit drop column if exists external_id');
  }
}
