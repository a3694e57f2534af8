import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { runLoad, type LoadTarget } from './load.js';
import type { Fixtures, Operation } from './types.js';

/**
 * Issue 10, point 5: the service's own resident memory through a long run of the five operations.
 * The in-process bench cannot measure it (the service shares its process with the load generator and
 * the reference), so the service runs here as production starts it, `node dist/src/main.js` in a
 * process of its own (logging at info to `logFile`, as to a redirected stdout), and the harness reads
 * that process's RSS from /proc/<pid>/status every second while it drives the operations in turn.
 */
export interface MemoryRunSettings {
  readonly root: string;
  readonly databaseUrl: string;
  /** The environment of the service (the harness's, with the bench's RATE_LIMIT and TOKEN_CONCURRENCY). */
  readonly env: NodeJS.ProcessEnv;
  readonly token: string;
  readonly operations: readonly Operation[];
  readonly fixtures: Fixtures;
  readonly seconds: number;
  /** Seconds of load per operation before the next one takes over. */
  readonly segment: number;
  readonly connections: number;
  readonly logFile: string;
  readonly log: (line: string) => void;
}

export interface MemorySample {
  /** Seconds since the load started (negative: before it). */
  readonly t: number;
  readonly rssMiB: number;
}

export interface MemorySegment {
  readonly t: number;
  readonly operation: string;
  readonly requestsPerSecond: number;
  readonly responses: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly loadAverage: number;
}

export interface MemoryRunResult {
  readonly pid: number;
  readonly seconds: number;
  readonly samples: MemorySample[];
  readonly segments: MemorySegment[];
  /** RSS when the service is ready, before any load; at each whole minute; at most; at the end. */
  readonly startMiB: number;
  readonly minutes: { minute: number; rssMiB: number }[];
  readonly maxMiB: number;
  readonly endMiB: number;
  /** Least-squares slope of the RSS over the second half of the run, MiB per minute. */
  readonly secondHalfSlopeMiBPerMinute: number;
  readonly ok: boolean;
}

/** The issue's bound: RSS under 250 MB through the run. */
export const RSS_LIMIT_MIB = Math.floor(250_000_000 / 2 ** 20);
/** "Does not grow between the 5th and the 10th minute": at most this slope over the second half. */
export const SLOPE_LIMIT_MIB_PER_MINUTE = 1;

function rssOf(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined; // the process is gone
  }
}

/** The Node flags of package.json's start:prod (`node <flags> dist/src/main.js`). */
function productionNodeFlags(root: string): string[] {
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts;
  const words = (scripts?.['start:prod'] ?? '').split(/\s+/).filter((w) => w !== '');
  if (words[0] !== 'node' || words.at(-1) !== 'dist/src/main.js')
    throw new Error('package.json start:prod is not "node [flags] dist/src/main.js"');
  return words.slice(1, -1);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitReady(origin: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited with status ${child.exitCode} before it was ready`);
    try {
      if ((await fetch(`${origin}/health/ready`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the service was not ready within ${timeoutMs} ms`);
}

function slope(points: readonly MemorySample[]): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mt = points.reduce((s, p) => s + p.t, 0) / n;
  const mr = points.reduce((s, p) => s + p.rssMiB, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.rssMiB - mr);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? 0 : Math.round((num / den) * 60 * 100) / 100;
}

