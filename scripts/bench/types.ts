/**
 * The benchmark's vocabulary. A dataset seeds rows into the bench database and hands the operations
 * the values they draw from (fixtures); an operation is one HTTP request shape that autocannon repeats.
 * Adding a dataset: a module like people.dataset.ts plus an entry in DATASETS (bench.ts). Adding an
 * operation: an entry in OPERATIONS (operations.ts).
 */

import type { PairedEstimate } from './paired.js';

/** Runs one SQL statement (`?` placeholders) on the bench database and returns its rows. */
export type Sql = <Row extends object = Record<string, unknown>>(query: string, params?: readonly unknown[]) => Promise<Row[]>;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Dataset<F> {
  /** Short identifier, used in logs and results (`people`). */
  readonly name: string;
  /** One line: what seed() writes. */
  readonly description: string;
  /** Datasets whose rows this one references. They are seeded first; reseeding one of them reseeds this one too. */
  readonly dependsOn: readonly Dataset<unknown>[];
  /** True when the rows are already there as seed() leaves them, so a rerun can skip seeding. */
  isSeeded(sql: Sql): Promise<boolean>;
  /**
   * Replaces the dataset's rows, in one transaction (statement timeout lifted). Set-based SQL only:
   * INSERT ... SELECT FROM generate_series, never one insert per row. The harness runs VACUUM ANALYZE
   * afterwards, so fresh rows have statistics and autovacuum does not wake up in the middle of a run.
   */
  seed(sql: Sql): Promise<void>;
  /** Rows the dataset has now (for the report). */
  count(sql: Sql): Promise<number>;
  /** Values the operations draw from (real keys of seeded rows), read once before the runs. */
  fixtures(sql: Sql): Promise<F>;
}

/** The fixtures of every seeded dataset, looked up by the dataset itself so the value keeps its type. */
export class Fixtures {
  private readonly values = new Map<Dataset<unknown>, unknown>();

  set<F>(dataset: Dataset<F>, value: F): void {
    this.values.set(dataset, value);
  }

  get<F>(dataset: Dataset<F>): F {
    if (!this.values.has(dataset)) throw new Error(`no fixtures for dataset ${dataset.name}: is it listed in the operation's datasets?`);
    return this.values.get(dataset) as F;
  }
}

/** The part of a request that may change from one request to the next. */
export interface RequestVariant {
  readonly path: string;
  readonly body?: JsonValue;
}

export interface Operation {
  /** Unique, short: the row label in the report and the key in the JSON results. */
  readonly name: string;
  readonly method: HttpMethod;
  /** The request path; with `vary`, the template shown in the report (`/api/v2/data/people/{email}`). */
  readonly path: string;
  /** JSON body of every request (sent with Content-Type: application/json). */
  readonly body?: JsonValue;
  /** Datasets that must be seeded, and whose fixtures `vary` may read. */
  readonly datasets: readonly Dataset<unknown>[];
  /**
   * Varies the requests: called once per run with the fixtures, it returns the generator of each
   * request's path (and body). Runs on autocannon's hot path: keep it to an array pick and a string.
   */
  readonly vary?: (fixtures: Fixtures) => () => RequestVariant;
  /** True when the reference server (scripts/bench/reference-server.ts) answers it too: measured by --reference. */
  readonly reference?: boolean;
  /** Expected status of every answer (default: any 2xx). */
  readonly expectedStatus?: number;
  /**
   * The point-in-time form (contract section 10.2) of the operation of that name: the report sets its
   * figures against that one's, measured in the same run (issue 11, point 3: at most 2x).
   */
  readonly asOfOf?: string;
  /**
   * A write whose cost with the change log and the history triggers is set against the same write with
   * them disabled on the bench database, rounds alternated (issue 11, point 9: at most 15%).
   */
  readonly logOverhead?: { readonly tables: readonly string[] };
}

/** What one run of a timed operation acts on, made fresh before the run. */
export interface TimedTarget {
  /** The request path of this run (`/v2/org-unit/delete/<id>?force=true`). */
  readonly path: string;
  /** What was prepared, for the report (`{ units: 1000, assignments: 60000 }`). */
  readonly prepared: Readonly<Record<string, number>>;
  /** After a run that answered the expected status: checks by SQL that the request did its work; returns the problems found. */
  verify(sql: Sql): Promise<string[]>;
}

/**
 * A request that consumes its data (a delete), so it cannot be repeated under load: each run
 * prepares its rows, sends the request once, times it from sending to the end of the answer, and
 * checks the result by SQL.
 */
export interface TimedOperation {
  /** Unique, short: the label in the report. */
  readonly name: string;
  readonly method: HttpMethod;
  /** The request path template shown in the report. */
  readonly path: string;
  /** The status every run must answer. */
  readonly expectedStatus: number;
  /** Datasets that must be seeded. */
  readonly datasets: readonly Dataset<unknown>[];
  /**
   * In one transaction (statement timeout lifted), before each run: (re)creates the rows the
   * request consumes, without reseeding the rest. Also run once after the last run, so the dataset
   * is left as seeded.
   */
  prepare(sql: Sql): Promise<TimedTarget>;
  /** Tables to VACUUM ANALYZE after each prepare, outside the transaction, so every run starts from the same state. */
  readonly vacuum: readonly string[];
}

