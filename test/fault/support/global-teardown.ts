import { rmSync } from 'node:fs';
import { FAULT_BUILD_ENV } from './build.ts';

export default function globalTeardown(): void {
  const dir = process.env[FAULT_BUILD_ENV];
  if (dir) rmSync(dir, { recursive: true, force: true });
}
