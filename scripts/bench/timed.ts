import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { MikroORM } from '@mikro-orm/postgresql';
import { inSeedTransaction, sqlOn } from './database.js';
import type { LoadTarget } from './load.js';
import type { TimedOperation, TimedResult, TimedRun } from './types.js';

const round2 = (value: number) => Math.round(value * 100) / 100;

/** Median (the mean of the two middle values for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return round2(sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2);
}

/** Prepares the operation's rows in one transaction, then vacuums its tables; returns the target and the seconds taken. */
async function prepare(orm: MikroORM, operation: TimedOperation) {
  const started = performance.now();
  const target = await inSeedTransaction(orm, (sql) => operation.prepare(sql));
  const sql = sqlOn(orm.em.fork());
  for (const table of operation.vacuum) await sql(`vacuum analyze ${table}`);
  return { target, seconds: Math.round((performance.now() - started) / 100) / 10 };
}

/**
 * `runs` runs of `operation`: each prepares its rows (through `orm`, the harness's own connection
 * pool, not the application's), sends the one request with fetch and times it, then checks the
 * result by SQL. After the last run (or an interruption) the rows are prepared once more, so the
 * dataset is left as seeded.
 */
export async function runTimed(
  target: LoadTarget,
  orm: MikroORM,
  operation: TimedOperation,
  runs: number,
  signal: AbortSignal,
  log: (message: string) => void,
): Promise<TimedResult> {
  const results: TimedRun[] = [];
  try {
    for (let run = 1; run <= runs && !signal.aborted; run++) {
      const prepared = await prepare(orm, operation);
      if (signal.aborted) break;
      const loadAverage = round2(loadavg()[0] ?? 0);
      const started = performance.now();
      const response = await fetch(`${target.origin}${prepared.target.path}`, {
        method: operation.method,
        headers: { authorization: `Bearer ${target.token}`, accept: 'application/json' },
      });
      const text = await response.text();
      const ms = round2(performance.now() - started);
      const statusOk = response.status === operation.expectedStatus;
      const problems = statusOk ? await prepared.target.verify(sqlOn(orm.em.fork())) : ['not checked: unexpected status'];
      const result: TimedRun = {
        run,
        ms,
        status: response.status,
        body: statusOk ? null : text.slice(0, 300),
        prepared: prepared.target.prepared,
        prepareSeconds: prepared.seconds,
        problems,
        loadAverage,
        ok: statusOk && problems.length === 0,
      };
      results.push(result);
      log(
        `${operation.name}: run ${run}/${runs}: ${ms} ms, status ${response.status}` +
          `${result.ok ? ', checked' : `, FAILED: ${[...problems, result.body ?? ''].filter(Boolean).join('; ')}`}` +
          ` (prepared ${Object.entries(result.prepared)
            .map(([k, v]) => `${v} ${k}`)
            .join(', ')} in ${prepared.seconds} s)`,
      );
    }
  } finally {
    log(`${operation.name}: restoring the dataset`);
    await prepare(orm, operation);
  }
  return {
    operation: operation.name,
    method: operation.method,
    path: operation.path,
    expectedStatus: operation.expectedStatus,
    runs: results,
    medianMs: median(results.map((r) => r.ms)),
    ok: results.length === runs && results.every((r) => r.ok),
  };
}
