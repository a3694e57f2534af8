import helmet, { type HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The headers helmet writes on a response, in its own spelling and order, and those it removes. */
export interface SecurityHeaders {
  readonly set: readonly (readonly [string, string])[];
  readonly removed: readonly string[];
}

/**
 * Helmet's headers for `options`, computed once. @fastify/helmet builds the helmet middleware again on
 * every request (the Content-Security-Policy directives parsed and dashed each time: 0.8% of the CPU
 * of a person lookup, issue 10); with directives that do not depend on the request (no nonces, no
 * functions) the headers are the same for every response, so they are recorded here from one run of
 * helmet itself and replayed by {@link applySecurityHeaders}.
 */
export function securityHeaders(options: Readonly<HelmetOptions>): SecurityHeaders {
  const set = new Map<string, string>();
  const removed: string[] = [];
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      if (typeof value !== 'string') throw new Error(`helmet header ${name} is not a plain string`);
      set.set(name, value);
    },
    removeHeader(name: string) {
      set.delete(name);
      removed.push(name);
    },
    getHeader: () => undefined,
  };
  let failure: unknown;
  helmet(options)({ headers: {} } as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => (failure = error));
  if (failure) throw failure instanceof Error ? failure : new Error('helmet refused its options');
  return { set: [...set], removed };
}

/** Writes the recorded headers on the raw response, exactly as helmet would (same names, same case). */
export function applySecurityHeaders(response: ServerResponse, headers: SecurityHeaders): void {
  for (const name of headers.removed) response.removeHeader(name);
  for (const [name, value] of headers.set) response.setHeader(name, value);
}
