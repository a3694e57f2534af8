import { Migration } from '@mikro-orm/migrations';

/**
 * Token changes are announced on the channel `api_token_changed` (issue 10: the authentication cache
 * honours a revocation within one second on every instance). In triggers, so that every path that
 * changes a token announces it: the API, the CLI, and an operator's SQL. The payload is the token id;
 * an empty payload (truncate) means every token. Only the columns authentication reads count:
 * last_used_at, written by authentication itself, announces nothing. NOTIFY is delivered at commit.
 */
export class Migration20261201030000_token_notify extends Migration {
  override up(): void {
    this.addSql(`create function api_token_notify() returns trigger language plpgsql as $$
      begin
        if tg_level = 'STATEMENT' then
          perform pg_notify('api_token_changed', '');
        else
          perform pg_notify('api_token_changed', old.id::text);
        end if;
        return null;
      end $$`);
    this.addSql(`create trigger api_token_changed after update on api_token for each row
      when ((old.revoked_at, old.expires_at, old.role, old.scopes, old.name, old.token_hash, old.id)
            is distinct from (new.revoked_at, new.expires_at, new.role, new.scopes, new.name, new.token_hash, new.id))
      execute function api_token_notify()`);
    this.addSql('create trigger api_token_deleted after delete on api_token for each row execute function api_token_notify()');
    this.addSql('create trigger api_token_truncated after truncate on api_token for each statement execute function api_token_notify()');
  }

  override down(): void {
    this.addSql('drop trigger if exists api_token_truncated on api_token');
    this.addSql('drop trigger if exists api_token_deleted on api_token');
    this.addSql('drop trigger if exists api_token_changed on api_token');
    this.addSql('drop function if exists api_token_notify()');
  }
}
