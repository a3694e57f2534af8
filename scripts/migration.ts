import { join } from 'node:path';
import { die, withOrm } from './cli-support.js';

/** npm run migration:create (writes migrations/MigrationYYYY....ts from the entity diff) | migration:up */
async function main(): Promise<void> {
  const command = process.argv[2];
  if (command === 'up') {
    const applied = await withOrm((orm) => orm.migrator.up(), { migrate: false });
    process.stdout.write(applied.length ? `Applied: ${applied.map((m) => m.name).join(', ')}\n` : 'No pending migrations.\n');
  } else if (command === 'create') {
    const result = await withOrm((orm) => orm.migrator.create(join(process.cwd(), 'migrations')), { migrate: true });
    process.stdout.write(result.fileName ? `Created migrations/${result.fileName}\n` : 'No schema changes: nothing to create.\n');
  } else {
    die('Usage: npm run migration:create | npm run migration:up');
  }
}

void main().catch((error: Error) => die(error.message));
