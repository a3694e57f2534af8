import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The words of `command` after `node` and before `dist/src/main.js` (the Node flags). */
function nodeFlags(command: readonly string[]): string[] {
  const main = command.indexOf('dist/src/main.js');
  expect(command[0]).toBe('node');
  expect(main).toBe(command.length - 1);
  return command.slice(1, main);
}

/**
 * Production's command line (docs/decisions.md, "Heap flags"): `npm start`, `npm run start:prod` and
 * the Docker image run the server with the same Node flags, and the Node the project pins accepts
 * them (`--heap-growing-percent` is a V8 flag: a Node upgrade could drop it, and node would then
 * refuse to start).
 */
describe('the start command', () => {
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const startProd = nodeFlags(scripts['start:prod'].split(/\s+/));
  const start = nodeFlags(scripts.start.replace(/^npm run build && /, '').split(/\s+/));
  const cmdLine = readFileSync(join(root, 'Dockerfile'), 'utf8')
    .split('\n')
    .find((line) => line.startsWith('CMD '));
  const docker = nodeFlags(JSON.parse(cmdLine!.slice('CMD '.length)) as string[]);

  it('runs the same Node flags in npm start, npm run start:prod and the Docker image', () => {
    expect(startProd).toEqual(['--max-semi-space-size=16', '--heap-growing-percent=25']);
    expect(start).toEqual(startProd);
    expect(docker).toEqual(startProd);
  });

  it('uses only flags the pinned Node accepts', () => {
    const accepted = spawnSync(process.execPath, [...startProd, '-e', 'process.exit(0)'], { encoding: 'utf8' });
    expect({ status: accepted.status, stderr: accepted.stderr }).toEqual({ status: 0, stderr: '' });
    // The check itself can fail: node refuses a flag it does not know.
    const refused = spawnSync(process.execPath, ['--heap-growing-percentage=25', '-e', 'process.exit(0)'], { encoding: 'utf8' });
    expect(refused.status).not.toBe(0);
  });
});
