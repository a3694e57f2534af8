import { join } from 'node:path';
import { installJobQueueSchema } from '../src/database/job-queue.js';
import { die, withOrm } from './cli-support.js';

/**
 * npm run migration:create [-- name]: writes an empty migrations/Migration<timestamp>_<name>.ts to fill
 * with SQL. The schema is hand-written SQL on purpose (functional and partial unique indexes, CHECKs,
 * the cycle trigger), which an entity diff cannot express: see docs/decisions.md.
 * npm run migration:up: applies pending migrations.
 */
async function main(): Promise<void> {
  const command = process.argv[2];
  if (command === 'up') {
    const applied = await withOrm(
      async (orm, config, url) => {
        const done = await orm.migrator.up();
        // Then pg-boss's own tables (the job queue), which pg-boss installs and upgrades itself.
        await installJobQueueSchema(config, url);
        return done;
      },
      { migrate: 'none' },
    );
    process.stdout.write(applied.length ? `Applied: ${applied.map((m) => m.name).join(', ')}\n` : 'No pending migrations.\n');
  } else if (command === 'create') {
    const name = process.argv[3];
    if (name !== undefined && !/^[a-z0-9_]{1,60}$/.test(name)) die('The migration name may use a-z, 0-9 and _ only.');
    const result = await withOrm((orm) => orm.migrator.create(join(process.cwd(), 'migrations'), true, false, name), { migrate: true });
    process.stdout.write(`Created migrations/${result.fileName}: add your SQL with this.addSql(...) in up() and down().\n`);
  } else {
    die('Usage: npm run migration:create | npm run migration:up');
  }
}

void main().catch((error: Error) => die(error.message));
