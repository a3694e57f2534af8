import 'reflect-metadata';
import { arch, availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MikroORM } from '@mikro-orm/postgresql';
import { pino } from 'pino';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../src/app.setup.js';
import { SiteRole } from '../src/common/auth/site-roles.js';
import { Scope } from '../src/common/auth/scopes.js';
import { ConfigError, loadConfig, type AppConfig } from '../src/config/app-config.js';
import { prepareDatabase } from '../src/database/prepare.js';
import { cliOrmConfig } from '../src/entities.js';
import { TokensService } from '../src/tokens/tokens.service.js';
import { harnessOrm, inSeedTransaction, openBenchDatabase, sqlOn, type BenchDatabase } from './bench/database.js';
import { answerOf, preflight, runLoad, type Answer, type LoadTarget } from './bench/load.js';
import { CREATED_EMAIL_DOMAIN, OPERATIONS, TIMED_OPERATIONS } from './bench/operations.js';
import { org } from './bench/org.dataset.js';
import { people, reporting, setPeople } from './bench/people.dataset.js';
import { scim } from './bench/scim.dataset.js';
import { startReferenceServer, type ReferenceServer } from './bench/reference-server.js';
import { formatReport, writeMemoryReport, writeReport, type AsOfRatio, type BenchReport, type DatasetReport } from './bench/report.js';
import { pairedEstimate } from './bench/paired.js';
import { runTimed } from './bench/timed.js';
import { formatMemoryRun, runMemoryRun } from './bench/memory-run.js';
import { runSyncBench } from './bench/sync.js';
import {
  Fixtures,
  type Dataset,
  type LoadSettings,
  type Comparison,
  type Operation,
  type OperationResult,
  type RunSummary,
  type TimedOperation,
  type TimedResult,
} from './bench/types.js';

/** Every dataset, in dependency order (a dataset after those it references). */
const DATASETS: readonly Dataset<unknown>[] = [people, reporting, org, scim];

/** Name of the token the harness creates; leftovers of interrupted runs are deleted at the next start. */
const BENCH_TOKEN_NAME = 'bench harness';

const here = dirname(fileURLToPath(import.meta.url));
/** The project root, from dist/scripts (build output) and from scripts (ts sources) alike. */
const root = basename(dirname(here)) === 'dist' ? join(here, '..', '..') : join(here, '..');

const USAGE = `Usage: npm run bench -- [options]
  --duration SECONDS     measured run per operation (default 10)
  --warmup SECONDS       warm-up before each measured run, discarded (default 3, 0 for none)
  --connections N        concurrent keep-alive connections (default 32)
  --runs N               runs of each timed operation (default 3)
  --reseed               rewrite the bench data even when it is already there
  --only TEXT            only the operations whose name contains TEXT (repeatable)
  --reference            also start the reference server (Fastify + pg, scripts/bench/reference-server.ts) and
                         measure it and the service alternately on the operations it answers (only those)
  --rounds N             with --reference: rounds of service and reference runs per operation (default 1, at
                         most 100); rounds of log-on and log-off runs of the change-log overhead writes (at
                         least 2; 6 or more for a 95% interval, docs/performance.md: 40 rounds of 3 s)
  --people N             people to seed (default 100000; another count reseeds)
  --log-file PATH        where the service's log lines go (default /dev/null; written as to stdout)
  --memory-run SECONDS   instead of measuring: start the service in a process of its own (node dist/src/main.js),
                         drive the five operations of issue 10 in turn (--duration seconds each, narrow with --only)
                         for SECONDS, and report that process's RSS each minute (issue 10, point 5)
  --help
Database: organigram_bench on the server of BENCH_DATABASE_URL, else DATABASE_URL, else an embedded
PostgreSQL of its own (.data/bench-postgres, port 54339). The application settings (DB_POOL_MAX,
LOG_LEVEL, RATE_LIMIT_ENABLED, ...) come from the environment as for npm start: logging at info, rate
limiting on (RATE_LIMIT defaults to 10000000 here, so the bench's one token is not refused).
Operations under load: ${OPERATIONS.map((o) => o.name).join('; ')}.
Timed operations (one request per run): ${TIMED_OPERATIONS.map((o) => o.name).join('; ')}.`;

