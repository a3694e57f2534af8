import type { Response } from 'supertest';

/** Canonical lowercase dashed UUID: the only id form the API answers with (contract section 1). */
export const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** ISO 8601 UTC with milliseconds (contract section 1). */
export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

type FieldType = 'uuid' | 'uuid?' | 'string' | 'string?' | 'boolean' | 'date' | 'date?' | 'scopes' | 'token' | 'depth';

const PERSON: Record<string, FieldType> = {
  id: 'uuid',
  email: 'string',
  firstName: 'string',
  lastName: 'string',
  displayName: 'string?',
  externalId: 'string?',
  organization: 'string?',
  business: 'string?',
  department: 'string?',
  group: 'string?',
  team: 'string?',
  managerId: 'uuid?',
  managerEmail: 'string?',
  validFrom: 'date?',
  validTo: 'date?',
  active: 'boolean',
  createdAt: 'date',
  updatedAt: 'date',
};

const ORG_UNIT: Record<string, FieldType> = {
  org_unit_id: 'uuid',
  code: 'string?',
  name: 'string',
  description: 'string?',
  parent_org_unit_id: 'uuid?',
  project_id: 'uuid?',
  external_id: 'string?',
  valid_from: 'date?',
  valid_to: 'date?',
  owned_active: 'boolean',
  parent_active: 'boolean',
};

const ORG_ROLE: Record<string, FieldType> = {
  org_role_id: 'uuid',
  code: 'string?',
  name: 'string',
  description: 'string?',
  project_id: 'uuid?',
  valid_from: 'date?',
  valid_to: 'date?',
  owned_active: 'boolean',
  parent_active: 'boolean',
};

const ORG_PERSON: Record<string, FieldType> = {
  org_person_id: 'uuid',
  person_id: 'uuid',
  org_unit_id: 'uuid',
  org_role_id: 'uuid?',
  valid_from: 'date?',
  valid_to: 'date?',
  owned_active: 'boolean',
  parent_active: 'boolean',
  org_unit_code: 'string?',
  org_unit_name: 'string',
  org_role_code: 'string?',
  org_role_name: 'string?',
  person_first_name: 'string',
  person_last_name: 'string',
  person_email: 'string',
};

const TOKEN: Record<string, FieldType> = {
  id: 'uuid',
  name: 'string',
  role: 'string',
  scopes: 'scopes',
  createdAt: 'date',
  expiresAt: 'date?',
  lastUsedAt: 'date?',
  revokedAt: 'date?',
  createdBy: 'uuid?',
  projectId: 'uuid?',
};

export const ENTITY_SHAPES = {
  person: PERSON,
  /** A person in a reporting line (reports, managers): the person and its depth (1 = direct). */
  'person-in-line': { ...PERSON, depth: 'depth' as FieldType },
  'org-unit': ORG_UNIT,
  'org-role': ORG_ROLE,
  'org-person': ORG_PERSON,
  token: TOKEN,
  'created-token': { ...TOKEN, token: 'token' as FieldType },
} as const;
export type EntityShape = keyof typeof ENTITY_SHAPES;

const ROLES = ['Opsera Administrator', 'Administrator', 'Power User', 'Viewer'];

function fieldProblem(type: FieldType, value: unknown): string | undefined {
  const isString = typeof value === 'string';
  switch (type) {
    case 'uuid':
      return isString && CANONICAL_UUID.test(value) ? undefined : 'is not a canonical lowercase uuid';
    case 'uuid?':
      return value === null || (isString && CANONICAL_UUID.test(value)) ? undefined : 'is neither null nor a canonical uuid';
    case 'string':
      return isString ? undefined : 'is not a string';
    case 'string?':
      return value === null || isString ? undefined : 'is neither null nor a string';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'is not a boolean';
    case 'date':
      return isString && ISO_MS.test(value) ? undefined : 'is not an ISO 8601 UTC timestamp with milliseconds';
    case 'date?':
      return value === null || (isString && ISO_MS.test(value))
        ? undefined
        : 'is neither null nor an ISO 8601 UTC timestamp with milliseconds';
    case 'scopes':
      return Array.isArray(value) && value.every((s) => typeof s === 'string') ? undefined : 'is not an array of strings';
    case 'token':
      return isString && /^ogm_[0-9A-Za-z]{36}$/.test(value) ? undefined : 'is not an ogm_ token';
    case 'depth':
      return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? undefined : 'is not a whole number from 1';
  }
}

