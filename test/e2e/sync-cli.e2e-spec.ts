import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SideConnection } from '../support/side-connection.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const ROOT = new URL('../..', import.meta.url).pathname;
/** `npm run sync` builds first (tens of seconds on a loaded machine) before it runs. */
const CLI_TIMEOUT_MS = 150_000;
const JOB_LINE = /^sync: job [0-9a-f-]{36} queued$/;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Issue 12 point 5 and contract section 12: `npm run sync` submits a job, shows a bar on a terminal
 * and plain lines otherwise, prints the summary and exits non-zero when the job fails or aborts.
 * Without ORGANIGRAM_URL/ORGANIGRAM_TOKEN it goes to the database `npm start` uses (DATABASE_URL
 * here: a fresh database that no server works, so the command runs its job itself); with them,
 * over HTTP to a running server.
 */
describe('Sync CLI (npm run sync)', () => {
  let t: TestApp;
  let side: SideConnection;
  let dir: string;
  let fresh: string;
  let freshName: string;
  /** SQL on the fresh database the CLI alone uses. */
  let freshSql: <T = Record<string, unknown>>(query: string, params?: unknown[]) => Promise<T[]>;
  let freshSide: SideConnection | undefined;

  /** The environment of an operator's shell, without the npm_config_* of the npm running this test. */
  const operatorEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_config_') && !key.startsWith('ORGANIGRAM_')),
    );
    return { ...env, LOG_LEVEL: 'silent', ...extra };
  };

  const run = (command: string, args: string[], extra: Record<string, string>): Promise<Run> =>
    new Promise((resolve) => {
      execFile(command, args, { cwd: ROOT, timeout: CLI_TIMEOUT_MS, env: operatorEnv(extra) }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  /** The script `npm run sync` built, against the fresh database. */
  const built = (...args: string[]) => run(process.execPath, [join(ROOT, 'dist', 'scripts', 'sync.js'), ...args], { DATABASE_URL: fresh });
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  /** Every line of a piped run's standard error: the job line, then one plain line per state or tenth. */
  const plainLines = (stderr: string, last: RegExp) => {
    const lines = stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(JOB_LINE);
    for (const line of lines.slice(1)) expect(line).toMatch(/^sync: (queued|running|succeeded|failed|aborted) \d+% \(\d+\/\d+ rows\)$/);
    expect(lines.at(-1)).toMatch(last);
    expect(stderr).not.toContain('\u2588');
    return lines;
  };
  const people = () => freshSql('select email, department, valid_to is null as open from person order by email');

  const A = 'email,firstName,lastName,department\nada@example.com,Ada,Lovelace,Platform\nalan@example.com,Alan,Turing,Research\n';

  beforeAll(async () => {
    t = await createTestApp();
    side = SideConnection.open(t);
    dir = mkdtempSync(join(tmpdir(), 'organigram-sync-cli-'));
    // Named after this worker's own database: runs of other checkouts on the same server never share it.
    freshName = `${new URL(t.url).pathname.slice(1)}_synccli`;
    await side.sql(`drop database if exists "${freshName}" with (force)`);
    await side.sql(`create database "${freshName}"`);
    const url = new URL(t.url);
    url.pathname = `/${freshName}`;
    fresh = url.toString();
    freshSide = SideConnection.open({ ...t, url: fresh });
    freshSql = (query, params) => freshSide!.sql(query, params);
  }, 120_000);

  afterAll(async () => {
    await freshSide?.close();
    await side?.sql(`drop database if exists "${freshName}" with (force)`);
    await side?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('straight to DATABASE_URL with no server: migrates, aborts over --max-changes (exit 1), then applies (exit 0) as the CLI actor', async () => {
    const a = file('a.csv', A);
    const aborted = await run('npm', ['run', 'sync', '--', '--file', a, '--max-changes', '1'], { DATABASE_URL: fresh });
    expect(aborted.code).toBe(1);
    expect(aborted.stdout.split('\n').slice(-3)).toEqual([
      'aborted: create 2, update 0, historicize 0, unchanged 0, invalid 0',
      '  job: the plan has 2 changes (creates + updates + historicizes), more than max_changes (1): nothing was applied',
      '',
    ]);
    plainLines(aborted.stderr.slice(aborted.stderr.indexOf('sync: job')), /^sync: aborted /);
    expect(await people()).toEqual([]);

    const applied = await built('--file', a);
    expect(applied).toEqual({
      code: 0,
      stdout: 'succeeded: create 2, update 0, historicize 0, unchanged 0, invalid 0\n',
      stderr: expect.any(String),
    });
    const [, id] = /^sync: job ([0-9a-f-]{36}) queued$/m.exec(applied.stderr)!;
    plainLines(applied.stderr, /^sync: succeeded 100% \(2\/2 rows\)$/);
    expect(await people()).toEqual([
      { email: 'ada@example.com', department: 'Platform', open: true },
      { email: 'alan@example.com', department: 'Research', open: true },
    ]);
    expect(await freshSql('select status, actor from sync_job where id = ?', [id])).toEqual([
      { status: 'succeeded', actor: { tokenId: null, tokenName: null, role: null } },
    ]);
    expect(await freshSql('select entity, op, actor from change_event where request_id = ? order by seq', [id])).toEqual([
      { entity: 'person', op: 'create', actor: { token_id: null, token_name: null, role: null } },
      { entity: 'person', op: 'create', actor: { token_id: null, token_name: null, role: null } },
    ]);
  }, 300_000);

  it('--dry-run --mode snapshot plans and changes nothing; on a terminal the same job shows a bar and applies', async () => {
    const b = file('b.csv', 'email;firstName;lastName;department\nADA@example.com;Ada;Lovelace;Compilers\n');
    const dry = await built('--file', b, '--dry-run', '--mode', 'snapshot');
    expect(dry).toEqual({
      code: 0,
      stdout: 'succeeded (dry run: nothing changed): create 0, update 1, historicize 1, unchanged 0, invalid 0\n',
      stderr: expect.any(String),
    });
    plainLines(dry.stderr, /^sync: succeeded 100% \(1\/1 rows\)$/);
    expect(await people()).toEqual([
      { email: 'ada@example.com', department: 'Platform', open: true },
      { email: 'alan@example.com', department: 'Research', open: true },
    ]);

    // A pseudo-terminal (util-linux script; -e: its exit status is the command's): the bar.
    const command = `${process.execPath} ${join(ROOT, 'dist', 'scripts', 'sync.js')} --file ${b} --mode snapshot`;
    const tty = await run('script', ['-qec', command, '/dev/null'], { DATABASE_URL: fresh });
    expect(tty.code).toBe(0);
    expect(tty.stdout).toMatch(/sync succeeded \[\u2588+\] 1\/1 rows/);
    expect(tty.stdout).not.toMatch(/sync: (queued|running|succeeded) \d+%/);
    expect(tty.stdout).toContain('succeeded: create 0, update 1, historicize 1, unchanged 0, invalid 0\r\n');
    expect(await people()).toEqual([
      { email: 'ADA@example.com', department: 'Compilers', open: true },
      { email: 'alan@example.com', department: 'Research', open: false },
    ]);
  }, 200_000);

  it('a failed job lists its bad rows and exits 1; a refused upload or bad option exits 2, queuing nothing', async () => {
    const jobs = async () => (await freshSql<{ n: number }>('select count(*)::int as n from sync_job'))[0].n;
    const failed = await built('--file', file('bad.csv', 'email,firstName,lastName\nok@example.com,O,K\nnot-an-email,N,M\n'));
    expect(failed).toEqual({
      code: 1,
      stdout: 'failed: create 0, update 0, historicize 0, unchanged 0, invalid 1\n' + '  people[1] email: must be a valid email address\n',
      stderr: expect.any(String),
    });
    plainLines(failed.stderr, /^sync: failed /);
    const before = await jobs();
    const header = await built('--file', file('header.csv', 'email,firstName,shoe\n'));
    expect(header).toEqual({
      code: 2,
      stdout: '',
      stderr: expect.stringContaining('\n  shoe: is not an accepted column\n  lastName: is a required column\n'),
    });
    expect(header.stderr).toMatch(/^sync: refused: /);
    const option = await built('--file', file('c.csv', A), '--project', 'nope');
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/^sync: --project must be a UUID/);
    expect(await jobs()).toBe(before);
    expect((await people()).length).toBe(2);
  }, 200_000);

  it('over HTTP with ORGANIGRAM_URL and ORGANIGRAM_TOKEN: an Administrator token runs the job, a Viewer token is refused (exit 2)', async () => {
    await t.sql('truncate org_person, org_role, org_unit, person cascade');
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.getHttpServer().address() as { port: number };
    const base = `http://127.0.0.1:${address.port}`;
    const a = file('http.csv', A);
    const viaHttp = (token: string) =>
      run(process.execPath, [join(ROOT, 'dist', 'scripts', 'sync.js'), '--file', a], { ORGANIGRAM_URL: base, ORGANIGRAM_TOKEN: token });
    const ok = await viaHttp(t.tokens.admin);
    expect(ok).toEqual({
      code: 0,
      stdout: 'succeeded: create 2, update 0, historicize 0, unchanged 0, invalid 0\n',
      stderr: expect.any(String),
    });
    plainLines(ok.stderr, /^sync: succeeded 100% \(2\/2 rows\)$/);
    expect(await t.sql('select email from person order by email')).toEqual([{ email: 'ada@example.com' }, { email: 'alan@example.com' }]);
    const viewer = await viaHttp(t.tokens.viewer);
    expect(viewer.code).toBe(2);
    expect(viewer.stderr).toMatch(/^sync: the server answered 403: /);
  }, 120_000);
});
