import { encodeCursor, listFingerprint } from '../../src/common/pagination/cursor.js';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import pg from 'pg';

/**
 * The reference of `npm run bench -- --reference` (issue 10): a minimal Fastify + node-postgres
 * server answering the five measured operations with the same JSON, from the same database, as the
 * service. It is the bar the service is measured against, so it is written to be as fast as
 * reasonably possible: one named (prepared) statement per request, rows mapped by hand, no
 * validation library, no ORM, no authentication, no logging, no rate limiting.
 *
 * Same answers as the service: the same fields and computed flags (active, owned_active,
 * parent_active at the instant of the request), exact counts, the X-Pagination-* and Link headers,
 * X-Request-Id, Location on create, 404/409 for a missing or taken email. What it leaves out is
 * listed in docs/performance.md ("The reference server").
 */

const MAX_PER_PAGE = 1000;
const DEFAULT_PER_PAGE = 100;

export const PERSON_COLUMNS = `id, email, first_name, last_name, display_name, external_id, organization, business, department,
  group_name, team, manager_id, valid_from, valid_to, created_at, updated_at`;
/** The manager's email of the person row `alias` (one primary-key lookup, as the service does per answered row). */
export const MANAGER_EMAIL = (alias: string) => `(select m.email from person m where m.id = ${alias}.manager_id) as manager_email`;

/**
 * The exact number of people active at $1, as the service counts them: the row count kept by the
 * person_count triggers minus the people not yet and no longer valid (partial indexes).
 */
const ACTIVE_COUNT = `((select coalesce(sum(n), 0) from person_count) - (select count(*) from person where valid_from > $1)
  - (select count(*) from person where valid_to <= $1))`;
const ACTIVE = (alias: string) =>
  `((${alias}.valid_from is null or ${alias}.valid_from <= $1) and (${alias}.valid_to is null or ${alias}.valid_to > $1))`;

/** Column of each people sort field (the service's allow-list). */
const PERSON_SORTS: Record<string, string> = {
  email: 'email',
  firstName: 'first_name',
  lastName: 'last_name',
  displayName: 'display_name',
  validFrom: 'valid_from',
  validTo: 'valid_to',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
};

export interface PersonRow {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  display_name: string | null;
  external_id: string | null;
  organization: string | null;
  business: string | null;
  department: string | null;
  group_name: string | null;
  team: string | null;
  manager_id: string | null;
  manager_email: string | null;
  valid_from: Date | null;
  valid_to: Date | null;
  created_at: Date;
  updated_at: Date;
}

export function personJson(p: PersonRow, at: number) {
  return {
    id: p.id,
    email: p.email,
    firstName: p.first_name,
    lastName: p.last_name,
    displayName: p.display_name,
    externalId: p.external_id,
    organization: p.organization,
    business: p.business,
    department: p.department,
    group: p.group_name,
    team: p.team,
    managerId: p.manager_id,
    managerEmail: p.manager_email,
    validFrom: p.valid_from ? p.valid_from.toISOString() : null,
    validTo: p.valid_to ? p.valid_to.toISOString() : null,
    active: (!p.valid_from || p.valid_from.getTime() <= at) && (!p.valid_to || p.valid_to.getTime() > at),
    createdAt: p.created_at.toISOString(),
    updatedAt: p.updated_at.toISOString(),
  };
}

function problem(reply: FastifyReply, status: number, detail: string) {
  const titles: Record<number, [string, string]> = {
    400: ['validation-failed', 'Your request parameters did not validate'],
    404: ['not-found', 'Resource not found'],
    409: ['conflict', 'Conflict'],
  };
  const [slug, title] = titles[status] ?? ['internal-error', 'Internal server error'];
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: `https://organigram.dev/problems/${slug}`, title, status, detail });
}

function pageParams(query: Record<string, string | undefined>): { page: number; perPage: number } | undefined {
  const page = query.page === undefined ? 1 : Number(query.page);
  const perPage = query['per-page'] === undefined ? DEFAULT_PER_PAGE : Number(query['per-page']);
  if (!Number.isInteger(page) || page < 1 || page > 1_000_000) return undefined;
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > MAX_PER_PAGE) return undefined;
  return { page, perPage };
}

function linkHeader(url: string, page: number, pages: number, nextCursor?: string): string {
  const [path, query = ''] = url.split('?', 2);
  const params = new URLSearchParams(query);
  params.delete('cursor');
  const at = (n: number, cursor?: string) => {
    params.set('page', String(n));
    if (cursor === undefined) return `<${path}?${params.toString()}>`;
    const withCursor = new URLSearchParams(params);
    withCursor.set('cursor', cursor);
    return `<${path}?${withCursor.toString()}>`;
  };
  const last = Math.max(pages, 1);
  const links = [`${at(1)}; rel="first"`];
  if (page > 1) links.push(`${at(Math.min(page - 1, last))}; rel="prev"`);
  if (page < last) links.push(`${at(page + 1, nextCursor)}; rel="next"`);
  links.push(`${at(last)}; rel="last"`);
  return links.join(', ');
}

