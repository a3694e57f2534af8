import { parseArgs } from 'node:util';
import { parseSiteRole, ALL_SITE_ROLES } from '../src/common/auth/site-roles.js';
import { TokensService } from '../src/tokens/tokens.service.js';
import { parseDuration } from '../src/tokens/duration.js';
import { parseDate } from '../src/common/validation/validation.js';
import { die, withOrm } from './cli-support.js';

const USAGE = `Usage:
  npm run token -- create --name NAME --role ROLE [--expires 30d|ISO-DATE] [--json]
  npm run token -- list [--json]
  npm run token -- revoke ID
Roles: ${ALL_SITE_ROLES.join(', ')} (case and spacing are free: power-user works).`;

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { name: { type: 'string' }, role: { type: 'string' }, expires: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  switch (command) {
    case 'create': {
      if (!values.name?.trim()) die(`--name is required\n${USAGE}`);
      const role = values.role ? parseSiteRole(values.role) : undefined;
      if (!role) die(`--role must be one of: ${ALL_SITE_ROLES.join(', ')}\n${USAGE}`);
      let expiresAt: Date | null = null;
      if (values.expires !== undefined) {
        const ms = parseDuration(values.expires);
        expiresAt =
          ms !== undefined
            ? new Date(Date.now() + ms)
            : (parseDate(values.expires) ?? die('--expires must be a duration (30d, 12h) or an ISO date'));
      }
      const created = await withOrm(
        (orm, config) => new TokensService(orm.em.fork(), config).create({ name: values.name!.trim(), role, expiresAt }),
        { migrate: true },
      );
      if (values.json) {
        const { id, token, name, role: r, scopes, expiresAt: e } = created;
        process.stdout.write(`${JSON.stringify({ id, token, name, role: r, scopes, expiresAt: e })}\n`);
      } else {
        process.stdout.write(
          `Created token ${created.id} (${created.role}${created.expiresAt ? `, expires ${created.expiresAt}` : ''}). It is shown only once:\n\n    ${created.token}\n\n`,
        );
      }
      return;
    }
    case 'list': {
      const page = await withOrm((orm, config) => new TokensService(orm.em.fork(), config).list({ page: 1, perPage: 1000 }), {
        migrate: true,
      });
      if (values.json) {
        process.stdout.write(`${JSON.stringify(page.items)}\n`);
        return;
      }
      for (const t of page.items) {
        const state = t.revokedAt ? 'revoked' : t.expiresAt && new Date(t.expiresAt) <= new Date() ? 'expired' : 'active';
        process.stdout.write(`${t.id}  ${state.padEnd(7)}  ${t.role.padEnd(20)}  ${t.name}  last used ${t.lastUsedAt ?? 'never'}\n`);
      }
      return;
    }
    case 'revoke': {
      const id = positionals[0];
      if (!id) die(`revoke needs the token id\n${USAGE}`);
      await withOrm((orm, config) => new TokensService(orm.em.fork(), config).revoke(id), { migrate: true }).catch((error: Error) =>
        die(error.message),
      );
      process.stdout.write(`Revoked ${id}\n`);
      return;
    }
    default:
      die(USAGE);
  }
}

void main().catch((error: Error) => die(error.message));
