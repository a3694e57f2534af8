import { PROBLEM_CONTENT_TYPE } from '../errors/problem.js';
import { IDEMPOTENT_EXTENSION } from '../idempotency/idempotency.interceptor.js';
import { ETAG_EXTENSION, PRECONDITIONS_EXTENSION } from './conditional.js';

type Json = Record<string, unknown>;
interface Operation {
  parameters?: Json[];
  responses?: Record<string, Json>;
  [extension: `x-${string}`]: unknown;
}

const PROBLEM = { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetails' } } };
const TAG_LIST = { type: 'string', maxLength: 8192 };

/** Headers and parameters of contract section 10.4, declared once and referenced. */
export const CONCURRENCY_HEADERS = {
  ETag: {
    description:
      "The entity's tag (strong, opaque, quoted): changes whenever the stored entity changes. Send it back in If-Match or If-None-Match.",
    schema: { type: 'string', maxLength: 64, pattern: '^"[\\x21\\x23-\\x7e]*"$' },
  },
  'Idempotent-Replayed': {
    description: 'Present (true) when this is the stored answer of an earlier request with the same Idempotency-Key; nothing was written.',
    schema: { type: 'string', enum: ['true'] },
  },
} as const;

export const CONCURRENCY_PARAMETERS = {
  'If-Match': {
    in: 'header',
    name: 'If-Match',
    required: false,
    description:
      'Change only if the entity still has one of these ETags (strong comparison; weak tags never match), or "*" for any existing entity; otherwise 412 and nothing changes.',
    schema: TAG_LIST,
  },
  'If-None-Match': {
    in: 'header',
    name: 'If-None-Match',
    required: false,
    description: 'On a read: 304 without a body when the ETag matches one of these (weak comparison) or "*". On a write: 412 when it does.',
    schema: TAG_LIST,
  },
  'Idempotency-Key': {
    in: 'header',
    name: 'Idempotency-Key',
    required: false,
    description:
      'Makes the create safe to retry (scoped to the token, kept 24 h): a repeat with the same request answers the first answer again ' +
      'with Idempotent-Replayed: true and writes nothing; a different request with the key is 422; a repeat while the first runs is 409. ' +
      'Only successful answers are kept: after a 4xx or 5xx the key is free again.',
    schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7e]{1,255}$' },
  },
} as const;

const headerRef = (name: keyof typeof CONCURRENCY_HEADERS) => ({ $ref: `#/components/headers/${name}` });
const parameterRef = (name: keyof typeof CONCURRENCY_PARAMETERS) => ({ $ref: `#/components/parameters/${name}` });

function addParameter(operation: Operation, name: keyof typeof CONCURRENCY_PARAMETERS): void {
  const parameters = (operation.parameters ??= []);
  if (!parameters.some((p) => p.$ref === parameterRef(name).$ref)) parameters.push(parameterRef(name));
}

function successes(operation: Operation): Json[] {
  return Object.entries(operation.responses ?? {})
    .filter(([status]) => /^2\d\d$/.test(status) && status !== '204')
    .map(([, response]) => response);
}

function addHeader(response: Json, name: keyof typeof CONCURRENCY_HEADERS): void {
  const headers = ((response.headers as Json | undefined) ??= {});
  headers[name] ??= headerRef(name);
}

/**
 * Replaces the operation markers of {@link EntityTagged}, {@link RequestPreconditions} and
 * {@link Idempotent} by what they mean on the wire: headers, parameters, 304, 409, 412 and 422.
 */
export function documentConcurrency(method: string, operation: Operation): void {
  const responses = (operation.responses ??= {});
  if (operation[ETAG_EXTENSION]) {
    for (const response of successes(operation)) addHeader(response, 'ETag');
    if (method === 'get') {
      addParameter(operation, 'If-None-Match');
      responses['304'] ??= {
        description: 'Not modified: If-None-Match matches the current ETag. No body.',
        headers: { ETag: headerRef('ETag') },
      };
    }
    delete operation[ETAG_EXTENSION];
  }
  if (operation[PRECONDITIONS_EXTENSION]) {
    addParameter(operation, 'If-Match');
    addParameter(operation, 'If-None-Match');
    responses['412'] ??= {
      description: 'If-Match does not match the current ETag (or If-None-Match does): the entity changed meanwhile, nothing was changed.',
      content: PROBLEM,
    };
    delete operation[PRECONDITIONS_EXTENSION];
  }
  if (operation[IDEMPOTENT_EXTENSION]) {
    addParameter(operation, 'Idempotency-Key');
    for (const response of successes(operation)) addHeader(response, 'Idempotent-Replayed');
    const conflict = responses['409'];
    const inProgress = 'Or a request with this Idempotency-Key is still running (type .../idempotency-key-in-progress, Retry-After).';
    responses['409'] = conflict
      ? { ...conflict, description: `${typeof conflict.description === 'string' ? conflict.description : ''} ${inProgress}`.trim() }
      : { description: inProgress, content: PROBLEM };
    responses['422'] ??= {
      description: 'The Idempotency-Key was used with a different request within 24 h (type .../idempotency-key-reused).',
      content: PROBLEM,
    };
    delete operation[IDEMPOTENT_EXTENSION];
  }
}
