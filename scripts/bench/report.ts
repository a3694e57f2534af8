import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { LoadSettings, OperationResult, RunSummary, TimedResult } from './types.js';

export interface DatasetReport {
  readonly name: string;
  readonly description: string;
  readonly rows: number;
  /** True when this run (re)wrote the rows, false when they were already there. */
  readonly reseeded: boolean;
  /** Seconds the seeding took, null when skipped. */
  readonly seedSeconds: number | null;
}

/** Everything a run measured, as written to bench-results/<timestamp>.json. */
export interface BenchReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  /** The arguments given to the harness. */
  readonly arguments: readonly string[];
  readonly machine: {
    readonly cpus: number;
    readonly availableParallelism: number;
    readonly cpuModel: string;
    readonly memoryGiB: number;
    readonly platform: string;
    readonly arch: string;
    readonly release: string;
    /** 1, 5 and 15 minute load averages before the runs. */
    readonly loadAverage: readonly number[];
  };
  readonly node: string;
  /** Resident memory of the bench process (service, reference and load generator), sampled every second. */
  readonly memory?: { readonly rssMiB: { readonly start: number; readonly max: number; readonly end: number; readonly samples: number } };
  readonly database: {
    readonly source: string;
    /** host:port/database, no credentials. */
    readonly location: string;
    readonly serverVersion: string;
  };
  readonly app: {
    readonly poolMax: number;
    readonly logLevel: string;
    readonly logFile: string;
    /** Requests per window per token, null when rate limiting is off. */
    readonly rateLimit: number | null;
  };
  readonly load: LoadSettings & { readonly tool: string; readonly inProcess: true; readonly timedRuns: number };
  readonly datasets: readonly DatasetReport[];
  readonly results: readonly OperationResult[];
  /** Issue 11, point 3: each as-of read against the same read of now (same run). */
  readonly asOf: readonly AsOfRatio[];
  /** Operations timed one request at a time (force delete), with each run. */
  readonly timed: readonly TimedResult[];
  /** False when any operation answered anything but 2xx or failed to answer, or a timed run failed. */
  readonly ok: boolean;
}

const fixed = (value: number | null, digits: number) => (value === null ? '-' : value.toFixed(digits));

function statusList(run: RunSummary): string {
  return Object.entries(run.statusCodes)
    .filter(([status]) => !status.startsWith('2'))
    .map(([status, count]) => `${status} x${count}`)
    .join(', ');
}

