import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DomainError } from './domain-errors.js';

/**
 * The SCIM 2.0 wire format of errors (RFC 7644 section 3.12, contract section 13.7). Every error
 * answer under {@link SCIM_BASE_PATH} is written in it by `sendProblem`, whoever raised it (a guard,
 * Fastify's body parser, the router, a service): the path decides the dialect, not the thrower.
 */
export const SCIM_BASE_PATH = '/scim/v2';
export const SCIM_MEDIA_TYPE = 'application/scim+json';
export const SCIM_ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error';

export const SCIM_TYPES = [
  'invalidFilter',
  'invalidSyntax',
  'invalidPath',
  'invalidValue',
  'mutability',
  'uniqueness',
  'invalidCursor',
  'expiredCursor',
  'invalidCount',
] as const;
export type ScimType = (typeof SCIM_TYPES)[number];

/** True for `/scim/v2` and every path below it (query string excluded by the caller). */
export function isScimPath(path: string): boolean {
  return path === SCIM_BASE_PATH || path.startsWith(`${SCIM_BASE_PATH}/`);
}

/**
 * The media type of a SCIM answer: `application/scim+json`, or `application/json` when the request's
 * Accept names that and nothing that would also take SCIM's own (contract section 13.1).
 */
export function scimMediaType(accept: string | undefined): string {
  if (!accept) return SCIM_MEDIA_TYPE;
  const ranges = accept.split(',').map((r) => r.split(';')[0].trim().toLowerCase());
  const takesScim = ranges.some((r) => r === SCIM_MEDIA_TYPE || r === '*/*' || r === 'application/*');
  return !takesScim && ranges.includes('application/json') ? 'application/json' : SCIM_MEDIA_TYPE;
}

/** A SCIM protocol error with its `scimType` (400 and 409 answers). */
export class ScimError extends DomainError {
  readonly slug: string;
  readonly title: string;
  constructor(
    readonly status: 400 | 409,
    readonly scimType: ScimType,
    detail: string,
  ) {
    super(detail);
    this.slug = status === 409 ? 'conflict' : 'bad-request';
    this.title = status === 409 ? 'Conflict' : 'Bad request';
  }
  override extensions() {
    return { scimType: this.scimType };
  }
}

/** The scimType of a 400 or 409 raised by shared code that does not know SCIM (validation, conflicts). */
function defaultScimType(status: number, slug: string): ScimType | undefined {
  if (status === 409) return 'uniqueness';
  if (status !== 400) return undefined;
  return slug === 'validation-error' || slug === 'related-entities' ? 'invalidValue' : 'invalidSyntax';
}

/** The body of a SCIM error answer (contract section 13.7): no `type`, `instance`, `errors` or `related`. */
export function scimErrorBody(
  problem: { status: number; slug: string; detail: string; extensions?: Record<string, unknown> },
  requestId: string,
): ScimErrorDto {
  const given = problem.extensions?.scimType;
  const scimType = typeof given === 'string' ? (given as ScimType) : defaultScimType(problem.status, problem.slug);
  const detail = problem.status === 415 ? 'Send request bodies as application/scim+json or application/json.' : problem.detail;
  return {
    schemas: [SCIM_ERROR_URN],
    status: String(problem.status),
    ...(scimType ? { scimType } : {}),
    detail,
    requestId,
  };
}

/** The SCIM error body (RFC 7644 section 3.12). */
export class ScimErrorDto {
  @ApiProperty({ type: 'array', items: { type: 'string', maxLength: 100 }, example: [SCIM_ERROR_URN], maxItems: 1 }) schemas!: string[];
  @ApiProperty({ example: '400', description: 'The HTTP status code, as a string.', maxLength: 3 }) status!: string;
  @ApiPropertyOptional({ enum: SCIM_TYPES, example: 'invalidFilter', description: 'On 400 and 409 answers.' }) scimType?: ScimType;
  @ApiProperty({ example: 'filter: unknown attribute nickName', maxLength: 2000 }) detail!: string;
  @ApiProperty({ example: '8e3b6f0e-2a4b-4b55-9d8f-3f6f1f2b7c11', maxLength: 128, description: 'The X-Request-Id of the failed request.' })
  requestId!: string;
}
