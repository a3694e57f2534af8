import type { Response } from 'supertest';

/**
 * What must never reach a client in an error body (contract section 6): SQL text, stack traces and
 * paths of source files on the server.
 */
const LEAKS: readonly [string, RegExp][] = [
  ['SQL select', /\bselect\b/i],
  ['SQL insert', /insert\s+into/i],
  ['stack trace', /stack/i],
  ['stack frame', /\bat .+:\d+:\d+/],
  ['source file', /\.(?:ts|js|mjs|cjs)\b/],
  ['node_modules', /node_modules/],
  ['server path', new RegExp(`${process.cwd().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}|/(?:home|usr|tmp|work|opt|var)/`)],
];

/** The names of the leaks found in a response body (empty when it is clean). */
export function leaksIn(res: Pick<Response, 'text'>): string[] {
  return LEAKS.filter(([, pattern]) => pattern.test(res.text ?? '')).map(([name]) => name);
}

/** Asserts a response is a problem-details answer with a clean body. */
export function expectCleanProblem(res: Response, status: number): void {
  expect({ status: res.status, contentType: res.headers['content-type'], leaks: leaksIn(res) }).toEqual({
    status,
    contentType: expect.stringMatching(/^application\/problem\+json/),
    leaks: [],
  });
}
