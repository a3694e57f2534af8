import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { MikroORM } from '@mikro-orm/postgresql';
import { loadConfig } from '../../src/config/app-config.js';
import { ormConfig } from '../../src/database/mikro-orm.config.js';
import { freePort } from '../support/free-port.js';

const ROOT = join(import.meta.dirname, '..', '..');
/** A build of its own, so that other tests rebuilding dist/ never pull the files from under this server. */
const BUILD = join(ROOT, 'node_modules', '.cache', 'organigram-bootstrap-test');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const TOKEN_SHAPE = /ogm_[0-9A-Za-z]{36}/;

interface Server {
  process: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** The JSON lines of standard output. */
  logs: () => Record<string, unknown>[];
  stop: () => Promise<void>;
}

/** GET with a bearer token on a fresh connection: the status. */
function get(port: number, path: string, token: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** Starts the built server with standard output and error as pipes (not a terminal) and waits until it listens. */
async function start(env: Record<string, string>): Promise<Server> {
  let stdout = '';
  let stderr = '';
  const child = spawn(NODE, [join(BUILD, 'dist', 'src', 'main.js')], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'info', RATE_LIMIT_ENABLED: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const logs = () =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const began = Date.now();
  while (!logs().some((l) => l.msg === 'organigram listening')) {
    if (child.exitCode !== null || Date.now() - began > 60_000) throw new Error(`server did not start:\n${stdout}\n${stderr}`);
    await sleep(100);
  }
  return {
    process: child,
    stdout: () => stdout,
    stderr: () => stderr,
    logs,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Contract section 9: the first-start token lives BOOTSTRAP_TOKEN_TTL, and off a terminal goes to an owner-only file only. */
describe('First-start token of the built server (npm start), standard output not a terminal', () => {
  let admin: MikroORM;
  let dir: string;
  const databases: string[] = [];
  const servers: Server[] = [];

  /** A fresh, empty database on the test server: its token table is empty, as on a first start. */
  async function freshDatabase(label: string): Promise<string> {
    const base = new URL(process.env.ORGANIGRAM_TEST_DATABASE_URL!);
    const name = `${base.pathname.slice(1)}_bootstrap_${label}_w${process.env.JEST_WORKER_ID ?? '1'}`;
    await admin.em.getConnection().execute(`drop database if exists "${name}" with (force)`);
    await admin.em.getConnection().execute(`create database "${name}"`);
    databases.push(name);
    base.pathname = `/${name}`;
    return base.toString();
  }

  async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
    const orm = new MikroORM({ ...ormConfig(loadConfig({ DATABASE_URL: url }), url), allowGlobalContext: true, logger: () => undefined });
    try {
      return await orm.em.getConnection().execute<T[]>(sql, params);
    } finally {
      await orm.close(true);
    }
  }

  beforeAll(async () => {
    await promisify(execFile)(
      NODE,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', join(BUILD, 'dist')],
      { cwd: ROOT },
    );
    const base = process.env.ORGANIGRAM_TEST_DATABASE_URL!;
    admin = new MikroORM({ ...ormConfig(loadConfig({ DATABASE_URL: base }), base), allowGlobalContext: true, logger: () => undefined });
    dir = mkdtempSync(join(tmpdir(), 'organigram-bootstrap-'));
  }, 240_000);

  afterAll(async () => {
    for (const server of servers) if (server.process.exitCode === null) server.process.kill('SIGKILL');
    for (const name of databases) await admin.em.getConnection().execute(`drop database if exists "${name}" with (force)`);
    await admin?.close(true);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('writes the token (and nothing else) to ~/.organigram/bootstrap-token with DATABASE_URL, mode 0600, valid for BOOTSTRAP_TOKEN_TTL; the log says where, never the token', async () => {
    const url = await freshDatabase('file');
    const port = await freePort();
    const server = await start({ DATABASE_URL: url, PORT: String(port), HOME: dir, BOOTSTRAP_TOKEN_TTL: '2h' });
    servers.push(server);
    const file = join(dir, '.organigram', 'bootstrap-token');

    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, '.organigram')).mode & 0o777).toBe(0o700);
    const content = readFileSync(file, 'utf8');
    expect(content).toMatch(/^ogm_[0-9A-Za-z]{36}\n$/);
    const token = content.trim();

    // Stored as an Opsera Administrator token created by nobody, expiring in two hours.
    const rows = await query<{ name: string; role: string; created_by: string | null; ttl: number }>(
      url,
      'select name, role, created_by, extract(epoch from expires_at - created_at)::float8 as ttl from api_token where token_hash = ?',
      [createHash('sha256').update(token).digest('hex')],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toEqual({ name: 'bootstrap', role: 'Opsera Administrator', created_by: null, ttl: expect.any(Number) });
    expect(Math.abs(rows[0].ttl - 7200)).toBeLessThan(5);
    expect(await query(url, 'select count(*)::int as n from api_token')).toEqual([{ n: 1 }]);

    // The log says where, never the token; standard output carries nothing but JSON log lines.
    const written = server.logs().find((l) => l.msg === `first-start token written to ${file} (owner-only)`);
    expect(written).toEqual(expect.objectContaining({ level: 30, file, role: 'Opsera Administrator', tokenId: expect.any(String) }));
    expect(server.logs().find((l) => l.event === 'token.created')).toEqual(
      expect.objectContaining({ tokenId: written!.tokenId, tokenName: 'bootstrap', actorTokenId: null }),
    );
    expect(
      server
        .stdout()
        .split('\n')
        .filter((l) => l.trim() !== '' && !l.startsWith('{')),
    ).toEqual([]);

    // The token works, and the request line names it by id.
    expect(await get(port, '/api/v2/data/people', token)).toBe(200);
    await sleep(100);
    expect(server.logs().find((l) => l.msg === 'request completed' && l.tokenId === written!.tokenId)).toEqual(
      expect.objectContaining({ tokenName: 'bootstrap' }),
    );
    await server.stop();
    expect(server.stdout()).not.toMatch(TOKEN_SHAPE);
    expect(server.stderr()).not.toMatch(TOKEN_SHAPE);
    expect(server.stdout()).not.toContain(token.slice(4));

    // A second start finds a token and creates none: the file is left as it was.
    const again = await start({ DATABASE_URL: url, PORT: String(await freePort()), HOME: dir });
    servers.push(again);
    expect(readFileSync(file, 'utf8')).toBe(content);
    expect(again.logs().some((l) => String(l.msg).startsWith('first-start token'))).toBe(false);
    await again.stop();
    expect(await query(url, 'select count(*)::int as n from api_token')).toEqual([{ n: 1 }]);
  }, 180_000);

  it('creates no token when the file cannot be written, says so in the log, and still serves', async () => {
    const url = await freshDatabase('unwritable');
    const port = await freePort();
    const blocked = join(dir, 'blocked');
    // A regular file where the directory should be: the token file cannot be created under it.
    rmSync(blocked, { force: true });
    await promisify(execFile)('sh', ['-c', `printf x > '${blocked}'`]);
    const file = join(blocked, 'bootstrap-token');
    const server = await start({ DATABASE_URL: url, PORT: String(port), BOOTSTRAP_TOKEN_FILE: file });
    servers.push(server);
    const error = server.logs().find((l) => l.level === 50);
    expect(error).toEqual(expect.objectContaining({ file, msg: expect.stringContaining('no first-start token was created') }));
    expect(await query(url, 'select count(*)::int as n from api_token')).toEqual([{ n: 0 }]);
    expect(await get(port, '/health/live', '')).toBe(200);
    await server.stop();
    expect(server.stdout()).not.toMatch(TOKEN_SHAPE);
    expect(server.stderr()).not.toMatch(TOKEN_SHAPE);
  }, 120_000);
});
