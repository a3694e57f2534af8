import { Migration } from '@mikro-orm/migrations';

const VERSIONED = ['person', 'org_unit', 'org_role', 'org_person'] as const;

/**
 * Contract section 10.4 (docs/decisions.md, "ETags and Idempotency-Key").
 *
 * 1. Entity versions for ETags: a `version` on person, org_unit, org_role and org_person, drawn from
 *    one sequence (so a version is never reused, not even by an entity deleted and created again
 *    with the same id), set at insert by the column default and moved by a BEFORE UPDATE trigger
 *    only when the stored row really changed. A trigger, not the application: set-based writes
 *    (cascades, bulk sync) move it too, and a write that changes nothing keeps it. The client cannot
 *    set it: the trigger overwrites whatever an UPDATE assigns to it. Named `*_version_bump`: BEFORE
 *    triggers fire in name order, so it runs after the other BEFORE triggers of these tables (the
 *    project key, the cycle and project checks) and sees the row they leave.
 * 2. Idempotency keys: one row per (token, key), claimed by INSERT ... ON CONFLICT before the write,
 *    its answer recorded after it, expiring after 24 h.
 */
export class Migration20261201060000_etags extends Migration {
  override up(): void {
    this.addSql('create sequence entity_version_seq as bigint');
    for (const table of VERSIONED) {
      this.addSql(`alter table ${table} add column version bigint not null default nextval('entity_version_seq')`);
    }
    this.addSql(`
      create function entity_version_bump() returns trigger language plpgsql as $$
      begin
        new.version := old.version;
        if new is distinct from old then
          new.version := nextval('entity_version_seq');
        end if;
        return new;
      end $$`);
    for (const table of VERSIONED) {
      this.addSql(`create trigger ${table}_version_bump before update on ${table} for each row execute function entity_version_bump()`);
    }

    this.addSql(`
      create table idempotency_key (
        token_id uuid not null references api_token (id) on delete cascade,
        key varchar(255) not null,
        fingerprint char(64) not null,
        claim_id uuid not null,
        state varchar(8) not null check (state in ('running', 'done')),
        lease_until timestamptz not null,
        expires_at timestamptz not null,
        status smallint,
        headers json,
        body text,
        created_at timestamptz not null default now(),
        primary key (token_id, key),
        constraint idempotency_key_key_check check (key ~ '^[ -~]{1,255}$'),
        constraint idempotency_key_done_check check (state = 'running' or (status is not null and headers is not null and body is not null))
      )`);
    this.addSql('create index idempotency_key_expires_idx on idempotency_key (expires_at)');
  }

  override down(): void {
    this.addSql('drop table if exists idempotency_key');
    for (const table of VERSIONED) {
      this.addSql(`drop trigger if exists ${table}_version_bump on ${table}`);
      this.addSql(`alter table ${table} drop column if exists version`);
    }
    this.addSql('drop function if exists entity_version_bump()');
    this.addSql('drop sequence if exists entity_version_seq');
  }
}
