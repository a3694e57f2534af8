import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import { Strategy } from 'passport-http-bearer';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { TokensService } from './tokens.service.js';
import { BEARER_STRATEGY } from '../common/auth/auth.constants.js';
import { ServiceUnavailableError } from '../common/errors/domain-errors.js';
import type { Principal } from '../common/auth/principal.js';
import { COMPAT_QUERY_PARAM, presentedToken, type TokenSource } from '../common/auth/token-extraction.js';

let applications = 0;

/**
 * What a closed application's name maps to in passport's registry: a request that reaches the guard
 * after the HTTP server closed (its client gave up while it waited, so the server did not wait for
 * it) is answered 503 like one that reaches the closed pool, not 500 for an unknown strategy, and
 * logged at warn. One instance for every closed application: it holds nothing of theirs.
 */
const closedLog = new Logger('Auth');
const CLOSED: passport.Strategy = {
  name: 'closed',
  authenticate(req) {
    // At warn, as a request that reaches the closed pool is ('database unavailable').
    closedLog.warn({ msg: 'refused while shutting down', requestId: (req as unknown as { id?: unknown }).id });
    this.error(new ServiceUnavailableError('The service is shutting down; retry later.', 1));
  },
};

/**
 * passport-http-bearer, fed only what {@link presentedToken} allows: the strategy itself would also read
 * `access_token` from the query string and the body, which the contract forbids.
 *
 * passport keeps strategies in one registry per process. Under a fixed name, the application created
 * last would authenticate the requests of every other application in the same process with its own
 * {@link TokensService} and token cache, so a revocation would reach the revoking application's
 * requests only through the change notification instead of at once (two instances in one process
 * is how the e2e tests check revocation across instances). Each application's strategy is
 * registered under a name of its own, {@link strategyName}, which its guard asks for
 * (`BEARER_STRATEGY_NAME`). Once the application has closed its HTTP server (onApplicationShutdown,
 * after every module's onModuleDestroy), the name maps to {@link CLOSED} instead: the registry keeps
 * only the name of a closed application, and a request still on its way is answered 503.
 */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy) implements OnApplicationShutdown {
  readonly strategyName = `${BEARER_STRATEGY}#${++applications}`;

  constructor(
    private readonly tokens: TokensService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super({ realm: 'organigram' });
    passport.use(this.strategyName, this);
  }

  /**
   * Called by the mixin's constructor to register the strategy under passport-http-bearer's own name,
   * shared by every application in the process: skipped, the constructor registers it under
   * {@link strategyName} instead.
   */
  getPassportInstance(): Pick<typeof passport, 'use'> {
    return { use: () => passport };
  }

  onApplicationShutdown(): void {
    passport.use(this.strategyName, CLOSED);
  }

  override authenticate(req: TokenSource, options?: object): void {
    const token = presentedToken(req, this.config.auth.compat);
    if (this.config.auth.compat && req.query && typeof req.query === 'object') {
      // The compat parameter is a credential, not a filter: keep it away from query DTOs and logs.
      delete (req.query as Record<string, unknown>)[COMPAT_QUERY_PARAM];
    }
    const view = { headers: { authorization: token === undefined ? undefined : `Bearer ${token}` }, query: {}, body: {} };
    super.authenticate(view as never, options);
  }

  async validate(token: string): Promise<Principal | false> {
    return (await this.tokens.authenticate(token)) ?? false;
  }
}
