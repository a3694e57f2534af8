import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SiteRole } from '../common/auth/site-roles.js';
import { BootstrapDeliveryError, deliverBootstrapToken, writeOwnerOnlyFile } from './bootstrap-token.js';
import type { CreatedTokenDto } from './dto/token.dto.js';

const TOKEN: CreatedTokenDto = {
  id: '0b9f5f8e-1f5e-4c7a-9a61-1ed3c6e1d8a2',
  name: 'bootstrap',
  role: SiteRole.OpseraAdministrator,
  scopes: ['api'],
  createdAt: '2026-12-01T10:00:00.000Z',
  expiresAt: '2026-12-02T10:00:00.000Z',
  lastUsedAt: null,
  revokedAt: null,
  createdBy: null,
  projectId: null,
  token: 'ogm_3kTz9qP0aWcX1vB7nM2yL5rD8sF4hJ6gQeR1a2',
};

function output(isTTY: boolean) {
  const written: string[] = [];
  return { isTTY, write: (text: string) => written.push(text), written };
}

function log() {
  const lines: { fields: object; message: string }[] = [];
  return { info: (fields: object, message: string) => lines.push({ fields, message }), lines };
}

describe('deliverBootstrapToken', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'organigram-bootstrap-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the token to a terminal and writes no file; the log says so without the token', async () => {
    const stdout = output(true);
    const logged = log();
    const file = join(dir, 'bootstrap-token');
    await deliverBootstrapToken(TOKEN, { stdout, file, log: logged });
    expect(stdout.written.join('')).toContain(`    ${TOKEN.token}\n`);
    expect(stdout.written.join('')).toContain('expires 2026-12-02T10:00:00.000Z');
    expect(existsSync(file)).toBe(false);
    expect(logged.lines).toEqual([
      {
        fields: { tokenId: TOKEN.id, role: SiteRole.OpseraAdministrator, expiresAt: TOKEN.expiresAt },
        message: 'first-start token printed to the terminal',
      },
    ]);
  });

  it('writes the token to an owner-only file when standard output is not a terminal, and logs where', async () => {
    const stdout = output(false);
    const logged = log();
    const file = join(dir, 'new', 'bootstrap-token');
    await deliverBootstrapToken(TOKEN, { stdout, file, log: logged });
    expect(stdout.written).toEqual([]);
    expect(readFileSync(file, 'utf8')).toBe(`${TOKEN.token}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'new')).mode & 0o777).toBe(0o700);
    expect(logged.lines).toEqual([
      {
        fields: { tokenId: TOKEN.id, role: SiteRole.OpseraAdministrator, expiresAt: TOKEN.expiresAt, file },
        message: `first-start token written to ${file} (owner-only)`,
      },
    ]);
    expect(JSON.stringify(logged.lines)).not.toContain('ogm_');
  });

  it('reports a file it cannot write as a BootstrapDeliveryError that does not carry the token', async () => {
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, 'x');
    const error = await deliverBootstrapToken(TOKEN, { stdout: output(false), file: join(blocker, 'bootstrap-token'), log: log() }).catch(
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(BootstrapDeliveryError);
    expect((error as Error).message).toContain(join(blocker, 'bootstrap-token'));
    expect((error as Error).message).not.toContain('ogm_');
  });
});

describe('writeOwnerOnlyFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'organigram-owner-only-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces an existing file readable by others and sets it back to 0600', async () => {
    const file = join(dir, 'token');
    writeFileSync(file, 'an older and longer content\n');
    chmodSync(file, 0o644);
    await writeOwnerOnlyFile(file, 'new\n');
    expect(readFileSync(file, 'utf8')).toBe('new\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses to follow a symbolic link planted in its place', async () => {
    const target = join(dir, 'elsewhere');
    writeFileSync(target, 'untouched');
    const file = join(dir, 'token');
    symlinkSync(target, file);
    await expect(writeOwnerOnlyFile(file, 'secret\n')).rejects.toThrow(/ELOOP|symbolic/);
    expect(readFileSync(target, 'utf8')).toBe('untouched');
  });
});