/** Starts the service in its own process, loads it for `seconds`, and answers its RSS curve. */
export async function runMemoryRun(settings: MemoryRunSettings, signal: AbortSignal): Promise<MemoryRunResult> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const out = openSync(settings.logFile, 'a');
  // Production's command line (package.json start:prod, as the Dockerfile has it), plus
  // SERVICE_NODE_OPTIONS: Node flags for the service alone (--trace-gc), not for the harness.
  const nodeFlags = [
    ...productionNodeFlags(settings.root),
    ...(settings.env.SERVICE_NODE_OPTIONS ?? '').split(/\s+/).filter((f) => f !== ''),
  ];
  settings.log(`service: node ${[...nodeFlags, 'dist/src/main.js'].join(' ')}`);
  const child = spawn(process.execPath, [...nodeFlags, join(settings.root, 'dist', 'src', 'main.js')], {
    env: { ...settings.env, DATABASE_URL: settings.databaseUrl, HOST: '127.0.0.1', PORT: String(port), DB_MIGRATE_ON_START: 'true' },
    stdio: ['ignore', out, 'pipe'],
  });
  closeSync(out);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid;
  if (pid === undefined) throw new Error('the service process did not start');
  const samples: MemorySample[] = [];
  const segments: MemorySegment[] = [];
  let started = 0;
  const sample = () => {
    const rss = rssOf(pid);
    if (rss !== undefined) samples.push({ t: Math.round((performance.now() - started) / 100) / 10, rssMiB: rss });
  };
  try {
    await waitReady(origin, child, 60_000);
    settings.log(`service process ${pid} ready on ${origin}; RSS ${rssOf(pid)} MiB`);
    // Idle a moment so that the start figure is the ready service's, not its start-up peak.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    started = performance.now();
    sample();
    const sampler = setInterval(sample, 1000);
    const target: LoadTarget = { origin, token: settings.token };
    let nextReport = 60;
    try {
      for (let i = 0; !signal.aborted; i += 1) {
        const elapsed = (performance.now() - started) / 1000;
        const left = settings.seconds - elapsed;
        if (left < 1) break;
        const operation = settings.operations[i % settings.operations.length];
        const run = await runLoad(
          target,
          operation,
          settings.fixtures,
          { seconds: Math.min(settings.segment, Math.floor(left)), connections: settings.connections },
          signal,
        );
        segments.push({
          t: Math.round(elapsed),
          operation: operation.name,
          requestsPerSecond: run.requestsPerSecond,
          responses: run.responses,
          non2xx: run.non2xx,
          errors: run.errors,
          loadAverage: run.loadAverage,
        });
        const now = (performance.now() - started) / 1000;
        if (now >= nextReport) {
          settings.log(
            `memory run: ${Math.round(now)} s, service RSS ${samples.at(-1)?.rssMiB} MiB; last: ${operation.name} ${run.requestsPerSecond} req/s, ${run.non2xx} non-2xx (load ${loadavg()[0]?.toFixed(1)})`,
          );
          nextReport = Math.floor(now / 60) * 60 + 60;
        }
      }
    } finally {
      clearInterval(sampler);
      sample();
    }
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    if (stderr.trim()) settings.log(`service stderr: ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
  }

  const during = samples.filter((s) => s.t >= 0);
  const at = (t: number) => during.reduce((best, s) => (Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best), during[0]);
  const minutes: { minute: number; rssMiB: number }[] = [];
  for (let minute = 1; minute * 60 <= settings.seconds + 1; minute += 1) minutes.push({ minute, rssMiB: at(minute * 60).rssMiB });
  const maxMiB = Math.max(...during.map((s) => s.rssMiB));
  const secondHalfSlopeMiBPerMinute = slope(during.filter((s) => s.t >= settings.seconds / 2));
  const clean = segments.every((s) => s.non2xx === 0 && s.errors === 0);
  return {
    pid,
    seconds: settings.seconds,
    samples,
    segments,
    startMiB: during[0]?.rssMiB ?? 0,
    minutes,
    maxMiB,
    endMiB: during.at(-1)?.rssMiB ?? 0,
    secondHalfSlopeMiBPerMinute,
    ok: clean && maxMiB < RSS_LIMIT_MIB && secondHalfSlopeMiBPerMinute <= SLOPE_LIMIT_MIB_PER_MINUTE,
  };
}

/** The lines printed at the end of a memory run. */
export function formatMemoryRun(result: MemoryRunResult): string {
  const perOperation = new Map<string, { rps: number[]; non2xx: number; errors: number }>();
  for (const s of result.segments) {
    const entry = perOperation.get(s.operation) ?? { rps: [], non2xx: 0, errors: 0 };
    entry.rps.push(s.requestsPerSecond);
    entry.non2xx += s.non2xx;
    entry.errors += s.errors;
    perOperation.set(s.operation, entry);
  }
  const lines = [
    `Memory run: the service alone (process ${result.pid}, package.json start:prod), ${result.seconds} s of the operations in turn`,
    `RSS: ${result.startMiB} MiB ready before the load; ${result.minutes.map((m) => `${m.minute} min ${m.rssMiB}`).join(', ')}; max ${result.maxMiB} MiB; end ${result.endMiB} MiB`,
    `second half: ${result.secondHalfSlopeMiBPerMinute} MiB per minute (least squares; at most ${SLOPE_LIMIT_MIB_PER_MINUTE} counts as no growth); limit ${RSS_LIMIT_MIB} MiB (250 MB)`,
    ...[...perOperation].map(
      ([name, e]) =>
        `  ${name}: ${e.rps.length} runs, req/s ${Math.min(...e.rps)}-${Math.max(...e.rps)}, ${e.non2xx} non-2xx, ${e.errors} errors`,
    ),
    result.ok ? 'memory run: ok' : 'memory run: FAILED (RSS over the limit, growing in the second half, or non-2xx answers)',
  ];
  return lines.join('\n');
}
