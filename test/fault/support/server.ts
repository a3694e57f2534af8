import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MikroORM } from '@mikro-orm/postgresql';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../../src/database/embedded-postgres.js';
import { freePort } from '../../support/free-port.js';
import { sql } from '../../support/sql.js';
import { adminOrm } from './admin-orm.js';
import { faultBuild, NODE, ROOT } from './build.js';

const TOKEN = /^ogm_[0-9A-Za-z]{36}$/;
const START_TIMEOUT_MS = 60_000;

/** A server process started by {@link ServerFixture.startServer}, ready to serve. */
export interface StartedServer {
  port: number;
  /** The bootstrap token the first start wrote to its file (later starts find it there). */
  token: string;
  process: ChildProcess;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Everything the server wrote so far, standard output and error. */
  output: () => string;
  /** What it wrote so far to standard output (the JSON log lines) and to standard error, apart. */
  stdout: () => string;
  stderr: () => string;
}

/** One GET on a fresh connection (no keep-alive): the status, or undefined on a network error. */
function status(port: number, path: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/**
 * For the fault specs that run the built server as a child process and kill, stop or restart it:
 * a private embedded PostgreSQL, the spec's own admin pool on it (no timeouts: it holds locks and
 * sleeps on purpose), and {@link startServer} on the run's one build (./build.ts).
 */
export class ServerFixture {
  /** The server started last, until it is killed or has exited. */
  server: ChildProcess | undefined;

  private constructor(
    readonly db: EmbeddedDatabase,
    readonly admin: MikroORM,
    private readonly dir: string,
    private readonly main: string,
  ) {}

  /** The fixture's own directory (removed by {@link close}), for files a spec needs beside it. */
  get directory(): string {
    return this.dir;
  }

  static async start(name: string): Promise<ServerFixture> {
    const main = await faultBuild();
    const dir = mkdtempSync(join(tmpdir(), `organigram-${name}-`));
    chmodSync(dir, 0o755); // PostgreSQL runs as the `postgres` user when we are root
    const db = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: await freePort() });
    const admin = adminOrm(db.url, `${name}-admin`);
    return new ServerFixture(db, admin, dir, main);
  }

  /** SQL on the spec's own pool (not the server's). */
  sql<T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> {
    return sql<T>(this.admin.em.fork(), query, params);
  }

  /**
   * Starts the built server on a free port (`env` on top of the defaults: warn logs, no rate limit,
   * the bootstrap token written to a file of the fixture), and waits until /health/ready answers 200.
   */
  async startServer(env: Record<string, string> = {}): Promise<StartedServer> {
    const port = await freePort();
    const file = join(this.dir, 'bootstrap-token');
    const { child, exited, output, stdout, stderr } = this.spawnServer({ PORT: String(port), BOOTSTRAP_TOKEN_FILE: file, ...env });

    const start = Date.now();
    const written = () => (existsSync(file) ? TOKEN.exec(readFileSync(file, 'utf8').trim())?.[0] : undefined);
    while (!written()) {
      if (Date.now() - start > START_TIMEOUT_MS || child.exitCode !== null) throw new Error(`no bootstrap token; output:\n${output()}`);
      await sleep(100);
    }
    while ((await status(port, '/health/ready')) !== 200) {
      if (Date.now() - start > START_TIMEOUT_MS || child.exitCode !== null)
        throw new Error(`the server did not become ready; output:\n${output()}`);
      await sleep(100);
    }
    return { port, token: written()!, process: child, exited, output, stdout, stderr };
  }

  /**
   * Runs the built server as {@link startServer} does (an undefined value in `env` removes that
   * variable) and waits until it exits by itself: for a start that must fail.
   */
  async runUntilExit(env: Record<string, string | undefined> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const { child, exited, closed, stdout, stderr } = this.spawnServer({ PORT: String(await freePort()), ...env });
    const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
    const code = await exited;
    clearTimeout(timer);
    // What it wrote last may still be in the pipes ('close': both ended; bounded, should a child it
    // left behind hold them open).
    await Promise.race([closed, sleep(5_000)]);
    return { code, stdout: stdout(), stderr: stderr() };
  }

  private spawnServer(env: Record<string, string | undefined>) {
    const child = spawn(NODE, [this.main], {
      cwd: ROOT,
      // Node leaves out the variables whose value is undefined.
      env: { ...process.env, DATABASE_URL: this.db.url, HOST: '127.0.0.1', LOG_LEVEL: 'warn', RATE_LIMIT_ENABLED: 'false', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.server = child;
    let output = '';
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    void exited.then(() => {
      if (this.server === child) this.server = undefined;
    });
    return { child, exited, closed, output: () => output, stdout: () => stdout, stderr: () => stderr };
  }

  /** Kills the running server with SIGKILL (no graceful anything) and waits until it has exited. */
  async crashServer(): Promise<void> {
    const child = this.server;
    if (!child) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    else return;
    await exited;
  }

  async close(): Promise<void> {
    await this.crashServer().catch(() => undefined);
    await this.admin.close(true).catch(() => undefined);
    await this.db.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
