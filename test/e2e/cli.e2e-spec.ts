import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SiteRole } from '../../src/common/auth/site-roles.js';
import { SideConnection } from '../support/side-connection.js';
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
function operatorEnv(t: TestApp, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_config_')));
  return { ...env, DATABASE_URL: t.url, LOG_LEVEL: 'silent', ...extra };
}

function run(command: string, args: string[], t: TestApp, extra: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        cwd: ROOT,
        timeout: CLI_TIMEOUT_MS,
        env: operatorEnv(t, extra),
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
/** The same with more environment (LOG_LEVEL=info, lifetimes). */
const builtTokenWith = (t: TestApp, env: Record<string, string>, ...args: string[]) =>
  run(process.execPath, [join(ROOT, 'dist', 'scripts', 'token.js'), ...args], t, env);
const DAY = 86_400_000;
/** An ISO time about `ms` from now (within a minute). */
const inAbout = (ms: number) => ({
  asymmetricMatch: (value: unknown) => typeof value === 'string' && Math.abs(new Date(value).getTime() - Date.now() - ms) < 60_000,
  toString: () => `about ${ms} ms from now`,
});
/** Raw characters a terminal acts on: C0 (tab aside), DEL, C1, bidi overrides and isolates. */
const TERMINAL_CONTROLS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

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
      expiresAt: inAbout(90 * DAY),
      projectId: null,
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
          expiresAt: inAbout(90 * DAY),
          lastUsedAt: ISO,
          revokedAt: null,
          createdBy: null,
          projectId: null,
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

  it('creates a scim token bound to a project with --scopes and --project, shown in --json and list', async () => {
    const project = '7d3c8a9e-1b2f-4c5d-8e6f-0a1b2c3d4e5f';
    const created = await builtToken(
      t,
      'create',
      '--name',
      'entra',
      '--role',
      'Power User',
      '--scopes',
      'scim',
      '--project',
      project.toUpperCase(),
      '--json',
    );
    expect(created.code).toBe(0);
    const json = JSON.parse(created.stdout) as Record<string, unknown>;
    expect(json).toEqual({
      id: UUID,
      token: expect.stringMatching(/^ogm_/),
      name: 'entra',
      role: SiteRole.PowerUser,
      scopes: ['scim'],
      expiresAt: inAbout(90 * DAY),
      projectId: project,
    });
    expect(await t.sql('select scopes, project_id from api_token where id = ?', [json.id])).toEqual([
      { scopes: ['scim'], project_id: project },
    ]);
    const listed = await builtToken(t, 'list');
    const line = listed.stdout.split('\n').find((l) => l.startsWith(json.id as string));
    expect(line).toEqual(expect.stringContaining(`scopes scim  project ${project}`));
    const listedJson = JSON.parse((await builtToken(t, 'list', '--json')).stdout) as Record<string, unknown>[];
    expect(listedJson.find((x) => x.id === json.id)).toEqual(expect.objectContaining({ scopes: ['scim'], projectId: project }));

    const badScope = await builtToken(t, 'create', '--name', 'x', '--role', 'Viewer', '--scopes', 'scim,root');
    expect(badScope.code).not.toBe(0);
    expect(badScope.stderr).toContain('--scopes must be a comma-separated list of: api, scim');
    const badProject = await builtToken(t, 'create', '--name', 'x', '--role', 'Viewer', '--project', 'acme');
    expect(badProject.code).not.toBe(0);
    expect(badProject.stderr).toContain('--project must be a uuid');
  }, 120_000);

  it('refuses an unknown role with a message on stderr and a non-zero exit, creating nothing', async () => {
    const before = await t.sql('select count(*)::int as n from api_token');
    const result = await builtToken(t, 'create', '--name', 'ci', '--role', 'Superuser', '--json');
    expect(result.code).not.toBe(0);
    expect(result.stdout.trim()).toBe('');
    expect(result.stderr).toContain('--role must be one of');
    expect(await t.sql('select count(*)::int as n from api_token')).toEqual(before);
  }, 120_000);

  it('prints names full of escape sequences escaped, one token per line, never raw (list and list --json)', async () => {
    // Stored before control characters were refused: written with SQL, as an old database holds them.
    const names = {
      erase: '\r\u001b[2Kci-deploy',
      colour: 'x\u001b[8mhidden\u001b[0m',
      lines: 'one\ntwo\u0085three',
      bidi: 'report\u202etxt.exe \u2066iso\u2069',
    };
    const ids: Record<string, string> = {};
    for (const [key, name] of Object.entries(names)) {
      const [{ id }] = await t.sql<{ id: string }>(
        `insert into api_token (id, name, role, scopes, token_hash, expires_at)
         values (gen_random_uuid(), ?, 'Administrator', '{api}', md5(random()::text) || md5(random()::text), now() + interval '1 day')
         returning id`,
        [name],
      );
      ids[key] = id;
    }
    const listed = await npmToken(t, 'list');
    expect(listed.code).toBe(0);
    // Line feeds end the lines; nothing else a terminal acts on.
    expect(listed.stdout.replaceAll('\n', '')).not.toMatch(TERMINAL_CONTROLS);
    const lines = listed.stdout.split('\n').filter((l) => l !== '');
    const [{ n }] = await t.sql<{ n: number }>('select count(*)::int as n from api_token');
    expect(lines).toHaveLength(n);
    const lineOf = (id: string) => lines.find((l) => l.startsWith(id));
    expect(lineOf(ids.erase)).toContain('  active   Administrator         \\r\\u001b[2Kci-deploy  created by -');
    expect(lineOf(ids.colour)).toContain('x\\u001b[8mhidden\\u001b[0m');
    expect(lineOf(ids.lines)).toContain('one\\ntwo\\u0085three');
    expect(lineOf(ids.bidi)).toContain('report\\u202etxt.exe \\u2066iso\\u2069');

    const json = await builtToken(t, 'list', '--json');
    expect(json.code).toBe(0);
    expect(json.stdout.trimEnd()).not.toMatch(TERMINAL_CONTROLS);
    const items = JSON.parse(json.stdout) as { id: string; name: string }[];
    for (const [key, name] of Object.entries(names)) expect(items.find((i) => i.id === ids[key])?.name).toBe(name);
  }, 120_000);

  it('refuses a name with control characters on create, naming --name, creating nothing', async () => {
    const before = await t.sql('select count(*)::int as n from api_token');
    const result = await builtToken(t, 'create', '--name', 'ci\u001b[2K', '--role', 'Viewer', '--json');
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      '--name must not contain control characters (other than tab) or bidirectional override characters (found U+001B)',
    );
    expect(await t.sql('select count(*)::int as n from api_token')).toEqual(before);
  }, 120_000);

  it('keeps --expires within TOKEN_MAX_TTL and applies TOKEN_DEFAULT_TTL without it', async () => {
    const before = await t.sql('select count(*)::int as n from api_token');
    const tooLong = await builtToken(t, 'create', '--name', 'ci', '--role', 'Viewer', '--expires', '366d', '--json');
    expect(tooLong.code).not.toBe(0);
    expect(tooLong.stdout).toBe('');
    expect(tooLong.stderr).toContain('--expires must be at most 365d from now (TOKEN_MAX_TTL)');
    const farDate = await builtToken(t, 'create', '--name', 'ci', '--role', 'Viewer', '--expires', '2099-01-01', '--json');
    expect(farDate.code).not.toBe(0);
    expect(farDate.stderr).toContain('--expires must be at most 365d from now');
    expect(await t.sql('select count(*)::int as n from api_token')).toEqual(before);

    const max = await builtToken(t, 'create', '--name', 'ci', '--role', 'Viewer', '--expires', '365d', '--json');
    expect(max.code).toBe(0);
    expect((JSON.parse(max.stdout) as { expiresAt: string }).expiresAt).toEqual(inAbout(365 * DAY));
    const configured = await builtTokenWith(
      t,
      { TOKEN_DEFAULT_TTL: '2d', TOKEN_MAX_TTL: '3d' },
      'create',
      '--name',
      'ci',
      '--role',
      'Viewer',
      '--json',
    );
    expect(configured.code).toBe(0);
    expect((JSON.parse(configured.stdout) as { expiresAt: string }).expiresAt).toEqual(inAbout(2 * DAY));
  }, 120_000);

  it('revokes with --cascade every token the revoked one created, logging each revocation on stderr', async () => {
    const parent = await t.http().post('/api/v2/tokens').set(bearer(t.tokens.admin)).send({ name: 'parent', role: SiteRole.Administrator });
    const kid = await t.http().post('/api/v2/tokens').set(bearer(parent.body.token)).send({ name: 'kid', role: SiteRole.Viewer });
    const grandkid = await t.http().post('/api/v2/tokens').set(bearer(parent.body.token)).send({ name: 'grandkid', role: SiteRole.Viewer });
    expect([parent.status, kid.status, grandkid.status]).toEqual([201, 201, 201]);
    const result = await builtTokenWith(t, { LOG_LEVEL: 'info' }, 'revoke', parent.body.id, '--cascade');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`Revoked ${parent.body.id} and 2 token(s) it created\n`);
    const events = result.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.event === 'token.revoked');
    expect(events.map((e) => [e.tokenId, e.actorTokenId]).sort()).toEqual(
      [
        [parent.body.id, null],
        [kid.body.id, null],
        [grandkid.body.id, null],
      ].sort(),
    );
    expect(result.stderr).not.toMatch(/ogm_/);
    for (const secret of [parent.body.token, kid.body.token, grandkid.body.token]) {
      expect((await t.http().get(PEOPLE).set(bearer(secret))).status).toBe(401);
    }
  }, 120_000);

  it('logs a creation as an event on stderr, never the secret, and keeps stdout to the JSON object', async () => {
    const result = await builtTokenWith(t, { LOG_LEVEL: 'info' }, 'create', '--name', 'logged', '--role', 'Viewer', '--json');
    expect(result.code).toBe(0);
    const created = JSON.parse(result.stdout) as { id: string; token: string };
    const event = result.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((e) => e.event === 'token.created');
    expect(event).toEqual(
      expect.objectContaining({
        msg: 'token created',
        tokenId: created.id,
        tokenName: 'logged',
        role: SiteRole.Viewer,
        actorTokenId: null,
      }),
    );
    expect(result.stderr).not.toContain(created.token);
  }, 120_000);
});

describe('Migration CLI (npm run migration:up)', () => {
  let t: TestApp;
  // create and drop database wait for a checkpoint: on a loaded machine longer than the
  // application's statement timeout, so they run on a side session without it.
  let side: SideConnection;

  beforeAll(async () => {
    t = await createTestApp();
    side = SideConnection.open(t);
  });
  afterAll(async () => {
    await side?.close();
    await t?.close();
  });

  it('applies every migration to a fresh database, also with DB_MIGRATE_ON_START=false, then finds none pending', async () => {
    // Named after this worker's own database: runs of other checkouts on the same server never share it.
    const name = `${new URL(t.url).pathname.slice(1)}_migrate`;
    await side.sql(`drop database if exists "${name}"`);
    await side.sql(`create database "${name}"`);
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
    await side.sql(`drop database "${name}"`);
  }, 240_000);
});
