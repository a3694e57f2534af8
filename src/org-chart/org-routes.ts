import { applyDecorators, createParamDecorator, Delete, Get, HttpCode, Post, Put, type ExecutionContext } from '@nestjs/common';
import { ApiBody, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponse } from '@nestjs/swagger';
import { Authorize } from '../common/auth/authorize.decorator.js';
import { Scope } from '../common/auth/scopes.js';
import { SiteRole } from '../common/auth/site-roles.js';
import { ApiProblem } from '../common/errors/api-problem.decorator.js';
import { ExpensiveRead } from '../common/load/expensive-read.js';
import { EntityTagged } from '../common/concurrency/conditional.js';
import { Idempotent } from '../common/idempotency/idempotency.interceptor.js';
import { ListShape, Paginated } from '../common/pagination/pagination.interceptor.js';
import { edgePipe } from '../common/validation/edge-pipe.js';
import { parseEntityId, UUID_DOC } from '../common/validation/validation.js';
import { HistoricizeDto } from './org-api.dto.js';
import { EmptyArrayMeansNoFields } from './php-empty-array.js';

/** The role matrix of contract section 7, shared by the three 4HSE resources. */
export const ORG_READ = { scope: Scope.Api, minRole: SiteRole.Viewer } as const;
export const ORG_WRITE = { scope: Scope.Api, minRole: SiteRole.PowerUser } as const;
export const ORG_DELETE = { ...ORG_WRITE, escalate: { query: 'force', minRole: SiteRole.Administrator } } as const;

const problem = ApiProblem;
/** Contract section 4.1, as the route descriptions say it. */
const NO_BODY = 'No body (whatever the Content-Type), `{}` and `[]` (PHP\'s empty array) all mean "no fields"; any other array is a 400.';
const idParam = ApiParam({
  schema: { type: 'string', maxLength: UUID_DOC.maxLength, pattern: UUID_DOC.pattern },
  name: 'id',
  required: false,
  description: 'Dashed or 32 hex digits; or use ?id= instead.',
  example: '123e4567-e89b-12d3-a456-426655440000',
});

/** The raw entity id from the path (`/view/{id}`) or the query string (`/view?id=`). */
const RawEntityId = createParamDecorator((_: unknown, ctx: ExecutionContext): unknown => {
  const request = ctx.switchToHttp().getRequest<{ params?: Record<string, unknown>; query?: Record<string, unknown> }>();
  return request.params?.id ?? request.query?.id;
});

/** The entity id of the path or query form, parsed at the edge: a normalized UUID, or a 400 naming `id`. */
export const EntityId = () => RawEntityId(undefined, edgePipe(parseEntityId));

/** POST /v2/{res}/index: bare JSON array plus X-Pagination-* headers. */
export function IndexRoute(noun: string, item: unknown, body: unknown, example: object) {
  return applyDecorators(
    Post('index'),
    HttpCode(200),
    Authorize(ORG_READ),
    EmptyArrayMeansNoFields(),
    ExpensiveRead(),
    ApiOperation({
      summary: `List ${noun}s`,
      description: `Paginated, filtered list of ${noun}s. Inactive ones are hidden unless history is true. ${NO_BODY}`,
    }),
    ApiBody({ type: body as never, examples: { search: { value: example } } }),
    Paginated(ListShape.Array, [item], `List of ${noun}s (bare array) with the X-Pagination-* headers.`),
    problem(400, 'Unknown filter key, wrongly typed value, unknown sort field or bad paging (named in errors[]).'),
  );
}

export function ViewRoute(noun: string, item: unknown) {
  return applyDecorators(
    Get(['view/:id', 'view']),
    Authorize(ORG_READ),
    EntityTagged(),
    ApiOperation({ summary: `View a ${noun}`, description: 'Path form /view/{id} or query form /view?id=.' }),
    idParam,
    ApiOkResponse({ type: item as never }),
    problem(400, 'Malformed id.'),
    problem(404, `No such ${noun}.`),
  );
}

export function CreateRoute(noun: string, item: unknown, conflicts: string) {
  return applyDecorators(
    Post('create'),
    HttpCode(201),
    Authorize(ORG_WRITE),
    EntityTagged(),
    Idempotent(),
    ApiOperation({
      summary: `Create a ${noun}`,
      description: `Creates a ${noun}; a client-supplied id (dashed or 32 hex digits) is kept, a taken one is 409.`,
    }),
    ApiResponse({ status: 201, type: item as never, description: 'Created.' }),
    problem(400, 'Invalid or missing field, or a referenced entity does not exist (named in errors[]).'),
    problem(409, conflicts),
  );
}

export function UpdateRoute(noun: string, item: unknown, conflicts: string) {
  return applyDecorators(
    Put(['update/:id', 'update']),
    Authorize(ORG_WRITE),
    EntityTagged(),
    EmptyArrayMeansNoFields(),
    ApiOperation({
      summary: `Update a ${noun} (partial)`,
      description: `Absent fields stay unchanged; valid_to: null re-activates. ${NO_BODY}`,
    }),
    idParam,
    ApiOkResponse({ type: item as never }),
    problem(400, 'Invalid field or malformed id.'),
    problem(404, `No such ${noun}.`),
    problem(409, conflicts),
  );
}

export function DeleteRoute(noun: string, related: string) {
  return applyDecorators(
    Delete(['delete/:id', 'delete']),
    HttpCode(204),
    Authorize(ORG_DELETE),
    ApiOperation({
      summary: `Delete a ${noun}`,
      description: `Related entities: ${related}. Without force the delete is refused (400) while any exist, and the answer lists them; force=true (Administrator or higher) deletes them too, all or nothing. historicize=true sets valid_to instead.`,
    }),
    idParam,
    ApiNoContentResponse({ description: 'Deleted (or historicized).' }),
    problem(400, 'Malformed id or parameter, or related entities exist (listed in related).'),
    problem(404, `No such ${noun}.`),
  );
}

export function HistoricizeRoute(noun: string, item: unknown) {
  return applyDecorators(
    Post(['historicize/:id', 'historicize']),
    HttpCode(200),
    Authorize(ORG_WRITE),
    EntityTagged(),
    EmptyArrayMeansNoFields(),
    ApiOperation({
      summary: `Historicize a ${noun}`,
      description: `Sets valid_to to the given date (default now). Nothing is deleted; dependants are hidden by parent_active. ${NO_BODY}`,
    }),
    idParam,
    ApiBody({
      type: HistoricizeDto,
      required: false,
      examples: {
        now: { value: {} },
        date: { value: { date: '2026-12-31T00:00:00.000Z' } },
        fourHseDate: { summary: "4HSE's documented form, read as UTC", value: { date: '2026-12-02 03:29:45' } },
      },
    }),
    ApiOkResponse({ type: item as never }),
    problem(400, 'Malformed id or date, or the date is not after valid_from.'),
    problem(404, `No such ${noun}.`),
  );
}
