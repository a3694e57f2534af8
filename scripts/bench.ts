import 'reflect-metadata';
import { arch, availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MikroORM } from '@mikro-orm/postgresql';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../src/app.setup.js';
import { SiteRole } from '../src/common/auth/site-roles.js';
import { ConfigError, loadConfig, type AppConfig } from '../src/config/app-config.js';
import { prepareDatabase } from '../src/database/prepare.js';
import { TokensService } from '../src/tokens/tokens.service.js';
import { harnessOrm, inSeedTransaction, openBenchDatabase, sqlOn, type BenchDatabase } from './bench/database.js';
import { preflight, runLoad, type LoadTarget } from './bench/load.js';
import { OPERATIONS, TIMED_OPERATIONS } from './bench/operations.js';
import { org } from './bench/org.dataset.js';
import { people } from './bench/people.dataset.js';
import { formatReport, writeReport, type BenchReport, type DatasetReport } from './bench/report.js';
import { runTimed } from './bench/timed.js';
import {
  Fixtures,
  type Dataset,
  type LoadSettings,
  type Operation,
  type OperationResult,
  type RunSummary,
  type TimedOperation,
  type TimedResult,
} from './bench/types.js';

/** Every dataset, in dependency order (a dataset after those it references). */
const DATASETS: readonly Dataset<unknown>[] = [people, org];

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
  --help
Database: organigram_bench on the server of BENCH_DATABASE_URL, else DATABASE_URL, else an embedded
PostgreSQL of its own (.data/bench-postgres, port 54339). The application settings (DB_POOL_MAX, ...)
come from the environment as for npm start.
Operations under load: ${OPERATIONS.map((o) => o.name).join('; ')}.
Timed operations (one request per run): ${TIMED_OPERATIONS.map((o) => o.name).join('; ')}.`;

interface Options extends LoadSettings {
  readonly reseed: boolean;
  readonly operations: readonly Operation[];
  readonly timed: readonly TimedOperation[];
  /** Runs of each timed operation. */
  readonly runs: number;
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
  const operations = OPERATIONS.filter(selected);
  const timed = TIMED_OPERATIONS.filter(selected);
  if (operations.length + timed.length === 0) fail(`--only matches no operation\n${USAGE}`);
  return {
    duration: whole(values.duration, '--duration', 10, 1, 3600),
    warmup: whole(values.warmup, '--warmup', 3, 0, 600),
    connections: whole(values.connections, '--connections', 32, 1, 1000),
    reseed: values.reseed,
    operations,
    timed,
    runs: whole(values.runs, '--runs', 3, 1, 100),
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

/** The application's configuration as npm start would build it, pointed at the bench database, quiet and unthrottled. */
function appConfig(url: string): AppConfig {
  try {
    return loadConfig({
      ...process.env,
      DATABASE_URL: url,
      LOG_LEVEL: 'silent',
      RATE_LIMIT_ENABLED: 'false',
      // One token drives every connection: its per-token limit would turn the load into 429s. The
      // process-wide limit of expensive reads (DB_POOL_MAX - 2 at once) stays, as in production.
      TOKEN_CONCURRENCY: process.env.TOKEN_CONCURRENCY ?? '10000',
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
};

async function measure(
  target: LoadTarget,
  operation: Operation,
  fixtures: Fixtures,
  options: Options,
  signal: AbortSignal,
): Promise<OperationResult> {
  const first = await preflight(target, operation, fixtures);
  const firstOk = first.status >= 200 && first.status < 300;
  if (!firstOk) log(`${operation.name}: the first request answered ${first.status}: ${first.body}`);
  log(`${operation.name}: ${options.warmup} s warm-up, then ${options.duration} s measured`);
  const warmup =
    options.warmup > 0
      ? await runLoad(target, operation, fixtures, { seconds: options.warmup, connections: options.connections }, signal)
      : NO_RUN;
  const measured = await runLoad(target, operation, fixtures, { seconds: options.duration, connections: options.connections }, signal);
  log(`${operation.name}: ${describeRun(measured)}`);
  const clean = (run: RunSummary) => run.non2xx === 0 && run.errors === 0;
  return {
    operation: operation.name,
    method: operation.method,
    path: operation.path,
    ok: firstOk && clean(measured) && clean(warmup) && measured.responses > 0,
    preflight: firstOk ? null : first,
    warmup,
    measured,
  };
}

async function main(): Promise<number> {
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
  try {
    const config = appConfig(db.url);
    const data = await prepareData(config, db, datasets, options.reseed);
    if (abort.signal.aborted) return 130;

    app = await createApp(config, db.url);
    const orm = app.get(MikroORM);
    await prepareDatabase(orm, { ...config, database: { ...config.database, migrateOnStart: false } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.getHttpAdapter().getInstance().server.address();
    if (address === null || typeof address === 'string') throw new Error('the application did not report its TCP port');
    const token = await new TokensService(orm.em.fork(), config).create({ name: BENCH_TOKEN_NAME, role: SiteRole.OpseraAdministrator });
    const target: LoadTarget = { origin: `http://127.0.0.1:${address.port}`, token: token.token };
    log(`application listening on ${target.origin}`);

    const loadAverage = loadavg().map((l) => Math.round(l * 100) / 100);
    const results: OperationResult[] = [];
    const timed: TimedResult[] = [];
    try {
      for (const operation of options.operations) {
        if (abort.signal.aborted) break;
        results.push(await measure(target, operation, data.fixtures, options, abort.signal));
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
    }
    if (abort.signal.aborted) {
      log('interrupted: no results written');
      return 130;
    }

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
      app: { poolMax: config.database.poolMax },
      load: {
        tool: 'autocannon 9',
        inProcess: true,
        duration: options.duration,
        warmup: options.warmup,
        connections: options.connections,
        timedRuns: options.runs,
      },
      datasets: data.datasets,
      results,
      timed,
      ok: results.every((r) => r.ok) && timed.every((t) => t.ok),
    };
    process.stdout.write(`\n${formatReport(report)}\n`);
    process.stdout.write(`\nresults: ${writeReport(root, report)}\n`);
    return report.ok ? 0 : 1;
  } finally {
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
