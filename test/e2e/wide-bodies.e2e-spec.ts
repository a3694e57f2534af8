import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Response } from 'supertest';
import { bearer, createTestApp, problem, type TestApp } from '../support/test-app.js';

const INDEX = '/v2/org-unit/index';
/** The contract's bound on how long one request may hold the event loop. */
const BLOCK_BOUND_MS = 100;

/** `{"k00000":0, …}`: the review's body, 90,000 unknown keys (about 980 KB, under the 1 MiB limit). */
function wideBody(keys: number, prefix = 'k'): string {
  const parts: string[] = [];
  for (let i = 0; i < keys; i++) parts.push(`"${prefix}${String(i).padStart(5, '0')}":0`);
  return `{${parts.join(',')}}`;
}

/**
 * The longest time the event loop (shared by the app and this test) was held while `run` ran, in ms,
 * from a 5 ms-resolution event-loop delay histogram. A loaded machine can add a pause of its own, so
 * the measurement is repeated (up to five times) and the smallest maximum counts: code that blocks
 * for seconds shows it every time, a scheduler hiccup does not repeat.
 */
async function eventLoopBlockMs<T>(run: () => Promise<T>): Promise<{ ms: number; result: T }> {
  let best: { ms: number; result: T } | undefined;
  for (let attempt = 0; attempt < 5 && (!best || best.ms >= BLOCK_BOUND_MS); attempt++) {
    const histogram = monitorEventLoopDelay({ resolution: 5 });
    histogram.enable();
    let result: T;
    try {
      result = await run();
    } finally {
      histogram.disable();
    }
    const ms = histogram.max / 1e6;
    if (!best || ms < best.ms) best = { ms, result };
  }
  return best!;
}

function post(t: TestApp, token: string, body: string) {
  return t.http().post(INDEX).set(bearer(token)).set('Content-Type', 'application/json').send(body);
}

