import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { TokensService } from './tokens.service.js';
import { BEARER_STRATEGY } from '../common/auth/auth.constants.js';
import type { Principal } from '../common/auth/principal.js';
import { COMPAT_QUERY_PARAM, presentedToken, type TokenSource } from '../common/auth/token-extraction.js';

/**
 * passport-http-bearer, fed only what {@link presentedToken} allows: the strategy itself would also read
 * `access_token` from the query string and the body, which the contract forbids.
 */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, BEARER_STRATEGY) {
  constructor(
    private readonly tokens: TokensService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super({ realm: 'organigram' });
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
