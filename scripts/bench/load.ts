import { loadavg } from 'node:os';
import autocannon, { type RequestParams, type RequestSpec, type Result } from 'autocannon';
import type { Fixtures, Operation, RequestVariant, RunSummary } from './types.js';

/** The running application and the credentials every request carries. */
export interface LoadTarget {
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  readonly token: string;
}

function headersFor(operation: Operation, token: string): Record<string, string> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
  if (operation.body !== undefined || ['POST', 'PUT', 'PATCH'].includes(operation.method)) headers['content-type'] = 'application/json';
  return headers;
}

function withVariant(request: RequestParams, variant: RequestVariant): RequestParams {
  return variant.body === undefined
    ? { ...request, path: variant.path }
    : { ...request, path: variant.path, body: JSON.stringify(variant.body) };
}

/**
 * Sends one request (the first of what the run would send) with fetch, so that an operation that
 * fails on every request shows why (status and start of the problem details) rather than only a count.
 */
export async function preflight(target: LoadTarget, operation: Operation, fixtures: Fixtures): Promise<{ status: number; body: string }> {
  const variant: RequestVariant = operation.vary?.(fixtures)() ?? { path: operation.path, body: operation.body };
  const response = await fetch(`${target.origin}${variant.path}`, {
    method: operation.method,
    headers: headersFor(operation, target.token),
    body: variant.body === undefined ? undefined : JSON.stringify(variant.body),
  });
  return { status: response.status, body: (await response.text()).slice(0, 300) };
}

/** What the service and the reference must both answer alike: status, pagination headers, body (JSON). */
export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | null>>;
  readonly body: unknown;
}

const COMPARED_HEADERS = [
  'content-type',
  'x-pagination-current-page',
  'x-pagination-page-count',
  'x-pagination-per-page',
  'x-pagination-total-count',
  'link',
  'location',
];

/** Sends `variant` once to `target` and reads the answer the comparison looks at. */
export async function answerOf(target: LoadTarget, operation: Operation, variant: RequestVariant): Promise<Answer> {
  const response = await fetch(`${target.origin}${variant.path}`, {
    method: operation.method,
    headers: headersFor(operation, target.token),
    body: variant.body === undefined ? undefined : JSON.stringify(variant.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: compared as text
  }
  return {
    status: response.status,
    headers: Object.fromEntries(COMPARED_HEADERS.map((h) => [h, response.headers.get(h)?.replace(/;\s*charset=utf-8/i, '') ?? null])),
    body,
  };
}

/** Nearest-rank percentile of ascending `sorted`. */
function percentile(sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const round2 = (value: number | null) => (value === null ? null : Math.round(value * 100) / 100);

/**
 * One autocannon run of `operation` for `seconds` over `connections` keep-alive connections, in this
 * process. autocannon records latencies in whole milliseconds; the percentiles here come from the
 * exact time of every 2xx response instead (autocannon's own latency figures also count 2xx only).
 */
export async function runLoad(
  target: LoadTarget,
  operation: Operation,
  fixtures: Fixtures,
  settings: { seconds: number; connections: number },
  signal: AbortSignal,
): Promise<RunSummary> {
  const next = operation.vary?.(fixtures);
  const requests: RequestSpec[] | undefined = next ? [{ setupRequest: (request) => withVariant(request, next()) }] : undefined;
  const loadAverage = loadavg()[0] ?? 0;
  const latencies: number[] = [];
  const cpuAtStart = process.cpuUsage();

  const result = await new Promise<Result>((resolve, reject) => {
    // Declared before the call: autocannon calls back synchronously when it refuses the options. Only
    // an abort calls it, never during autocannon() itself, so `instance` is set by then.
    const stop = () => instance.stop();
    const instance = autocannon(
      {
        url: `${target.origin}${operation.path}`,
        method: operation.method,
        headers: headersFor(operation, target.token),
        body: operation.body === undefined ? undefined : JSON.stringify(operation.body),
        requests,
        connections: settings.connections,
        duration: settings.seconds,
        pipelining: 1,
        timeout: 10,
      },
      (error, finished) => {
        signal.removeEventListener('abort', stop);
        if (error) reject(error);
        else resolve(finished);
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
    signal.addEventListener('abort', stop, { once: true });
    if (signal.aborted) stop(); // interrupted before this run started: stop it at once
  });

  const cpu = process.cpuUsage(cpuAtStart);
  const sorted = Float64Array.from(latencies).sort();
  const responses = Object.values(result.statusCodeStats).reduce((sum, s) => sum + s.count, 0);
  return {
    seconds: result.duration,
    responses,
    requestsPerSecond: round2(result.requests.average) ?? 0,
    latencyMs: {
      p50: round2(percentile(sorted, 50)),
      p90: round2(percentile(sorted, 90)),
      p99: round2(percentile(sorted, 99)),
      max: round2(sorted.length > 0 ? sorted[sorted.length - 1] : null),
    },
    non2xx: result.non2xx,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([status, s]) => [status, s.count])),
    errors: result.errors,
    timeouts: result.timeouts,
    loadAverage: round2(loadAverage) ?? 0,
    cpuMsPerResponse: responses > 0 ? Math.round(((cpu.user + cpu.system) / 1000 / responses) * 1000) / 1000 : null,
  };
}
