import { Migration } from '@mikro-orm/migrations';

/**
 * Token trail (contract section 7): every token records the token that created it. Null for tokens
 * made by the CLI or at first start, and for every token that existed before this migration.
 * NO ACTION on purpose: a token row that others point at cannot be deleted by hand and take the
 * trail with it (tokens are revoked, never deleted, by the service).
 */
export class Migration20261201010000_token_trail extends Migration {
  override up(): void {
    this.addSql('alter table api_token add column created_by uuid');
    this.addSql('alter table api_token add constraint api_token_created_by_fkey foreign key (created_by) references api_token (id)');
    // Cascade revocation walks the tree downwards; the foreign key checks look rows up by created_by too.
    this.addSql('create index api_token_created_by_idx on api_token (created_by)');
  }

  override down(): void {
    this.addSql('drop index if exists api_token_created_by_idx');
    this.addSql('alter table api_token drop constraint if exists api_token_created_by_fkey');
    this.addSql('alter table api_token drop column if exists created_by');
  }
}
