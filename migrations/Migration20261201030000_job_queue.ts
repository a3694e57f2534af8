import { Migration } from '@mikro-orm/migrations';

/**
 * The schema of the durable job queue (pg-boss: webhook deliveries, sync jobs). pg-boss creates and
 * upgrades its own tables in it (at start with DB_MIGRATE_ON_START, else in `npm run migration:up`);
 * this migration only creates the schema, so that it belongs to the schema owner, and lets the
 * restricted application role of docker-compose (organigram_app, when it exists) use what the owner
 * creates there, as in `public`.
 */
export class Migration20261201030000_job_queue extends Migration {
  override up(): void {
    this.addSql('create schema if not exists pgboss');
    this.addSql(`do $$
begin
  if exists (select from pg_roles where rolname = 'organigram_app') then
    grant usage on schema pgboss to organigram_app;
    alter default privileges in schema pgboss grant select, insert, update, delete on tables to organigram_app;
    alter default privileges in schema pgboss grant usage, select on sequences to organigram_app;
    alter default privileges in schema pgboss grant execute on functions to organigram_app;
  end if;
end $$`);
  }

  override down(): void {
    this.addSql('drop schema if exists pgboss cascade');
  }
}
