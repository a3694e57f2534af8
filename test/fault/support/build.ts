import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
/** The project's Node (the `node` devDependency), as `npm start` would run it. */
export const NODE = join(ROOT, 'node_modules', '.bin', 'node');
/** Set by the fault project's globalSetup: the directory of this run's build. */
export const FAULT_BUILD_ENV = 'ORGANIGRAM_FAULT_BUILD';

const BUILD_TIMEOUT_MS = 300_000;

/**
 * The server built once per test run for the fault specs that run it as a child process
 * (shutdown, sync-crash, webhook-restart): `tsc` into a directory of this run under
 * node_modules/.cache (so that the build resolves the project's packages, and other tests
 * rebuilding dist/ never pull files from under a running server). The first spec to ask builds it
 * while holding a lock directory; specs in other workers wait for its `done` marker. Returns the
 * path of main.js.
 */
export async function faultBuild(): Promise<string> {
  const dir = process.env[FAULT_BUILD_ENV];
  if (!dir) throw new Error(`${FAULT_BUILD_ENV} is not set: run the fault specs through npm test (jest globalSetup)`);
  const main = join(dir, 'dist', 'src', 'main.js');
  const done = join(dir, 'done');
  let builder = false;
  try {
    mkdirSync(join(dir, 'lock'), { recursive: false });
    builder = true;
  } catch {
    // Another worker builds (or has built): wait for its marker.
  }
  if (builder) {
    await promisify(execFile)(
      NODE,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', join(dir, 'dist')],
      { cwd: ROOT },
    );
    writeFileSync(done, '');
    return main;
  }
  const start = Date.now();
  while (!existsSync(done)) {
    if (Date.now() - start > BUILD_TIMEOUT_MS) throw new Error(`the fault build in ${dir} did not finish`);
    await sleep(200);
  }
  return main;
}