interface Options extends LoadSettings {
  readonly reseed: boolean;
  readonly operations: readonly Operation[];
  readonly timed: readonly TimedOperation[];
  /** Runs of each timed operation. */
  readonly runs: number;
  readonly reference: boolean;
  readonly rounds: number;
  readonly people: number;
  readonly logFile: string;
  /** Seconds of the memory run (0: none). */
  readonly memoryRun: number;
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

function whole(value: string | undefined, flag: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) fail(`${flag} must be a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}

function parseOptions(args: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        duration: { type: 'string' },
        warmup: { type: 'string' },
        connections: { type: 'string' },
        runs: { type: 'string' },
        reseed: { type: 'boolean', default: false },
        reference: { type: 'boolean', default: false },
        rounds: { type: 'string' },
        people: { type: 'string' },
        'log-file': { type: 'string' },
        'memory-run': { type: 'string' },
        only: { type: 'string', multiple: true },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const only = (values.only ?? []).map((o) => o.toLowerCase());
  const selected = (o: { name: string }) => only.length === 0 || only.some((text) => o.name.toLowerCase().includes(text));
  const memoryRun = whole(values['memory-run'], '--memory-run', 0, 0, 86_400);
  if (memoryRun > 0 && memoryRun < 60) fail('--memory-run must be at least 60 seconds');
  // The memory run drives the five operations of issue 10 (those the reference answers).
  const fiveOnly = values.reference || memoryRun > 0;
  const operations = OPERATIONS.filter((o) => selected(o) && (!fiveOnly || o.reference));
  const timed = fiveOnly ? [] : TIMED_OPERATIONS.filter(selected);
  if (operations.length + timed.length === 0) fail(`--only matches no operation\n${USAGE}`);
  return {
    duration: whole(values.duration, '--duration', 10, 1, 3600),
    warmup: whole(values.warmup, '--warmup', 3, 0, 600),
    connections: whole(values.connections, '--connections', 32, 1, 1000),
    reseed: values.reseed,
    operations,
    timed,
    runs: whole(values.runs, '--runs', 3, 1, 100),
    reference: values.reference,
    rounds: whole(values.rounds, '--rounds', 1, 1, 100),
    people: whole(values.people, '--people', 100_000, 1000, 10_000_000),
    logFile: values['log-file'] ?? '/dev/null',
    memoryRun,
  };
}

/** The datasets the operations need, with what those depend on, in DATASETS order. */
function datasetsFor(operations: readonly { datasets: readonly Dataset<unknown>[] }[]): Dataset<unknown>[] {
  const needed = new Set<Dataset<unknown>>();
  const add = (dataset: Dataset<unknown>) => {
    if (needed.has(dataset)) return;
    needed.add(dataset);
    dataset.dependsOn.forEach(add);
  };
  operations.forEach((o) => o.datasets.forEach(add));
  const unknown = [...needed].filter((d) => !DATASETS.includes(d));
  if (unknown.length > 0) throw new Error(`datasets missing from DATASETS in bench.ts: ${unknown.map((d) => d.name).join(', ')}`);
  return DATASETS.filter((d) => needed.has(d));
}

/**
 * The application's configuration as npm start would build it (logging at LOG_LEVEL, info by
 * default; rate limiting on), pointed at the bench database. One token drives every connection, so
 * its limits are raised through the environment as an operator would: RATE_LIMIT (requests per
 * window; the guard still counts and answers its headers) and TOKEN_CONCURRENCY (the process-wide
 * limit of expensive reads, DB_POOL_MAX - 2 at once, stays as in production).
 */
function benchEnv(): NodeJS.ProcessEnv {
  return { ...process.env, RATE_LIMIT: process.env.RATE_LIMIT ?? '10000000', TOKEN_CONCURRENCY: process.env.TOKEN_CONCURRENCY ?? '10000' };
}

function appConfig(url: string): AppConfig {
  try {
    return loadConfig({
      ...benchEnv(),
      DATABASE_URL: url,
      HOST: '127.0.0.1',
      PORT: '0',
      DB_MIGRATE_ON_START: 'true',
    });
  } catch (error) {
    fail(error instanceof ConfigError ? `invalid configuration: ${error.message}` : String(error));
  }
}

interface PreparedData {
  readonly fixtures: Fixtures;
  readonly datasets: DatasetReport[];
  readonly serverVersion: string;
}

/**
 * Applies the migrations, then seeds each dataset whose rows are not already right (all of them with
 * --reseed, and every dataset depending on one just reseeded), and reads the fixtures.
 */
async function prepareData(
  config: AppConfig,
  db: BenchDatabase,
  datasets: readonly Dataset<unknown>[],
  reseed: boolean,
): Promise<PreparedData> {
  const orm = harnessOrm(config, db.url);
  try {
    await prepareDatabase(orm, config);
    const sql = sqlOn(orm.em);
    await deleteCreatedPeople(sql);
    const fixtures = new Fixtures();
    const reports: DatasetReport[] = [];
    const reseeded = new Set<Dataset<unknown>>();
    for (const dataset of datasets) {
      const stale = reseed || dataset.dependsOn.some((d) => reseeded.has(d)) || !(await dataset.isSeeded(sql));
      let seedSeconds: number | null = null;
      if (stale) {
        log(`seeding ${dataset.name}: ${dataset.description}`);
        const started = performance.now();
        await inSeedTransaction(orm, (tx) => dataset.seed(tx));
        seedSeconds = Math.round((performance.now() - started) / 100) / 10;
        reseeded.add(dataset);
        log(`seeded ${dataset.name} in ${seedSeconds} s`);
      } else {
        log(`${dataset.name}: already seeded (--reseed to rewrite)`);
      }
      fixtures.set(dataset, await dataset.fixtures(sql));
      reports.push({ name: dataset.name, description: dataset.description, rows: await dataset.count(sql), reseeded: stale, seedSeconds });
    }
    if (reseeded.size > 0) {
      const started = performance.now();
      await sql('vacuum analyze');
      log(`vacuum analyze in ${Math.round((performance.now() - started) / 100) / 10} s`);
    }
    await sql('delete from api_token where name = ?', [BENCH_TOKEN_NAME]);
    const [version] = await sql<{ server_version: string }>('show server_version');
    return { fixtures, datasets: reports, serverVersion: version?.server_version ?? 'unknown' };
  } finally {
    await orm.close(true);
  }
}

/**
 * The people the create operation made (this run's or an interrupted run's), 1,000 per statement: each
 * delete fires the change-log, history and reporting-line triggers, and one statement for the 15,000
 * to 30,000 people of a `--rounds 2` run outlasted DB_STATEMENT_TIMEOUT_MS under load (72 s for 14,542
 * at load 13), so they stayed, and the next run found more people than seeded and reseeded everything.
 */
async function deleteCreatedPeople(sql: ReturnType<typeof sqlOn>): Promise<void> {
  for (;;) {
    const deleted = await sql(
      'delete from person where id in (select id from person where lower(email) like ? limit 1000) returning 1 as gone',
      [`%@${CREATED_EMAIL_DOMAIN}`],
    );
    if (deleted.length === 0) return;
  }
}

function describeRun(run: RunSummary): string {
  const failures = run.non2xx + run.errors > 0 ? `, ${run.non2xx} non-2xx, ${run.errors} errors` : '';
  return `${run.requestsPerSecond} req/s, p50 ${run.latencyMs.p50 ?? '-'} ms, p99 ${run.latencyMs.p99 ?? '-'} ms${failures}`;
}

/** Stands for the warm-up with --warmup 0: nothing is run. */
const NO_RUN: RunSummary = {
  seconds: 0,
  responses: 0,
  requestsPerSecond: 0,
  latencyMs: { p50: null, p90: null, p99: null, max: null },
  non2xx: 0,
  statusCodes: {},
  errors: 0,
  timeouts: 0,
  loadAverage: 0,
  cpuMsPerResponse: null,
};

/**
 * Sends the same request (for the create: two of the same shape, different emails) to both servers
 * and compares status, pagination headers, Location and JSON body; fields that differ by nature
 * (a new person's id, email and timestamps) are set aside. Returns what differs, or undefined.
 */
async function sameAnswers(
  service: LoadTarget,
  reference: LoadTarget,
  operation: Operation,
  fixtures: Fixtures,
): Promise<string | undefined> {
  const next = operation.vary?.(fixtures) ?? (() => ({ path: operation.path, body: operation.body }));
  const variant = next();
  const a = await answerOf(service, operation, variant);
  const b = await answerOf(
    reference,
    operation,
    operation.method === 'POST' && operation.reference && operation.expectedStatus === 201 ? next() : variant,
  );
  const masked = (answer: Answer) => {
    if (operation.expectedStatus !== 201) return answer;
    const { id: _id, email: _email, createdAt: _c, updatedAt: _u, ...rest } = answer.body as Record<string, unknown>;
    return { ...answer, headers: { ...answer.headers, location: answer.headers.location ? 'set' : null }, body: rest };
  };
  const [x, y] = [JSON.stringify(masked(a)), JSON.stringify(masked(b))];
  if (x === y) return undefined;
  let at = 0;
  while (at < x.length && x[at] === y[at]) at++;
  return `from character ${at}: service ${x.slice(Math.max(0, at - 40), at + 80)} / reference ${y.slice(Math.max(0, at - 40), at + 80)}`;
}

interface Measured {
  readonly first: { status: number; body: string };
  readonly warmup: RunSummary;
  readonly measured: RunSummary;
}

async function measureOn(
  target: LoadTarget,
  label: string,
  operation: Operation,
  fixtures: Fixtures,
  options: Options,
  signal: AbortSignal,
): Promise<Measured> {
  const first = await preflight(target, operation, fixtures);
  if (!statusOk(operation, first.status)) log(`${label}: the first request answered ${first.status}: ${first.body}`);
  log(`${label}: ${options.warmup} s warm-up, then ${options.duration} s measured`);
  const warmup =
    options.warmup > 0
      ? await runLoad(target, operation, fixtures, { seconds: options.warmup, connections: options.connections }, signal)
      : NO_RUN;
  const measured = await runLoad(target, operation, fixtures, { seconds: options.duration, connections: options.connections }, signal);
  log(`${label}: ${describeRun(measured)}`);
  return { first, warmup, measured };
}

function statusOk(operation: Operation, status: number): boolean {
  return operation.expectedStatus === undefined ? status >= 200 && status < 300 : status === operation.expectedStatus;
}

const clean = (run: RunSummary) => run.non2xx === 0 && run.errors === 0;
const cleanMeasure = (operation: Operation, m: Measured) =>
  statusOk(operation, m.first.status) && clean(m.measured) && clean(m.warmup) && m.measured.responses > 0;

function middle(values: readonly (number | null)[], scale = 100): number | null {
  const known = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (known.length === 0) return null;
  const m = Math.floor(known.length / 2);
  return Math.round((known.length % 2 === 1 ? known[m] : (known[m - 1] + known[m]) / 2) * scale) / scale;
}

const medianOf = (runs: readonly RunSummary[]) => ({
  requestsPerSecond: middle(runs.map((r) => r.requestsPerSecond)) ?? 0,
  p50: middle(runs.map((r) => r.latencyMs.p50)),
  p99: middle(runs.map((r) => r.latencyMs.p99)),
  cpuMsPerResponse: middle(
    runs.map((r) => r.cpuMsPerResponse),
    1000,
  ),
});

/** The round whose throughput is closest to the median: it stands for the rounds in the usual columns. */
function closestTo(rounds: readonly Measured[], median: { requestsPerSecond: number }): Measured | undefined {
  const distance = (m: Measured) => Math.abs(m.measured.requestsPerSecond - median.requestsPerSecond);
  return [...rounds].sort((a, b) => distance(a) - distance(b))[0];
}

async function measure(
  target: LoadTarget,
  reference: LoadTarget | undefined,
  operation: Operation,
  fixtures: Fixtures,
  options: Options,
  signal: AbortSignal,
): Promise<OperationResult> {
  const base = { operation: operation.name, method: operation.method, path: operation.path };
  if (!reference || !operation.reference) {
    const m = await measureOn(target, operation.name, operation, fixtures, options, signal);
    return { ...base, ok: cleanMeasure(operation, m), preflight: statusOk(operation, m.first.status) ? null : m.first, ...m };
  }
  const mismatch = await sameAnswers(target, reference, operation, fixtures);
  if (mismatch) log(`${operation.name}: the service and the reference answer differently: ${mismatch}`);
  // Alternated: service then reference in odd rounds, reference then service in even ones, so that
  // neither always runs first (on a shared machine the load drifts from one minute to the next).
  const service: Measured[] = [];
  const ref: Measured[] = [];
  for (let round = 1; round <= options.rounds && !signal.aborted; round++) {
    const order = round % 2 === 1 ? (['service', 'reference'] as const) : (['reference', 'service'] as const);
    for (const which of order) {
      if (signal.aborted) break;
      const label = `${operation.name} [${which}${options.rounds > 1 ? `, round ${round}` : ''}]`;
      const m = await measureOn(which === 'service' ? target : reference, label, operation, fixtures, options, signal);
      (which === 'service' ? service : ref).push(m);
    }
  }
  const serviceMedian = medianOf(service.map((m) => m.measured));
  const referenceMedian = medianOf(ref.map((m) => m.measured));
  const comparison: Comparison = {
    service: service.map((m) => m.measured),
    reference: ref.map((m) => m.measured),
    serviceMedian,
    referenceMedian,
    ratio:
      referenceMedian.requestsPerSecond > 0
        ? Math.round((serviceMedian.requestsPerSecond / referenceMedian.requestsPerSecond) * 100) / 100
        : null,
    referenceOk: mismatch === undefined && ref.length > 0 && ref.every((m) => cleanMeasure(operation, m)),
    sameAnswer: mismatch ?? null,
  };
  // The service's round closest to its median stands for it in the usual columns.
  const representative = closestTo(service, serviceMedian);
  const firstBad = service.find((m) => !statusOk(operation, m.first.status))?.first ?? null;
  return {
    ...base,
    ok: service.length > 0 && service.every((m) => cleanMeasure(operation, m)),
    preflight: firstBad,
    warmup: representative?.warmup ?? NO_RUN,
    measured: representative?.measured ?? NO_RUN,
    comparison,
  };
}

/**
 * The change-log and history triggers of `table` (migrations change_log, as_of and row_update_log; an
 * update's event and history row come from one row trigger, `<table>_z_history`): what issue 11's
 * point 9 calls the log's write overhead. The ETag version trigger stays (it is not the log).
 */
const logTriggers = (table: string) => [
  `change_log_${table}_insert`,
  `change_log_${table}_delete`,
  `${table}_z_history`,
  `${table}_z_history_delete`,
];

async function setLogTriggers(sql: ReturnType<typeof sqlOn>, tables: readonly string[], enabled: boolean): Promise<void> {
  for (const table of tables) {
    const verb = enabled ? 'enable' : 'disable';
    await sql(
      `alter table ${table} ${logTriggers(table)
        .map((name) => `${verb} trigger ${name}`)
        .join(', ')}`,
    );
  }
}

/** Seconds of each arm's discarded burn-in run before the first round. */
const LOG_BURN_IN_SECONDS = 10;

/**
 * Issue 11, point 9: the same write with the change-log and history triggers enabled, then disabled
 * (on the bench database only, between runs, never under load), in alternated rounds (enabled first
 * in odd rounds), at least two, after a discarded burn-in of each arm. `measured` is the enabled
 * rounds' median; `logOverhead.ratio` is enabled / disabled throughput of the arms' medians,
 * `logOverhead.paired` the median of each round's own ratio with its 95% interval
 * (scripts/bench/paired.ts: why; docs/performance.md: how many rounds). The triggers are enabled
 * again whatever happens.
 */
async function measureLogOverhead(
  target: LoadTarget,
  operation: Operation & { logOverhead: { tables: readonly string[] } },
  fixtures: Fixtures,
  options: Options,
  signal: AbortSignal,
  sql: ReturnType<typeof sqlOn>,
): Promise<OperationResult> {
  const on: Measured[] = [];
  const off: Measured[] = [];
  const rounds = Math.max(2, options.rounds);
  try {
    // Burn-in, discarded: each arm once, off then on (round 1 measures the log-on arm first). Without
    // it round 1 measured the log-on arm on a cold process and cold caches: 0.58 (update) and 0.63
    // (create) of the log-off arm in the first 30-round run, the lowest of 30 (docs/performance.md).
    for (const enabled of [false, true] as const) {
      if (signal.aborted) break;
      await setLogTriggers(sql, operation.logOverhead.tables, enabled);
      const burnIn = { ...options, warmup: 0, duration: LOG_BURN_IN_SECONDS };
      await measureOn(target, `${operation.name} [log ${enabled ? 'on' : 'off'}, burn-in]`, operation, fixtures, burnIn, signal);
    }
    for (let round = 1; round <= rounds && !signal.aborted; round++) {
      const order = round % 2 === 1 ? ([true, false] as const) : ([false, true] as const);
      for (const enabled of order) {
        if (signal.aborted) break;
        await setLogTriggers(sql, operation.logOverhead.tables, enabled);
        const label = `${operation.name} [log ${enabled ? 'on' : 'off'}, round ${round}]`;
        (enabled ? on : off).push(await measureOn(target, label, operation, fixtures, options, signal));
      }
    }
  } finally {
    await setLogTriggers(sql, operation.logOverhead.tables, true);
  }
  const onMedian = medianOf(on.map((m) => m.measured));
  const offMedian = medianOf(off.map((m) => m.measured));
  // on[i] and off[i] are round i + 1's two runs (an interrupted round may have only the first).
  const roundRatios = off
    .slice(0, on.length)
    .map((m, i) => on[i].measured.requestsPerSecond / m.measured.requestsPerSecond)
    .filter((ratio) => Number.isFinite(ratio));
  const representative = closestTo(on, onMedian);
  const all = [...on, ...off];
  return {
    operation: operation.name,
    method: operation.method,
    path: operation.path,
    ok: all.length > 0 && all.every((m) => cleanMeasure(operation, m)),
    preflight: all.find((m) => !statusOk(operation, m.first.status))?.first ?? null,
    warmup: representative?.warmup ?? NO_RUN,
    measured: representative?.measured ?? NO_RUN,
    logOverhead: {
      service: on.map((m) => m.measured),
      reference: off.map((m) => m.measured),
      serviceMedian: onMedian,
      referenceMedian: offMedian,
      ratio: offMedian.requestsPerSecond > 0 ? Math.round((onMedian.requestsPerSecond / offMedian.requestsPerSecond) * 100) / 100 : null,
      referenceOk: off.every((m) => cleanMeasure(operation, m)),
      sameAnswer: null,
      roundRatios: roundRatios.map((ratio) => Math.round(ratio * 1000) / 1000),
      paired: pairedEstimate(roundRatios),
    },
  };
}

/** Issue 11, point 3: each as-of read against the same read of now, measured in the same run. */
function asOfRatios(operations: readonly Operation[], results: readonly OperationResult[]): AsOfRatio[] {
  const byName = new Map(results.map((r) => [r.operation, r]));
  return operations.flatMap((operation) => {
    const asOf = byName.get(operation.name);
    const now = operation.asOfOf === undefined ? undefined : byName.get(operation.asOfOf);
    if (!asOf || !now) return [];
    const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : Math.round((a / b) * 100) / 100);
    return [
      {
        operation: operation.name,
        now: now.operation,
        throughput: ratio(now.measured.requestsPerSecond, asOf.measured.requestsPerSecond),
        p50: ratio(asOf.measured.latencyMs.p50, now.measured.latencyMs.p50),
        ok: asOf.ok && now.ok,
      },
    ];
  });
}

/** `--memory-run`: the service in a process of its own under the five operations (scripts/bench/memory-run.ts). */
async function memoryRun(config: AppConfig, db: BenchDatabase, data: PreparedData, options: Options, signal: AbortSignal): Promise<number> {
  // With every entity (as the token CLI has it): the harness creates the token the load carries.
  const harness = new MikroORM({ ...cliOrmConfig(config, db.url), allowGlobalContext: true, logger: () => undefined });
  try {
    const token = await new TokensService(harness.em.fork(), config).create({
      name: BENCH_TOKEN_NAME,
      role: SiteRole.OpseraAdministrator,
      scopes: [Scope.Api, Scope.Scim],
    });
    const loadAverage = loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    log(
      `memory run: ${options.memoryRun} s, ${options.duration} s per operation, ${options.connections} connections, load average ${loadAverage}`,
    );
    try {
      const result = await runMemoryRun(
        {
          root,
          databaseUrl: db.url,
          env: benchEnv(),
          token: token.token,
          operations: options.operations,
          fixtures: data.fixtures,
          seconds: options.memoryRun,
          segment: options.duration,
          connections: options.connections,
          logFile: options.logFile,
          log,
        },
        signal,
      );
      if (signal.aborted) return 130;
      process.stdout.write(`\n${formatMemoryRun(result)}\n`);
      const file = writeMemoryReport(root, {
        startedAt: new Date().toISOString(),
        arguments: process.argv.slice(2),
        loadAverage,
        ...result,
      });
      process.stdout.write(`\nresults: ${file}\n`);
      return result.ok ? 0 : 1;
    } finally {
      await harness.em.fork().getConnection().execute('delete from api_token where id = ?', [token.id]);
      await deleteCreatedPeople(sqlOn(harness.em.fork()));
    }
  } finally {
    await harness.close(true);
  }
}

async function main(): Promise<number> {
  // Bulk sync is measured on its own (an emptied database, whole jobs timed): scripts/bench/sync.ts.
  if (process.argv.slice(2).join(' ') === '--only sync') return runSyncBench(process.env, root);
  const options = parseOptions(process.argv.slice(2));
  const datasets = datasetsFor([...options.operations, ...options.timed]);
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (abort.signal.aborted) process.exit(130);
    log(`${signal}: stopping after the current step and cleaning up (again to quit at once)`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const startedAt = new Date();
  const db = await openBenchDatabase(process.env, root).catch((error: Error) => fail(error.message));
  log(`database ${db.description} (${db.source === 'embedded' ? 'embedded PostgreSQL' : db.source})`);
  let app: NestFastifyApplication | undefined;
  let referenceServer: ReferenceServer | undefined;
  setPeople(options.people);
  try {
    const config = appConfig(db.url);
    const data = await prepareData(config, db, datasets, options.reseed);
    if (abort.signal.aborted) return 130;
    if (options.memoryRun > 0) return await memoryRun(config, db, data, options, abort.signal);

    // The logger does all its work (level checks, serializers, redaction, JSON); only the sink differs
    // from production's stdout: a synchronous file write, as pino's default destination is.
    // createApp prepares the database as the server does (prepareData applied the migrations: none pending).
    app = await createApp(config, db.url, { logDestination: pino.destination({ dest: options.logFile, sync: true }) });
    const orm = app.get(MikroORM);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.getHttpAdapter().getInstance().server.address();
    if (address === null || typeof address === 'string') throw new Error('the application did not report its TCP port');
    const token = await new TokensService(orm.em.fork(), config).create({
      name: BENCH_TOKEN_NAME,
      role: SiteRole.OpseraAdministrator,
      scopes: [Scope.Api, Scope.Scim],
    });
    const target: LoadTarget = { origin: `http://127.0.0.1:${address.port}`, token: token.token };
    log(`application listening on ${target.origin}`);
    let reference: LoadTarget | undefined;
    if (options.reference) {
      referenceServer = await startReferenceServer(db.url, config.database.poolMax);
      reference = { origin: referenceServer.origin, token: token.token };
      log(`reference server (Fastify + pg, pool of ${config.database.poolMax}) listening on ${reference.origin}`);
    }

    // Issue 10, point 5: the process's resident memory (service, reference server and load generator
    // together: they share this process) sampled every second through the runs.
    const rss: number[] = [];
    const sampleRss = () => rss.push(Math.round(process.memoryUsage().rss / 2 ** 20));
    sampleRss();
    const sampler = setInterval(sampleRss, 1000);
    sampler.unref();
    const loadAverage = loadavg().map((l) => Math.round(l * 100) / 100);
    const results: OperationResult[] = [];
    const timed: TimedResult[] = [];
    try {
      for (const operation of options.operations) {
        if (abort.signal.aborted) break;
        const { logOverhead } = operation;
        results.push(
          logOverhead && !reference
            ? await measureLogOverhead(target, { ...operation, logOverhead }, data.fixtures, options, abort.signal, sqlOn(orm.em.fork()))
            : await measure(target, reference, operation, data.fixtures, options, abort.signal),
        );
      }
      if (options.timed.length > 0 && !abort.signal.aborted) {
        // The harness's own pool prepares and checks the rows, so the application's pool only serves the request.
        const harness = harnessOrm(config, db.url);
        try {
          for (const operation of options.timed) {
            if (abort.signal.aborted) break;
            log(`${operation.name}: ${options.runs} runs, each on freshly prepared rows`);
            timed.push(await runTimed(target, harness, operation, options.runs, abort.signal, log));
          }
        } finally {
          await harness.close(true);
        }
      }
    } finally {
      await orm.em.fork().getConnection().execute('delete from api_token where id = ?', [token.id]);
      await deleteCreatedPeople(sqlOn(orm.em.fork()));
    }
    if (abort.signal.aborted) {
      log('interrupted: no results written');
      return 130;
    }

    clearInterval(sampler);
    sampleRss();
    log(`memory (this process): RSS ${rss[0]} MiB at the start, ${Math.max(...rss)} MiB at most, ${rss[rss.length - 1]} MiB at the end`);
    const cpuList = cpus();
    const report: BenchReport = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      arguments: process.argv.slice(2),
      machine: {
        cpus: cpuList.length,
        availableParallelism: availableParallelism(),
        cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
        memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
        platform: platform(),
        arch: arch(),
        release: release(),
        loadAverage,
      },
      node: process.version,
      database: { source: db.source, location: db.description, serverVersion: data.serverVersion },
      app: {
        poolMax: config.database.poolMax,
        logLevel: config.log.level,
        logFile: options.logFile,
        rateLimit: config.rateLimit.enabled ? config.rateLimit.limit : null,
      },
      load: {
        tool: 'autocannon 9',
        inProcess: true,
        duration: options.duration,
        warmup: options.warmup,
        connections: options.connections,
        timedRuns: options.runs,
      },
      datasets: data.datasets,
      memory: { rssMiB: { start: rss[0], max: Math.max(...rss), end: rss[rss.length - 1], samples: rss.length } },
      results,
      asOf: asOfRatios(options.operations, results),
      timed,
      ok: results.every((r) => r.ok && (r.comparison?.referenceOk ?? true)) && timed.every((t) => t.ok),
    };
    process.stdout.write(`\n${formatReport(report)}\n`);
    process.stdout.write(`\nresults: ${writeReport(root, report)}\n`);
    return report.ok ? 0 : 1;
  } finally {
    await referenceServer?.close().catch((error: Error) => log(`error while closing the reference server: ${error.message}`));
    await app?.close().catch((error: Error) => log(`error while closing the application: ${error.message}`));
    await db.close().catch((error: Error) => log(`error while stopping the database: ${error.message}`));
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => fail(error instanceof Error ? error.message.split('\n')[0] : String(error)),
);