function paginationHeaders(reply: FastifyReply, total: number, page: number, perPage: number): number {
  const pages = Math.ceil(total / perPage);
  reply.header('X-Pagination-Current-Page', String(page));
  reply.header('X-Pagination-Page-Count', String(pages));
  reply.header('X-Pagination-Per-Page', String(perPage));
  reply.header('X-Pagination-Total-Count', String(total));
  return pages;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The people list's order, once per distinct sort string (an allow-list: only known columns). */
const orders = new Map<string, string | undefined>();
function personOrder(sort: string | undefined): string | undefined {
  const key = sort ?? '';
  if (orders.has(key)) return orders.get(key);
  let order: string | undefined = 'id asc';
  if (key.trim() !== '') {
    const terms = key.split(',').map((t) => t.trim());
    const parts: string[] = [];
    for (const term of terms) {
      const desc = term.startsWith('-');
      const column = PERSON_SORTS[desc || term.startsWith('+') ? term.slice(1) : term];
      if (!column) {
        order = undefined;
        break;
      }
      parts.push(`${column} ${desc ? 'desc nulls first' : 'asc nulls last'}`);
    }
    if (order) order = [...parts, 'id asc'].join(', ');
  }
  if (orders.size < 100) orders.set(key, order);
  return order;
}

export interface ReferenceServer {
  readonly origin: string;
  close(): Promise<void>;
}

/** Starts the reference on 127.0.0.1 (a free port) with a pool of `poolMax` connections to `databaseUrl`. */
export async function startReferenceServer(databaseUrl: string, poolMax: number): Promise<ReferenceServer> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolMax, application_name: 'organigram-bench-reference' });
  const app: FastifyInstance = Fastify({ logger: false, genReqId: () => randomUUID() });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    done();
  });

  // (a) a person by email, case-insensitively.
  app.get('/api/v2/data/people/:email', async (request: FastifyRequest<{ Params: { email: string } }>, reply) => {
    const { email } = request.params;
    if (email.length > 254 || !EMAIL.test(email)) return problem(reply, 400, 'Invalid email format');
    const { rows } = await pool.query<PersonRow>({
      name: 'ref-person-by-email',
      text: `select ${PERSON_COLUMNS}, ${MANAGER_EMAIL('p')} from person p where lower(email) = $1`,
      values: [email.toLowerCase()],
    });
    if (rows.length === 0) return problem(reply, 404, `No person with email ${email}.`);
    return personJson(rows[0], Date.now());
  });

  // (b), (e) the active people, a page and the exact count in one statement; the offset walked over the
  // ids alone (index-only), the page's rows read by primary key, the count from person_count, as the service does.
  app.get('/api/v2/data/people', async (request: FastifyRequest<{ Querystring: Record<string, string | undefined> }>, reply) => {
    const paging = pageParams(request.query);
    if (!paging) return problem(reply, 400, 'page or per-page out of range');
    const order = personOrder(request.query.sort);
    if (!order) return problem(reply, 400, 'unknown sort field');
    const at = new Date();
    const where = `where ${ACTIVE('p')}`;
    const { rows } = await pool.query<PersonRow & { total_rows: number }>({
      name: `ref-people-${order}`,
      text: `select counted.total_rows, page.*, ${MANAGER_EMAIL('page')} from (select ${ACTIVE_COUNT}::int as total_rows) counted
               left join lateral (select ${PERSON_COLUMNS} from (select p.id from person p ${where} order by ${order} limit $2 offset $3) k
                 join person p using (id)) page on true
              order by ${order}`,
      values: [at, paging.perPage, (paging.page - 1) * paging.perPage],
    });
    const total = rows[0]?.total_rows ?? 0;
    const pages = paginationHeaders(reply, total, paging.page, paging.perPage);
    const now = at.getTime();
    const data = [];
    for (const row of rows) if (row.id !== null) data.push(personJson(row, now));
    // The keyset cursor of rel="next", as the service writes it (issue 10, point 4), for the parameters the bench sends.
    const last = data.at(-1);
    const fingerprint = listFingerprint({ sort: request.query.sort, history: false, 'per-page': paging.perPage });
    const nextCursor =
      last && data.length === paging.perPage && paging.page < pages
        ? encodeCursor({ page: paging.page + 1, after: last.id }, fingerprint)
        : undefined;
    reply.header('Link', linkHeader(request.url, paging.page, pages, nextCursor));
    return { count: total, data };
  });

  // (d) create a person; the unique index on lower(email) answers a taken email.
  app.post('/api/v2/data/people', async (request: FastifyRequest<{ Body: Record<string, unknown> | null }>, reply) => {
    const body = request.body;
    if (typeof body !== 'object' || body === null) return problem(reply, 400, 'a JSON object is required');
    const text = (name: string, max: number, required: boolean): string | null | undefined => {
      const value = body[name];
      if (value === undefined || value === null) return required ? undefined : null;
      return typeof value === 'string' && value.trim().length > 0 && value.length <= max ? value : undefined;
    };
    const email = text('email', 254, true);
    const firstName = text('firstName', 100, true);
    const lastName = text('lastName', 100, true);
    if (!email || !EMAIL.test(email)) return problem(reply, 400, 'email: must be an email');
    if (!firstName) return problem(reply, 400, 'firstName: required');
    if (!lastName) return problem(reply, 400, 'lastName: required');
    const optional = ['displayName', 'externalId', 'organization', 'business', 'department', 'group', 'team'].map((f) =>
      text(f, 200, false),
    );
    if (optional.includes(undefined)) return problem(reply, 400, 'an optional field is not a string of at most 200 characters');
    const now = new Date();
    try {
      const { rows } = await pool.query<PersonRow>({
        name: 'ref-person-create',
        text: `insert into person (id, email, first_name, last_name, display_name, external_id, organization, business, department,
                 group_name, team, valid_from, valid_to, created_at, updated_at)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, null, null, $12, $12)
               returning ${PERSON_COLUMNS}, null::text as manager_email`,
        values: [randomUUID(), email, firstName, lastName, ...optional, now],
      });
      reply.code(201).header('Location', `/api/v2/data/people/${encodeURIComponent(email)}`);
      return personJson(rows[0], now.getTime());
    } catch (error) {
      if ((error as { code?: string }).code === '23505')
        return problem(reply, 409, `A person with email ${email} already exists (emails are compared case-insensitively).`);
      throw error;
    }
  });

  // (c) the active assignments of one unit, 4HSE shape: a bare array with the X-Pagination headers.
  // parent_active walks up from the one unit to its root (at most a few rows), instead of over the forest.
  app.post('/v2/org-person/index', async (request: FastifyRequest<{ Body: Record<string, unknown> | null }>, reply) => {
    const body = request.body ?? {};
    const filter = body.filter as Record<string, unknown> | undefined;
    const unitId = filter?.org_unit_id;
    const perPage = body['per-page'] === undefined ? DEFAULT_PER_PAGE : Number(body['per-page']);
    const page = body.page === undefined ? 1 : Number(body.page);
    if (typeof unitId !== 'string' || !UUID.test(unitId) || (filter && Object.keys(filter).length !== 1))
      return problem(reply, 400, 'the reference answers filter.org_unit_id only');
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > MAX_PER_PAGE || !Number.isInteger(page) || page < 1)
      return problem(reply, 400, 'page or per-page out of range');
    const { rows } = await pool.query<Record<string, unknown> & { total_rows: number; org_person_id: string | null }>({
      name: 'ref-org-person-by-unit',
      text: `with recursive up(id, parent_id, ok) as (
                 select u.id, u.parent_id, ${ACTIVE('u')} from org_unit u where u.id = $2
                 union all
                 select u.id, u.parent_id, ${ACTIVE('u')} from org_unit u join up on u.id = up.parent_id
               ),
               chain as (select coalesce(bool_and(ok), false) as ok from up),
               rows as (
                 select a.id as org_person_id, a.person_id, a.org_unit_id, a.org_role_id, a.valid_from, a.valid_to,
                   u.code as org_unit_code, u.name as org_unit_name, r.code as org_role_code, r.name as org_role_name,
                   pe.first_name as person_first_name, pe.last_name as person_last_name, pe.email as person_email
                 from org_person a
                   join person pe on pe.id = a.person_id
                   join org_unit u on u.id = a.org_unit_id
                   left join org_role r on r.id = a.org_role_id
                   cross join chain
                 where a.org_unit_id = $2 and ${ACTIVE('a')} and chain.ok and ${ACTIVE('pe')} and (r.id is null or ${ACTIVE('r')})
               )
             select counted.total_rows, page.* from (select count(*)::int as total_rows from rows) counted
               left join lateral (select * from rows order by org_person_id limit $3 offset $4) page on true
              order by page.org_person_id`,
      values: [new Date(), unitId, perPage, (page - 1) * perPage],
    });
    const total = rows[0]?.total_rows ?? 0;
    paginationHeaders(reply, total, page, perPage);
    const out = [];
    for (const row of rows) {
      if (row.org_person_id === null) continue;
      out.push({
        org_person_id: row.org_person_id,
        person_id: row.person_id,
        org_unit_id: row.org_unit_id,
        org_role_id: row.org_role_id,
        valid_from: row.valid_from ? (row.valid_from as Date).toISOString() : null,
        valid_to: row.valid_to ? (row.valid_to as Date).toISOString() : null,
        // Only active rows are listed (the default filter owned_active and parent_active).
        owned_active: true,
        parent_active: true,
        org_unit_code: row.org_unit_code,
        org_unit_name: row.org_unit_name,
        org_role_code: row.org_role_code,
        org_role_name: row.org_role_name,
        person_first_name: row.person_first_name,
        person_last_name: row.person_last_name,
        person_email: row.person_email,
      });
    }
    return out;
  });

  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the reference server did not report its TCP port');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    close: async () => {
      await app.close();
      await pool.end();
    },
  };
}
