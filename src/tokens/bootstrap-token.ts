import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CreatedTokenDto } from './dto/token.dto.js';

/** Where the first-start token may be printed: standard output, which may or may not be a terminal. */
export interface BootstrapOutput {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/** The part of a pino logger this needs. */
export interface BootstrapLog {
  info(fields: object, message: string): void;
}

/** The first-start token could not be handed out: nothing was created. Never carries the token. */
export class BootstrapDeliveryError extends Error {
  override readonly name = 'BootstrapDeliveryError';
}

/**
 * Writes `content` to `file`, readable and writable by its owner only (0600), creating the
 * directory (0700) if needed. A symbolic link in place of the file is refused (O_NOFOLLOW), and an
 * existing file is truncated and set back to 0600 whatever its mode was.
 */
export async function writeOwnerOnlyFile(file: string, content: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    if (!(await handle.stat()).isFile()) throw new Error(`${file} is not a regular file`);
    await handle.chmod(0o600);
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Hands the first-start token to the operator (contract section 9): printed when standard output
 * is a terminal; otherwise (containers, log shippers) written to an owner-only file, and the log
 * says where. The token itself never goes through the logger.
 */
export async function deliverBootstrapToken(
  token: CreatedTokenDto,
  options: { stdout: BootstrapOutput; file: string; log: BootstrapLog },
): Promise<void> {
  const about = { tokenId: token.id, role: token.role, expiresAt: token.expiresAt };
  if (options.stdout.isTTY) {
    options.stdout.write(
      `\nOrganigram created its first API token (role ${token.role}, expires ${token.expiresAt}). It is shown only this once:\n\n` +
        `    ${token.token}\n\nUse it as: Authorization: Bearer <token>. ` +
        `Create lasting ones with: npm run token -- create --name NAME --role ROLE\n\n`,
    );
    options.log.info(about, 'first-start token printed to the terminal');
    return;
  }
  try {
    await writeOwnerOnlyFile(options.file, `${token.token}\n`);
  } catch (error) {
    throw new BootstrapDeliveryError(`cannot write the first-start token to ${options.file}: ${(error as Error).message}`);
  }
  options.log.info({ ...about, file: options.file }, `first-start token written to ${options.file} (owner-only)`);
}