describe('Wide and heavy bodies (contract section 8)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('refuses the review body (90,000 unknown keys) with a 400 at once, holding the event loop under 100 ms', async () => {
    const body = wideBody(90_000);
    expect(body.length).toBeGreaterThan(900_000);
    expect(body.length).toBeLessThan(1024 * 1024);
    const { ms, result: res } = await eventLoopBlockMs(() => post(t, t.tokens.viewer, body));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toEqual(
      problem(400, 'validation-error', {
        instance: INDEX,
        detail: 'body: has more than 1000 fields',
        errors: [{ field: 'body', message: 'has more than 1000 fields' }],
      }),
    );
    expect(ms).toBeLessThan(BLOCK_BOUND_MS);
  });

  it('keeps /health/live answering while four such bodies are in flight', async () => {
    const body = wideBody(90_000);
    const { ms, result } = await eventLoopBlockMs(async () => {
      const wide = Array.from({ length: 4 }, () => post(t, t.tokens.viewer, body).then((r) => r));
      const started = performance.now();
      const live = await t.http().get('/health/live');
      const liveMs = performance.now() - started;
      return { live, liveMs, wide: await Promise.all(wide) };
    });
    expect(result.wide.map((r: Response) => r.status)).toEqual([400, 400, 400, 400]);
    expect(result.live.status).toBe(200);
    expect(result.live.body).toEqual({ status: 'ok' });
    // The review saw 4 s; four refusals of at most 100 ms each leave it well under a second.
    expect(result.liveMs).toBeLessThan(1_000);
    expect(ms).toBeLessThan(BLOCK_BOUND_MS);
  });

  it('refuses a body of more than 100,000 values in all, before validation', async () => {
    const body = JSON.stringify({ filter: { name: 'a' }, sort: Array.from({ length: 100_001 }, () => 0) });
    const { ms, result: res } = await eventLoopBlockMs(() => post(t, t.tokens.viewer, body));
    expect(res.status).toBe(400);
    expect(res.body).toEqual(
      problem(400, 'validation-error', {
        instance: INDEX,
        detail: 'body: has more than 100000 values in all',
        errors: [{ field: 'body', message: 'has more than 100000 values in all' }],
      }),
    );
    expect(ms).toBeLessThan(BLOCK_BOUND_MS);
  });

  it('refuses a nested object of more than 1,000 keys, naming its field', async () => {
    const body = `{"filter":${wideBody(1_001)}}`;
    const res = await post(t, t.tokens.viewer, body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(
      problem(400, 'validation-error', {
        instance: INDEX,
        detail: 'filter: has more than 1000 fields',
        errors: [{ field: 'filter', message: 'has more than 1000 fields' }],
      }),
    );
  });

  it('bounds the validation answer: at most 100 errors and 2,000 characters of detail, long names cut', async () => {
    // 1,000 unknown keys (within the key limit) of 300 characters each: a 300 KB list of errors before the bound.
    const body = wideBody(1_000, 'x'.repeat(295));
    const res = await post(t, t.tokens.viewer, body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(problem(400, 'validation-error', { instance: INDEX, errors: expect.any(Array) }));
    expect(res.body.errors).toHaveLength(100);
    expect(res.body.errors[0]).toEqual({ field: `${'x'.repeat(199)}…`, message: 'is not an accepted field' });
    expect(res.body.detail.length).toBeLessThanOrEqual(2_000);
    expect(res.body.detail).toMatch(/^x{199}…: is not an accepted field; x{199}…: is not an accepted field; .*; and \d+ more$/);
    expect(res.text.length).toBeLessThan(40_000);
  });

  it('says how many errors were left out when the list is cut', async () => {
    const res = await post(t, t.tokens.viewer, wideBody(150, 'k'));
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveLength(100);
    expect(res.body.errors[99]).toEqual({ field: 'k00099', message: 'is not an accepted field' });
    // 58 entries of 32 characters fit in 2,000; the other 92 of the 150 are counted.
    expect(res.body.detail).toMatch(/^k00000: is not an accepted field; k00001: .*; k00057: is not an accepted field; and 92 more$/);
    expect(res.body.detail.length).toBeLessThanOrEqual(2_000);
  });

  describe.each([
    ['a 1 MiB string in a filter field', () => JSON.stringify({ filter: { name: 'x'.repeat(1_040_000) } })],
    ['a 1 MiB string as an unknown key', () => `{"${'k'.repeat(1_040_000)}":1}`],
    ['1 MiB of arrays nested 15 deep', () => JSON.stringify({ sort: Array.from({ length: 33_000 }, () => nestedArray(14)) })],
    ['99,000 values in a known field', () => JSON.stringify({ sort: Array.from({ length: 99_000 }, () => 0) })],
    [
      '1,000 filter entries of 1 KB each',
      () => `{"filter":{${Array.from({ length: 1_000 }, (_, i) => `"f${i}":"${'v'.repeat(1_000)}"`).join(',')}}}`,
    ],
    ['100 objects of 900 keys each', () => `{"filter":[${Array.from({ length: 100 }, () => wideBody(900)).join(',')}]}`],
  ])('%s', (_label, build) => {
    it('is answered 400 within 100 ms of event-loop time', async () => {
      const body = build();
      expect(body.length).toBeLessThan(1024 * 1024);
      const { ms, result: res } = await eventLoopBlockMs(() => post(t, t.tokens.viewer, body));
      expect(res.status).toBe(400);
      expect(res.body).toEqual(problem(400, 'validation-error', { instance: INDEX, errors: expect.any(Array) }));
      expect(res.body.errors.length).toBeGreaterThan(0);
      expect(res.body.errors.length).toBeLessThanOrEqual(100);
      expect(res.body.detail.length).toBeLessThanOrEqual(2_000);
      expect(ms).toBeLessThan(BLOCK_BOUND_MS);
    });
  });
});

function nestedArray(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}