export interface LoadSettings {
  /** Seconds measured. */
  readonly duration: number;
  /** Seconds of warm-up before each measured run, discarded. */
  readonly warmup: number;
  readonly connections: number;
}

/** One autocannon run, reduced to what the report needs. */
export interface RunSummary {
  /** Seconds actually run. */
  readonly seconds: number;
  /** Responses received, whatever their status. */
  readonly responses: number;
  /** Mean of autocannon's per-second samples (all responses). */
  readonly requestsPerSecond: number;
  /** Of 2xx responses only, from their exact (sub-millisecond) times; null when there were none. */
  readonly latencyMs: {
    readonly p50: number | null;
    readonly p90: number | null;
    readonly p99: number | null;
    readonly max: number | null;
  };
  readonly non2xx: number;
  /** Count per HTTP status. */
  readonly statusCodes: Readonly<Record<string, number>>;
  /** Connection errors and timeouts (no response at all). */
  readonly errors: number;
  readonly timeouts: number;
  /** Operating system load average (1 min) when the run started: a noise indicator. */
  readonly loadAverage: number;
  /**
   * CPU time of this process (user + system) during the run per response, in ms: the server measured
   * and the load generator (the same for the service and the reference). Far less sensitive to the
   * machine's load than req/s; the Node-side cost of an operation. Null without responses.
   */
  readonly cpuMsPerResponse: number | null;
}

export interface OperationResult {
  readonly operation: string;
  readonly method: HttpMethod;
  readonly path: string;
  /** True when every response of the warm-up and the measured run was 2xx and none failed. */
  readonly ok: boolean;
  /** Status and start of the body of the one request sent before the runs, when it was not 2xx. */
  readonly preflight: { readonly status: number; readonly body: string } | null;
  readonly warmup: RunSummary;
  readonly measured: RunSummary;
  /**
   * With --reference: each round's measured runs of the service and of the reference (alternated:
   * service first in odd rounds, reference first in even ones); `measured` above is the service's
   * median round. Absent without --reference or for an operation the reference does not answer.
   */
  readonly comparison?: Comparison;
  /**
   * For a `logOverhead` operation: the rounds with the change-log and history triggers enabled
   * (`service`) and disabled (`reference`); `ratio` = enabled / disabled throughput (medians of
   * each arm); `paired`, the bench's estimate, from each round's own ratio.
   */
  readonly logOverhead?: LogOverhead;
}

/** Issue 11 point 9: the log-on and log-off rounds of one write. */
export interface LogOverhead extends Comparison {
  /** Each round's log-on req/s / log-off req/s (the two runs of one round ran back to back), in round order. */
  readonly roundRatios: readonly number[];
  /** The median of `roundRatios` and its 95% distribution-free interval (scripts/bench/paired.ts). */
  readonly paired: PairedEstimate | null;
}

/** Medians over the rounds of one side. */
export interface Median {
  readonly requestsPerSecond: number;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly cpuMsPerResponse: number | null;
}

export interface Comparison {
  readonly service: readonly RunSummary[];
  readonly reference: readonly RunSummary[];
  /** Median over the rounds of the reference's req/s, p50 and p99. */
  readonly referenceMedian: Median;
  readonly serviceMedian: Median;
  /** service req/s / reference req/s (medians), 2 decimals. */
  readonly ratio: number | null;
  /** True when every answer of the reference was 2xx and its answer matched the service's. */
  readonly referenceOk: boolean;
  /** Null when the same request got the same answer from both; else where they differ. */
  readonly sameAnswer: string | null;
}

/** One run of a timed operation. */
export interface TimedRun {
  readonly run: number;
  /** Milliseconds from sending the request to the end of the answer. */
  readonly ms: number;
  readonly status: number;
  /** Start of the answer's body when the status was not the expected one. */
  readonly body: string | null;
  /** What prepare made for this run. */
  readonly prepared: Readonly<Record<string, number>>;
  /** Seconds the preparation (and its vacuum) took; not part of ms. */
  readonly prepareSeconds: number;
  /** Problems the SQL check found afterwards (empty: none). */
  readonly problems: readonly string[];
  /** Operating system load average (1 min) just before the request. */
  readonly loadAverage: number;
  readonly ok: boolean;
}

export interface TimedResult {
  readonly operation: string;
  readonly method: HttpMethod;
  readonly path: string;
  readonly expectedStatus: number;
  readonly runs: readonly TimedRun[];
  /** Median of the runs' ms (all runs); null when none ran. */
  readonly medianMs: number | null;
  /** True when every run answered the expected status and passed its check. */
  readonly ok: boolean;
}
