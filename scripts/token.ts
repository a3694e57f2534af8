import { parseArgs } from 'node:util';
import { parseSiteRole, ALL_SITE_ROLES } from '../src/common/auth/site-roles.js';
import { ALL_SCOPES, type Scope } from '../src/common/auth/scopes.js';
import { InvalidInputError } from '../src/common/errors/domain-errors.js';
import { escapeForTerminal } from '../src/common/validation/free-text.js';
import { TokensService } from '../src/tokens/tokens.service.js';
import { parseTokenId } from '../src/tokens/dto/token.dto.js';
import { parseDuration } from '../src/config/duration.js';
import { normalizeUuid, parseDate } from '../src/common/validation/validation.js';
import { die, withOrm } from './cli-support.js';

const USAGE = `Usage:
  npm run token -- create --name NAME --role ROLE [--expires 30d|ISO-DATE] [--scopes api,scim] [--project ID] [--json]
  npm run token -- list [--json]
  npm run token -- revoke ID [--cascade]
Roles: ${ALL_SITE_ROLES.join(', ')} (case and spacing are free: power-user works).
Without --expires a token expires after TOKEN_DEFAULT_TTL (default 90d); --expires may not exceed TOKEN_MAX_TTL (default 365d).
--scopes: comma-separated, default api (api: the /api/v2 and /v2 routes; scim: the /scim/v2 routes).
--project: the project (a uuid) of the token's SCIM Groups; without it, the units without project.
--cascade also revokes every token the revoked one created, transitively.`;

/** The CLI's names for the service's fields. */
const OPTION: Record<string, string> = {
  expiresAt: '--expires',
  name: '--name',
  role: '--role',
  scopes: '--scopes',
  projectId: '--project',
};

/** JSON whose text shows no character a terminal would act on (JSON.stringify leaves C1 and bidi controls raw). */
function terminalJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/gu,
    (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`,
  );
}

/** A refused input as one line naming the option; anything else as its message. */
function explain(error: Error): string {
  if (error instanceof InvalidInputError) return error.errors.map((e) => `${OPTION[e.field] ?? e.field} ${e.message}`).join('\n');
  return error.message;
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      role: { type: 'string' },
      expires: { type: 'string' },
      scopes: { type: 'string' },
      project: { type: 'string' },
      json: { type: 'boolean', default: false },
      cascade: { type: 'boolean', default: false },
    },
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
      const scopes = values.scopes === undefined ? undefined : values.scopes.split(',').map((s) => s.trim());
      if (scopes && !scopes.every((s): s is Scope => (ALL_SCOPES as readonly string[]).includes(s))) {
        die(`--scopes must be a comma-separated list of: ${ALL_SCOPES.join(', ')}\n${USAGE}`);
      }
      const projectId =
        values.project === undefined ? undefined : (normalizeUuid(values.project) ?? die(`--project must be a uuid\n${USAGE}`));
      const created = await withOrm(
        (orm, config) => new TokensService(orm.em.fork(), config).create({ name: values.name!.trim(), role, expiresAt, scopes, projectId }),
        { migrate: true },
      ).catch((error: Error) => die(explain(error)));
      if (values.json) {
        const { id, token, name, role: r, scopes: granted, expiresAt: e, projectId: project } = created;
        process.stdout.write(`${terminalJson({ id, token, name, role: r, scopes: granted, expiresAt: e, projectId: project })}\n`);
      } else {
        process.stdout.write(
          `Created token ${created.id} (${created.role}, scopes ${created.scopes.join(',')}${created.projectId ? `, project ${created.projectId}` : ''}, ` +
            `expires ${created.expiresAt}). It is shown only once:\n\n    ${created.token}\n\n`,
        );
      }
      return;
    }
    case 'list': {
      const page = await withOrm((orm, config) => new TokensService(orm.em.fork(), config).list({ 'per-page': 1000 }), {
        migrate: true,
      });
      if (values.json) {
        process.stdout.write(`${terminalJson(page.items)}\n`);
        return;
      }
      // Names are untrusted text, possibly stored before control characters were refused: escaped, never raw.
      for (const t of page.items) {
        const state = t.revokedAt ? 'revoked' : t.expiresAt && new Date(t.expiresAt) <= new Date() ? 'expired' : 'active';
        process.stdout.write(
          `${t.id}  ${state.padEnd(7)}  ${t.role.padEnd(20)}  ${escapeForTerminal(t.name)}  ` +
            `created by ${t.createdBy ?? '-'}  expires ${t.expiresAt ?? 'never'}  last used ${t.lastUsedAt ?? 'never'}  scopes ${t.scopes.join(',')}  project ${t.projectId ?? '-'}\n`,
        );
      }
      return;
    }
    case 'revoke': {
      const id = positionals[0];
      if (!id) die(`revoke needs the token id\n${USAGE}`);
      const revoked = await withOrm(
        (orm, config) => new TokensService(orm.em.fork(), config).revoke(parseTokenId(id), undefined, { cascade: values.cascade }),
        { migrate: true },
      ).catch((error: Error) => die(explain(error)));
      const others = revoked.filter((t) => t.id !== normalizeUuid(id)).length;
      process.stdout.write(`Revoked ${id}${values.cascade ? ` and ${others} token(s) it created` : ''}\n`);
      return;
    }
    default:
      die(USAGE);
  }
}

void main().catch((error: Error) => die(error.message));
