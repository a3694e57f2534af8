import { plaintextDatabaseWarning } from './prepare.js';

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