function table(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The human-readable report: context lines, the results table, then what went wrong, if anything. */
/** An as-of read against the same read of now, measured in the same run. */
export interface AsOfRatio {
  readonly operation: string;
  readonly now: string;
  /** now req/s / as-of req/s: how many times the as-of read costs (target at most 2). */
  readonly throughput: number | null;
  /** as-of p50 / now p50. */
  readonly p50: number | null;
  readonly ok: boolean;
}

/** Issue 11, point 3: the as-of reads against the same reads of now (target: cost at most 2x). */
function formatAsOf(ratios: readonly AsOfRatio[]): string[] {
  if (ratios.length === 0) return [];
  const header = ['as-of read', 'same read now', 'cost (now req/s / as-of req/s)', 'p50 as-of / now'];
  const rows = ratios.map((r) => [r.operation, r.now, `${fixed(r.throughput, 2)}${r.ok ? '' : ' FAILED'}`, fixed(r.p50, 2)]);
  return ['', 'Point-in-time reads (issue 11, point 3: at most 2x):', table(header, rows, new Set([2, 3]))];
}

/**
 * Issue 11, point 9: writes with the change-log and history triggers on and off (target: the log
 * costs at most 15%). The log's cost is 1 - the median of the rounds' own on/off ratios, with its 95%
 * interval (scripts/bench/paired.ts); the arms' medians are shown beside it.
 */
function formatLogOverhead(results: readonly OperationResult[]): string[] {
  const measured = results.filter((r) => r.logOverhead !== undefined);
  if (measured.length === 0) return [];
  const header = [
    'write',
    'rounds',
    'log on req/s',
    'log off req/s',
    'on / off (medians)',
    "median of rounds' on / off",
    'log cost',
    '95% interval',
    'load avg',
  ];
  const percent = (ratio: number) => `${Math.round((1 - ratio) * 100)}%`;
  const rows = measured.map((r) => {
    const c = r.logOverhead!;
    const loads = [...c.service, ...c.reference].map((run) => run.loadAverage);
    const p = c.paired;
    const interval =
      p && p.low !== null && p.high !== null ? `${percent(p.high)} to ${percent(p.low)} (${Math.round(p.confidence! * 1000) / 10}%)` : '-';
    return [
      r.operation,
      String(c.roundRatios.length),
      fixed(c.serviceMedian.requestsPerSecond, 1),
      fixed(c.referenceMedian.requestsPerSecond, 1),
      fixed(c.ratio, 2),
      p ? `${fixed(p.median, 2)}${r.ok ? '' : ' FAILED'}` : '-',
      p ? percent(p.median) : '-',
      interval,
      loads.length > 0 ? `${fixed(Math.min(...loads), 1)}-${fixed(Math.max(...loads), 1)}` : '-',
    ];
  });
  return [
    '',
    'Change-log write overhead (issue 11, point 9: at most 15% of throughput); alternated rounds, triggers disabled between runs;',
    "log cost = 1 - median of the rounds' own on / off ratios, with its distribution-free 95% interval; req/s: medians of each arm:",
    table(header, rows, new Set([1, 2, 3, 4, 5, 6, 7])),
  ];
}

export function formatReport(report: BenchReport): string {
  const m = report.machine;
  const lines = [
    `Organigram benchmark, ${report.startedAt}`,
    `machine:  ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.platform} ${m.arch}, load average ${m.loadAverage.join(' ')} before the runs`,
    `node:     ${report.node}; DB_POOL_MAX=${report.app.poolMax}, LOG_LEVEL=${report.app.logLevel} (to ${report.app.logFile}), ` +
      (report.app.rateLimit === null ? 'rate limit off' : `rate limit on (RATE_LIMIT=${report.app.rateLimit})`),
    `database: ${report.database.location} (${report.database.source}), PostgreSQL ${report.database.serverVersion}`,
    `data:     ${report.datasets.map((d) => `${d.name} ${d.rows.toLocaleString('en-US')} rows${d.reseeded ? ` (seeded in ${d.seedSeconds} s)` : ''}`).join(', ')}`,
    `load:     ${report.load.tool} in the same process as the app, ${report.load.connections} connections, ` +
      `${report.load.warmup > 0 ? `${report.load.warmup} s warm-up (discarded) + ` : 'no warm-up, '}${report.load.duration} s measured per operation`,
    '',
  ];
  const header = ['operation', 'request', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'non-2xx', 'errors', 'result'];
  const rows = report.results.map((r) => [
    r.operation,
    `${r.method} ${r.path}`,
    fixed(r.measured.requestsPerSecond, 1),
    fixed(r.measured.latencyMs.p50, 2),
    fixed(r.measured.latencyMs.p99, 2),
    String(r.measured.responses),
    String(r.measured.non2xx),
    String(r.measured.errors),
    r.ok ? 'ok' : 'FAILED',
  ]);
  if (rows.length > 0) {
    lines.push(table(header, rows, new Set([2, 3, 4, 5, 6, 7])));
    lines.push(
      '',
      'req/s: mean of per-second samples, all responses. Latency percentiles: 2xx responses only. errors: no answer (includes timeouts).',
    );
  }

  lines.push(...formatComparison(report.results));
  lines.push(...formatAsOf(report.asOf ?? []));
  lines.push(...formatLogOverhead(report.results));
  lines.push(...formatTimed(report.timed));

  for (const r of report.results.filter((x) => !x.ok)) {
    const parts = [
      r.measured.non2xx > 0 ? `${r.measured.non2xx} non-2xx in the measured run (${statusList(r.measured)})` : '',
      r.warmup.non2xx > 0 ? `${r.warmup.non2xx} non-2xx in the warm-up (${statusList(r.warmup)})` : '',
      r.measured.errors + r.warmup.errors > 0
        ? `${r.measured.errors + r.warmup.errors} errors (${r.measured.timeouts + r.warmup.timeouts} timeouts)`
        : '',
      r.preflight ? `first request answered ${r.preflight.status}: ${r.preflight.body}` : '',
    ].filter(Boolean);
    lines.push(`FAILED ${r.operation}: ${parts.join('; ')}. Its figures are not a valid measurement.`);
  }
  return lines.join('\n');
}

/** With --reference: the service against the reference server, per operation (medians of the rounds). */
function formatComparison(results: readonly OperationResult[]): string[] {
  const compared = results.filter((r) => r.comparison !== undefined);
  if (compared.length === 0) return [];
  const rounds = Math.max(...compared.map((r) => r.comparison!.service.length));
  const header = [
    'operation',
    'service req/s',
    'p50 ms',
    'p99 ms',
    'reference req/s',
    'p50 ms',
    'p99 ms',
    'service / reference',
    'CPU ms/resp service',
    'reference',
    'CPU reference / service',
  ];
  const rows = compared.map((r) => {
    const c = r.comparison!;
    const cpuService = c.serviceMedian.cpuMsPerResponse;
    const cpuReference = c.referenceMedian.cpuMsPerResponse;
    return [
      r.operation,
      fixed(c.serviceMedian.requestsPerSecond, 1),
      fixed(c.serviceMedian.p50, 2),
      fixed(c.serviceMedian.p99, 2),
      fixed(c.referenceMedian.requestsPerSecond, 1),
      fixed(c.referenceMedian.p50, 2),
      fixed(c.referenceMedian.p99, 2),
      `${fixed(c.ratio, 2)}${r.ok && c.referenceOk ? '' : ' FAILED'}`,
      fixed(cpuService, 3),
      fixed(cpuReference, 3),
      cpuService && cpuReference !== null ? fixed(cpuReference / cpuService, 2) : '-',
    ];
  });
  const lines = [
    '',
    `Service against the reference (Fastify + pg, scripts/bench/reference-server.ts), measured alternately, ` +
      `${rounds} round${rounds > 1 ? 's (medians)' : ''}:`,
    table(header, rows, new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])),
    'CPU ms/resp: CPU time of the bench process (server and load generator) per response, medians of the rounds; ' +
      "its ratio is the Node-side cost, less moved by the machine's load than req/s.",
  ];
  for (const r of compared.filter((x) => !x.comparison!.referenceOk)) {
    const bad = r.comparison!.reference.find((run) => run.non2xx + run.errors > 0);
    if (r.comparison!.sameAnswer) lines.push(`FAILED ${r.operation}: the reference answers differently, ${r.comparison!.sameAnswer}`);
    else
      lines.push(
        `FAILED ${r.operation} on the reference: ${bad ? `${bad.non2xx} non-2xx (${statusList(bad)}), ${bad.errors} errors` : 'no clean run'}.`,
      );
  }
  return lines;
}

