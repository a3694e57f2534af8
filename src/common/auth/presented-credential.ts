import { presentedToken, type TokenSource } from './token-extraction.js';
import { hashToken, isWellFormedToken } from './token-format.js';

/** What a request presented as its credential, as the limiter and authentication both need it. */
export interface PresentedCredential {
  /** Whether a credential was presented at all (an Authorization header, or the compat query token). */
  readonly presented: boolean;
  /** SHA-256 of the token when it has a token's shape and checksum; undefined otherwise (never worth a lookup). */
  readonly hash: string | undefined;
}

const credentials = new WeakMap<object, PresentedCredential>();

/**
 * The request's {@link presentedToken}, checked ({@link isWellFormedToken}) and hashed once per request:
 * the unauthenticated limiter and the authentication guard both ask (issue 10: the token was
 * extracted, checked and SHA-256 hashed twice per request). The first answer holds for the request,
 * also after the guard removed the compat query parameter.
 */
export function presentedCredential(request: TokenSource & object, compat: boolean): PresentedCredential {
  let credential = credentials.get(request);
  if (credential === undefined) {
    const token = presentedToken(request, compat);
    credential = { presented: token !== undefined, hash: token !== undefined && isWellFormedToken(token) ? hashToken(token) : undefined };
    credentials.set(request, credential);
  }
  return credential;
}
