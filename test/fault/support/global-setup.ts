import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FAULT_BUILD_ENV, ROOT } from './build.ts';

/** One build directory per run of the fault project, built on first use (test/fault/support/build.ts). */
export default function globalSetup(): void {
  const cache = join(ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = join(cache, `organigram-fault-build-${process.pid}-${Date.now()}`);
  mkdirSync(dir);
  process.env[FAULT_BUILD_ENV] = dir;
}