/** One table per timed operation: a row per run, then the median. */
function formatTimed(timed: readonly TimedResult[]): string[] {
  const lines: string[] = [];
  for (const t of timed) {
    const prepared = t.runs[0]?.prepared ?? {};
    const what = Object.entries(prepared)
      .map(([k, v]) => `${v.toLocaleString('en-US')} ${k}`)
      .join(', ');
    lines.push(
      '',
      `${t.operation}: ${t.method} ${t.path}, one request per run${what ? ` on ${what} rebuilt before each run` : ''}, ` +
        'ms from sending to the end of the answer, checked by SQL afterwards',
    );
    const header = ['run', 'ms', 'status', 'load avg', 'check', 'result'];
    const rows = t.runs.map((r) => [
      String(r.run),
      r.ms.toFixed(2),
      String(r.status),
      r.loadAverage.toFixed(2),
      r.problems.length === 0 ? 'passed' : r.problems.join('; '),
      r.ok ? 'ok' : 'FAILED',
    ]);
    rows.push(['median', fixed(t.medianMs, 2), '', '', '', t.ok ? 'ok' : 'FAILED']);
    lines.push(table(header, rows, new Set([1, 2, 3])));
    for (const r of t.runs.filter((x) => x.body !== null)) {
      lines.push(`FAILED ${t.operation} run ${r.run}: expected ${t.expectedStatus}, answered ${r.status}: ${r.body}`);
    }
  }
  return lines;
}

/** Writes the report to <root>/bench-results/<startedAt>.json and returns the path relative to root. */
export function writeReport(root: string, report: BenchReport): string {
  return writeResults(root, '', report.startedAt, report);
}

/** Writes a memory run's results (`--memory-run`) to bench-results/memory-<start>.json. */
export function writeMemoryReport<T extends { startedAt: string }>(root: string, report: T): string {
  return writeResults(root, 'memory-', report.startedAt, report);
}

function writeResults(root: string, prefix: string, startedAt: string, report: object): string {
  const dir = join(root, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${prefix}${startedAt.replaceAll(':', '-').replace(/\.\d+Z$/, 'Z')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return relative(root, file);
}
