import { Migration } from '@mikro-orm/migrations';

/**
 * Bulk sync jobs (contract section 12, issue 12). `sync_job` is the job as the API shows it; the
 * staged rows of its body (`sync_person`, `sync_unit`, `sync_role`, `sync_assignment`) are written
 * by the request that accepts it, in the same transaction as the job row and its pg-boss job, and
 * deleted once the job has finished; `sync_error` and `sync_change` (the plan, then what was applied)
 * stay with the job. Staged rows keep their index in the body (0-based within their section) and the
 * names of the fields the row gave (`present`): an absent field leaves the stored value unchanged.
 */
export class Migration20261201070000_sync_jobs extends Migration {
  override up(): void {
    this.addSql(`
      create table sync_job (
        id uuid primary key,
        status varchar(16) not null check (status in ('queued', 'running', 'succeeded', 'failed', 'aborted')),
        mode varchar(16) not null check (mode in ('upsert', 'snapshot')),
        dry_run boolean not null,
        max_changes integer not null check (max_changes >= 0),
        project_id uuid,
        sections text[] not null default '{}',
        actor jsonb not null,
        request_id varchar(128) not null,
        created_at timestamptz not null default now(),
        started_at timestamptz,
        finished_at timestamptz,
        attempts integer not null default 0,
        progress_total integer not null default 0,
        progress_done integer not null default 0,
        summary jsonb not null default '{"create": 0, "update": 0, "historicize": 0, "unchanged": 0, "invalid": 0}'
      )`);
    this.addSql('create index sync_job_created_idx on sync_job (created_at)');
    this.addSql(`
      create table sync_error (
        job_id uuid not null references sync_job (id) on delete cascade,
        seq serial,
        section varchar(16) not null,
        idx integer,
        field varchar(200),
        message varchar(500) not null,
        primary key (job_id, seq)
      )`);
    this.addSql(`
      create table sync_person (
        job_id uuid not null references sync_job (id) on delete cascade,
        idx integer not null,
        present text[] not null,
        email varchar(254) not null,
        first_name varchar(100),
        last_name varchar(100),
        display_name varchar(200),
        external_id varchar(200),
        organization varchar(200),
        business varchar(200),
        department varchar(200),
        group_name varchar(200),
        team varchar(200),
        valid_from timestamptz,
        valid_to timestamptz,
        target_id uuid,
        op varchar(16),
        primary key (job_id, idx)
      )`);
    this.addSql('create index sync_person_email_idx on sync_person (job_id, lower(email))');
    this.addSql(`
      create table sync_unit (
        job_id uuid not null references sync_job (id) on delete cascade,
        idx integer not null,
        present text[] not null,
        code varchar(100) not null,
        name varchar(200),
        description varchar(2000),
        parent_code varchar(100),
        valid_from timestamptz,
        valid_to timestamptz,
        target_id uuid,
        parent_id uuid,
        op varchar(16),
        primary key (job_id, idx)
      )`);
    this.addSql(`
      create table sync_role (
        job_id uuid not null references sync_job (id) on delete cascade,
        idx integer not null,
        present text[] not null,
        code varchar(100) not null,
        name varchar(200),
        description varchar(2000),
        valid_from timestamptz,
        valid_to timestamptz,
        target_id uuid,
        op varchar(16),
        primary key (job_id, idx)
      )`);
    this.addSql(`
      create table sync_assignment (
        job_id uuid not null references sync_job (id) on delete cascade,
        idx integer not null,
        person_email varchar(254) not null,
        org_unit_code varchar(100) not null,
        org_role_code varchar(100),
        person_id uuid,
        org_unit_id uuid,
        org_role_id uuid,
        target_id uuid,
        op varchar(16),
        primary key (job_id, idx)
      )`);
    this.addSql(`
      create table sync_change (
        job_id uuid not null references sync_job (id) on delete cascade,
        seq bigserial,
        entity varchar(16) not null,
        key text not null,
        op varchar(16) not null,
        changed text[] not null,
        before jsonb,
        after jsonb,
        primary key (job_id, seq)
      )`);
  }

  override down(): void {
    for (const table of ['sync_change', 'sync_assignment', 'sync_role', 'sync_unit', 'sync_person', 'sync_error', 'sync_job']) {
      this.addSql(`drop table if exists ${table}`);
    }
  }
}
