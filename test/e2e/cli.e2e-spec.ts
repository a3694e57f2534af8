import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SiteRole } from '../../src/common/auth/site-roles.js';
import { bearer, createTestApp, ISO, UUID, type TestApp } from '../support/test-app.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const PEOPLE = '/api/v2/data/people';
/** `npm run token` builds first (about ten seconds) before it runs. */
const CLI_TIMEOUT_MS = 100_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of an operator's shell: without the npm_config_* variables of the npm that runs
 * this test (a `--loglevel` given to it would otherwise override the project's .npmrc in the child).
 */
function operatorEnv(t: TestApp): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_config_')));
  return { ...env, DATABASE_URL: t.url, LOG_LEVEL: 'silent' };
}

function run(command: string, args: string[], t: TestApp): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        cwd: ROOT,
        timeout: CLI_TIMEOUT_MS,
        env: operatorEnv(t),
        maxBuffer: 10 * 1024 * 1024,
      },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Runs `npm run token -- <args>` (build, then run) against the test worker's database, as an operator would. */
const npmToken = (t: TestApp, ...args: string[]) => run('npm', ['run', 'token', '--', ...args], t);

/**
 * Runs the script `npm run token` just built, without building again: the build takes most of the
 * time of a CLI call and is exercised once, by the first call.
 */
const builtToken = (t: TestApp, ...args: string[]) => run(process.execPath, [join(ROOT, 'dist', 'scripts', 'token.js'), ...args], t);

describe('Token CLI (npm run token)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('creates a token with --json printing one JSON object only, lists it and revokes it, against DATABASE_URL', async () => {
    const created = await npmToken(t, 'create', '--name', 'ci', '--role', 'Power User', '--json');
    expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: expect.any(String) });

    // Exactly one JSON object and nothing else on standard output.
    const lines = created.stdout.split('\n').filter((line) => line.trim() !== '');
    expect(lines).toHaveLength(1);
    const json = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(json).toEqual({
      id: UUID,
      token: expect.stringMatching(/^ogm_[0-9A-Za-z]{36}$/),
      name: 'ci',
      role: SiteRole.PowerUser,
      scopes: ['api'],
      expiresAt: null,
    });
    expect(created.stdout.trim()).toBe(lines[0]);

    // The token works against the running app, with its role.
    const secret = json.token as string;
    expect((await t.http().get(PEOPLE).set(bearer(secret))).status).toBe(200);
    expect((await t.http().delete(`${PEOPLE}/x@example.com?force=true`).set(bearer(secret))).status).toBe(403);
    expect(await t.sql('select name, role from api_token where id = ?', [json.id])).toEqual([{ name: 'ci', role: SiteRole.PowerUser }]);

    // list shows it, never with its secret.
    const listed = await builtToken(t, 'list');
    expect(listed.code).toBe(0);
    const line = listed.stdout.split('\n').find((l) => l.startsWith(json.id as string));
    expect(line).toEqual(expect.stringContaining('active'));
    expect(line).toEqual(expect.stringContaining(SiteRole.PowerUser));
    expect(line).toEqual(expect.stringContaining('ci'));
    expect(listed.stdout).not.toContain(secret);

    const listedJson = await builtToken(t, 'list', '--json');
    expect(listedJson.code).toBe(0);
    const items = JSON.parse(listedJson.stdout) as Record<string, unknown>[];
    expect(items).toEqual(
      expect.arrayContaining([
        {
          id: json.id,
          name: 'ci',
          role: SiteRole.PowerUser,
          scopes: ['api'],
          createdAt: ISO,
          expiresAt: null,
          lastUsedAt: ISO,
          revokedAt: null,
        },
      ]),
    );
    expect(listedJson.stdout).not.toContain(secret);

    // revoke makes the very next request a 401.
    const revoked = await builtToken(t, 'revoke', json.id as string);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(json.id as string);
    const refused = await t.http().get(PEOPLE).set(bearer(secret));
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="organigram", error="invalid_token"');
  }, 120_000);

  it('refuses an unknown role with a message on stderr and a non-zero exit, creating nothing', async () => {
    const before = await t.sql('select count(*)::int as n from api_token');
    const result = await builtToken(t, 'create', '--name', 'ci', '--role', 'Superuser', '--json');
    expect(result.code).not.toBe(0);
    expect(result.stdout.trim()).toBe('');
    expect(result.stderr).toContain('--role must be one of');
    expect(await t.sql('select count(*)::int as n from api_token')).toEqual(before);
  }, 120_000);
});

describe('Migration CLI (npm run migration:up)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('applies every migration to a fresh database, also with DB_MIGRATE_ON_START=false, then finds none pending', async () => {
    const name = `organigram_migrate_w${process.env.JEST_WORKER_ID ?? '1'}`;
    await t.sql(`drop database if exists "${name}"`);
    await t.sql(`create database "${name}"`);
    const url = new URL(t.url);
    url.pathname = `/${name}`;
    const env = { ...operatorEnv(t), DATABASE_URL: url.toString(), DB_MIGRATE_ON_START: 'false' };
    const up = () =>
      new Promise<Run>((resolve) =>
        execFile('npm', ['run', 'migration:up'], { cwd: ROOT, timeout: CLI_TIMEOUT_MS, env }, (error, stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ),
      );
    const migrations = readdirSync(join(ROOT, 'migrations'))
      .filter((file) => file.endsWith('.ts'))
      .map((file) => file.replace(/\.ts$/, ''))
      .sort();

    const first = await up();
    expect(first).toEqual({ code: 0, stdout: `Applied: ${migrations.join(', ')}\n`, stderr: '' });
    const second = await up();
    expect(second).toEqual({ code: 0, stdout: 'No pending migrations.\n', stderr: '' });
    await t.sql(`drop database "${name}"`);
  }, 240_000);
});
