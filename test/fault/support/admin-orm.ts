import { MikroORM } from '@mikro-orm/postgresql';
import { loadConfig, type AppConfig } from '../../../src/config/app-config.js';
import { cliOrmConfig } from '../../../src/entities.js';

/**
 * The fault spec's own pool on its database, named apart (`application_name`) from the server's
 * sessions it terminates or counts, without timeouts: the spec holds locks and sleeps on purpose.
 * With the entity list: specs create tokens through TokensService on it.
 */
export function adminOrm(url: string, name: string, config: AppConfig = loadConfig({ DATABASE_URL: url })): MikroORM {
  const base = cliOrmConfig(config, url);
  return new MikroORM({
    ...base,
    allowGlobalContext: true,
    logger: () => undefined,
    driverOptions: {
      ...(base.driverOptions as object),
      application_name: name,
      statement_timeout: 0,
      lock_timeout: 0,
      idle_in_transaction_session_timeout: 0,
    },
  });
}
