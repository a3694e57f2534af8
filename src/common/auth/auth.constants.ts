/** Metadata keys of the security decorators; read only by the guards. */
export const IS_PUBLIC_KEY = 'organigram:isPublic';
export const AUTHORIZE_KEY = 'organigram:authorize';
