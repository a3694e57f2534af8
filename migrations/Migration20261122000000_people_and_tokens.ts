import { Migration } from '@mikro-orm/migrations';

/** People (Opsera dialect) and API tokens. */
export class Migration20261122000000_people_and_tokens extends Migration {
  override up(): void {
    this.addSql(`
      create table person (
        id uuid primary key,
        email varchar(254) not null check (char_length(btrim(email)) between 3 and 254 and position('@' in email) > 1),
        first_name varchar(100) not null check (char_length(btrim(first_name)) > 0),
        last_name varchar(100) not null check (char_length(btrim(last_name)) > 0),
        display_name varchar(200),
        external_id varchar(200),
        organization varchar(200),
        business varchar(200),
        department varchar(200),
        group_name varchar(200),
        team varchar(200),
        valid_from timestamptz,
        valid_to timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint person_validity_check check (valid_from is null or valid_to is null or valid_to > valid_from)
      )`);
    // Emails are unique regardless of case; the stored value keeps the case it was sent with.
    this.addSql('create unique index person_email_lower_uniq on person (lower(email))');
    this.addSql('create index person_external_id_idx on person (external_id)');
    this.addSql('create index person_last_first_idx on person (last_name, first_name, id)');

    this.addSql(`
      create table api_token (
        id uuid primary key,
        name varchar(100) not null check (char_length(btrim(name)) > 0),
        role varchar(32) not null check (role in ('Opsera Administrator', 'Administrator', 'Power User', 'Viewer')),
        scopes text[] not null default '{}',
        token_hash char(64) not null,
        created_at timestamptz not null default now(),
        expires_at timestamptz,
        last_used_at timestamptz,
        revoked_at timestamptz,
        constraint api_token_token_hash_unique unique (token_hash)
      )`);
  }

  override down(): void {
    this.addSql('drop table if exists api_token');
    this.addSql('drop table if exists person');
  }
}