/** Problems of one entity against its documented shape: exactly the documented keys, each well typed. */
export function entityProblems(shape: EntityShape, value: unknown, where = 'body'): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${where} is not a JSON object`];
  const spec = ENTITY_SHAPES[shape] as Record<string, FieldType>;
  const record = value as Record<string, unknown>;
  const out: string[] = [];
  const keys = Object.keys(record).sort();
  const expected = Object.keys(spec).sort();
  const extra = keys.filter((k) => !(k in spec));
  const missing = expected.filter((k) => !(k in record));
  if (extra.length) out.push(`${where} has undocumented keys ${extra.join(', ')}`);
  if (missing.length) out.push(`${where} lacks keys ${missing.join(', ')}`);
  for (const [key, type] of Object.entries(spec)) {
    if (!(key in record)) continue;
    const problem = fieldProblem(type, record[key]);
    if (problem) out.push(`${where}.${key} ${problem}: ${JSON.stringify(record[key])?.slice(0, 80)}`);
  }
  if ((shape === 'token' || shape === 'created-token') && typeof record.role === 'string' && !ROLES.includes(record.role)) {
    out.push(`${where}.role is not a site role: ${record.role}`);
  }
  return out;
}

const PAGINATION = ['x-pagination-current-page', 'x-pagination-page-count', 'x-pagination-per-page', 'x-pagination-total-count'] as const;

/** The X-Pagination-* headers (and Link on GET lists) of contract section 6. */
export function paginationProblems(res: Response, items: unknown[], withLink: boolean): string[] {
  const out: string[] = [];
  const value: Record<string, number> = {};
  for (const name of PAGINATION) {
    const raw = res.headers[name] as string | undefined;
    if (raw === undefined || !/^\d+$/.test(raw)) out.push(`header ${name} is missing or not a whole number: ${String(raw)}`);
    else value[name] = Number(raw);
  }
  if (out.length) return out;
  const page = value['x-pagination-current-page'];
  const perPage = value['x-pagination-per-page'];
  const total = value['x-pagination-total-count'];
  const pages = value['x-pagination-page-count'];
  if (page < 1) out.push(`X-Pagination-Current-Page ${page} < 1`);
  if (perPage < 1 || perPage > 1000) out.push(`X-Pagination-Per-Page ${perPage} outside 1..1000`);
  if (perPage >= 1 && pages !== Math.ceil(total / perPage)) out.push(`X-Pagination-Page-Count ${pages} != ceil(${total}/${perPage})`);
  if (items.length > perPage) out.push(`${items.length} items on a page of ${perPage}`);
  if (page <= pages && page < pages && items.length !== perPage)
    out.push(`page ${page} of ${pages} is not full (${items.length}/${perPage})`);
  if (page > pages && items.length !== 0) out.push(`page ${page} past the last (${pages}) is not empty`);
  if (withLink) {
    const link = res.headers['link'] as string | undefined;
    if (!link || !link.includes('rel="first"') || !link.includes('rel="last"'))
      out.push(`Link header missing or without first/last: ${String(link)}`);
  }
  return out;
}

/** `{count, data}` lists (Opsera people, tokens): envelope, items, headers. */
export function envelopeListProblems(res: Response, shape: EntityShape): string[] {
  const body = res.body as { count?: unknown; data?: unknown };
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return ['list body is not a {count, data} object'];
  const keys = Object.keys(body).sort().join(',');
  const out: string[] = keys === 'count,data' ? [] : [`list body keys are ${keys}, expected count,data`];
  if (typeof body.count !== 'number' || !Array.isArray(body.data)) return [...out, 'count is not a number or data is not an array'];
  if (String(body.count) !== res.headers['x-pagination-total-count']) out.push(`count ${body.count} != X-Pagination-Total-Count`);
  body.data.forEach((item, i) => out.push(...entityProblems(shape, item, `data[${i}]`)));
  return [...out, ...paginationProblems(res, body.data, true)];
}

/** 4HSE index: a bare JSON array plus the X-Pagination-* headers. */
export function arrayListProblems(res: Response, shape: EntityShape): string[] {
  if (!Array.isArray(res.body)) return ['index body is not a JSON array'];
  const items = res.body as unknown[];
  const out: string[] = [];
  items.forEach((item, i) => out.push(...entityProblems(shape, item, `[${i}]`)));
  return [...out, ...paginationProblems(res, items, false)];
}

/**
 * Hierarchy reads (contract section 11): a bare array of org units, each with `depth` (and `path` for
 * descendants, `head_count`/`total_head_count` when counted), and the pagination headers on descendants.
 */
export function hierarchyProblems(res: Response, kind: 'ancestor' | 'descendant'): string[] {
  if (!Array.isArray(res.body)) return ['hierarchy body is not a JSON array'];
  const items = res.body as unknown[];
  const out: string[] = [];
  items.forEach((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      out.push(`[${i}] is not a JSON object`);
      return;
    }
    const { depth, path, head_count, total_head_count, ...unit } = item as Record<string, unknown>;
    const whole = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
    if (!whole(depth) || (kind === 'descendant' && (depth as number) < 1)) out.push(`[${i}].depth is ${JSON.stringify(depth)}`);
    if (kind === 'descendant') {
      if (!Array.isArray(path) || path.length !== depth || !path.every((id) => typeof id === 'string' && CANONICAL_UUID.test(id)))
        out.push(`[${i}].path ${JSON.stringify(path)} is not ${String(depth)} canonical ids`);
    } else if (path !== undefined) out.push(`[${i}] has a path`);
    if ((head_count === undefined) !== (total_head_count === undefined)) out.push(`[${i}] has only one of the head counts`);
    if (
      head_count !== undefined &&
      (!whole(head_count) || !whole(total_head_count) || (total_head_count as number) < (head_count as number))
    )
      out.push(`[${i}] head counts ${JSON.stringify([head_count, total_head_count])}`);
    out.push(...entityProblems('org-unit', unit, `[${i}]`));
  });
  return kind === 'descendant' ? [...out, ...paginationProblems(res, items, false)] : out;
}
