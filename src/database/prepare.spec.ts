import { loadConfig } from '../config/app-config.js';
import { DatabaseNotReadyError, prepareDatabase, plaintextDatabaseWarning } from './prepare.js';

/** An ORM that connects and reports `pending` migrations; records what it was asked to do. */
function fakeOrm(pending: string[], check: { ok: boolean; reason?: string } = { ok: true }) {
  const calls: string[] = [];
  const orm = {
    connect: () => (calls.push('connect'), Promise.resolve()),
    checkConnection: () => (calls.push('check'), Promise.resolve(check)),
    migrator: {
      up: () => (calls.push('up'), Promise.resolve(pending.map((name) => ({ name })))),
      getPending: () => (calls.push('getPending'), Promise.resolve(pending.map((name) => ({ name })))),
    },
  };
  return { orm: orm as never, calls };
}

const config = (migrate: string) => loadConfig({ DATABASE_URL: 'postgres://u:p@127.0.0.1/db', DB_MIGRATE_ON_START: migrate });

describe('prepareDatabase', () => {
  it('connects, checks, then applies the pending migrations (DB_MIGRATE_ON_START=true)', async () => {
    const { orm, calls } = fakeOrm(['Migration1']);
    await prepareDatabase(orm, config('true'));
    expect(calls).toEqual(['connect', 'check', 'up']);
  });

  it('with DB_MIGRATE_ON_START=false, refuses when migrations are pending and applies none', async () => {
    const { orm, calls } = fakeOrm(['Migration1']);
    await expect(prepareDatabase(orm, config('false'))).rejects.toThrow(
      new Error('migrations are pending and DB_MIGRATE_ON_START=false: run npm run migration:up first'),
    );
    expect(calls).toEqual(['connect', 'check', 'getPending']);
  });

  it('with DB_MIGRATE_ON_START=false and nothing pending, only checks', async () => {
    const { orm, calls } = fakeOrm([]);
    await prepareDatabase(orm, config('false'));
    expect(calls).toEqual(['connect', 'check', 'getPending']);
  });

  it('stops at a failed connection check, with its reason', async () => {
    const { orm, calls } = fakeOrm(['Migration1'], { ok: false, reason: 'password authentication failed' });
    await expect(prepareDatabase(orm, config('true'))).rejects.toThrow(new Error('password authentication failed'));
    expect(calls).toEqual(['connect', 'check']);
  });
});

describe('DatabaseNotReadyError', () => {
  it('names the database without credentials and keeps the first line of the cause', () => {
    const cause = new Error('relation "x" does not exist\n  at line 2');
    const error = new DatabaseNotReadyError('postgres://user:secret@db.example.com:6543/organigram?sslmode=require', cause);
    expect(error.message).toBe('cannot use the database at db.example.com:6543/organigram: relation "x" does not exist');
    expect(error.cause).toBe(cause);
  });
});

describe('plaintextDatabaseWarning', () => {
  it.each([
    'postgres://u:p@127.0.0.1:5432/db',
    'postgres://u:p@127.1.2.3/db',
    'postgres://u:p@localhost/db',
    'postgres://u:p@[::1]:5432/db',
    'postgres://u:p@/db?host=/var/run/postgresql',
    'postgres://u:p@db.example.com/db?sslmode=require',
    'postgres://u:p@db.example.com/db?sslmode=verify-full',
    'postgres://u:p@db:5432/db?sslmode=disable',
    'not a url',
  ])('is silent for %s', (url) => {
    expect(plaintextDatabaseWarning(url)).toBeUndefined();
  });

  it.each([
    ['postgres://u:secret@db:5432/organigram', 'db'],
    ['postgres://u:secret@10.0.0.5/organigram', '10.0.0.5'],
    ['postgresql://u:secret@db.example.com/organigram?application_name=x', 'db.example.com'],
  ])('warns for %s, naming the host and never the password', (url, host) => {
    const warning = plaintextDatabaseWarning(url);
    expect(warning).toBe(
      `DATABASE_URL reaches ${host} without sslmode: the connection is not encrypted. Add ?sslmode=verify-full (or require), or sslmode=disable to silence this on a trusted network`,
    );
    expect(warning).not.toContain('secret');
  });
});
