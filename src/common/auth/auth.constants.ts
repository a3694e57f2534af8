/** Metadata keys of the security decorators; read only by the guards. */
export const IS_PUBLIC_KEY = 'organigram:isPublic';
export const AUTHORIZE_KEY = 'organigram:authorize';
export const BEARER_STRATEGY = 'bearer';
/** Injection token: this application's name of its bearer strategy in passport's registry (bearer.strategy.ts). */
export const BEARER_STRATEGY_NAME = 'organigram:bearerStrategyName';
