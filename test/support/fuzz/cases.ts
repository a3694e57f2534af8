import fc from 'fast-check';
import {
  acceptHeader,
  anyJson,
  anyKey,
  anyString,
  boolParam,
  boolValue,
  brokenJsonText,
  contentTypeHeader,
  dateValue,
  deepJson,
  emailString,
  headerSafe,
  idString,
  intParam,
  queryPair,
  queryString,
  rawObject,
  rawSegment,
  requestIdHeader,
  segment,
  segmentEncoding,
  sortValue,
  text,
  type QueryPair,
} from './arbitraries.js';
import { MANGLES, VALID_FORMS, type AuthVariant, type FuzzBody, type FuzzCase, type OrgResource, type RoleKey } from './harness.js';
import type { FuzzJson } from './json.js';
import { SEED, SEED_CODES, SEED_EMAILS, SEED_IDS } from './seed.js';

/* ------------------------------------------------------------------ authentication */

export function validAuth(role: RoleKey): fc.Arbitrary<AuthVariant> {
  return fc
    .oneof(
      { arbitrary: fc.constant<(typeof VALID_FORMS)[number]>('Bearer '), weight: 6 },
      { arbitrary: fc.constantFrom(...VALID_FORMS), weight: 1 },
    )
    .map((form) => ({ kind: 'token', role, form }));
}

const ROLES: RoleKey[] = ['opseraAdmin', 'admin', 'powerUser', 'viewer'];

/** Authorization values that must all be refused. */
export const invalidAuth: fc.Arbitrary<AuthVariant> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant('mangled' as const), role: fc.constantFrom(...ROLES), how: fc.constantFrom(...MANGLES) }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('special' as const),
      which: fc.constantFrom('revoked' as const, 'expired' as const, 'unknown' as const),
    }),
    weight: 2,
  },
  {
    arbitrary: fc
      .oneof(
        anyString,
        anyString.map((s) => `Bearer ${s}`),
        fc.stringMatching(/^[0-9A-Za-z]{36}$/).map((s) => `Bearer ogm_${s}`),
        fc.integer({ min: 100, max: 8000 }).map((n) => `Bearer ${'a'.repeat(n)}`),
        fc.integer({ min: 100, max: 8000 }).map((n) => `Bearer ogm_${'A'.repeat(n)}`),
        fc.constantFrom(
          '',
          ' ',
          'Bearer',
          'Bearer ',
          'Bearer  ',
          'Basic',
          'Basic Og==',
          'Digest username="a"',
          'Bearer null',
          'Bearer undefined',
          'Negotiate x',
          'Bearer ☃',
          'Bearer ogm_é',
        ),
      )
      .map((value) => ({ kind: 'raw' as const, value })),
    weight: 4,
  },
);

/** Writers (Power User and up) most of the time, so validation is what gets exercised; sometimes less. */
export const writerAuth: fc.Arbitrary<AuthVariant> = fc.oneof(
  { arbitrary: validAuth('powerUser'), weight: 8 },
  { arbitrary: validAuth('admin'), weight: 8 },
  { arbitrary: validAuth('opseraAdmin'), weight: 2 },
  { arbitrary: validAuth('viewer'), weight: 2 },
  { arbitrary: fc.constant<AuthVariant>({ kind: 'none' }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('special' as const), which: fc.constant('no-scope' as const) }), weight: 1 },
  { arbitrary: invalidAuth, weight: 1 },
);

/** Readers: every valid role, sometimes none or a bad token. */
export const readerAuth: fc.Arbitrary<AuthVariant> = fc.oneof(
  { arbitrary: fc.constantFrom(...ROLES).chain(validAuth), weight: 12 },
  { arbitrary: fc.constant<AuthVariant>({ kind: 'none' }), weight: 1 },
  { arbitrary: invalidAuth, weight: 1 },
);

/** Token management: administrators mostly (so validation runs), others sometimes. */
export const managerAuth: fc.Arbitrary<AuthVariant> = fc.oneof(
  { arbitrary: validAuth('admin'), weight: 6 },
  { arbitrary: validAuth('opseraAdmin'), weight: 6 },
  { arbitrary: validAuth('powerUser'), weight: 1 },
  { arbitrary: validAuth('viewer'), weight: 1 },
  { arbitrary: fc.constant<AuthVariant>({ kind: 'none' }), weight: 1 },
  { arbitrary: invalidAuth, weight: 1 },
);

/** Every kind of authentication, evenly: for the header fuzzer. */
export const anyAuth: fc.Arbitrary<AuthVariant> = fc.oneof(
  { arbitrary: fc.constantFrom(...ROLES).chain(validAuth), weight: 4 },
  { arbitrary: fc.constant<AuthVariant>({ kind: 'none' }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('special' as const), which: fc.constant('no-scope' as const) }), weight: 1 },
  { arbitrary: invalidAuth, weight: 6 },
);

/* ------------------------------------------------------------------ bodies */

/** A JSON body: fully valid, valid-ish with noise, wrong top-level type, too deep, broken, absent, or too large. */
export function jsonBody(valid: fc.Arbitrary<FuzzJson>, noisy: fc.Arbitrary<FuzzJson>): fc.Arbitrary<FuzzBody | undefined> {
  return fc.oneof(
    { arbitrary: valid.map((value): FuzzBody => ({ kind: 'json', value })), weight: 30 },
    { arbitrary: noisy.map((value): FuzzBody => ({ kind: 'json', value })), weight: 80 },
    { arbitrary: anyJson.map((value): FuzzBody => ({ kind: 'json', value })), weight: 8 },
    { arbitrary: deepJson.map((value): FuzzBody => ({ kind: 'json', value })), weight: 3 },
    { arbitrary: rawObject.map((value): FuzzBody => ({ kind: 'json', value })), weight: 3 },
    { arbitrary: brokenJsonText.map((t): FuzzBody => ({ kind: 'text', text: t })), weight: 5 },
    { arbitrary: fc.constant(undefined), weight: 3 },
    { arbitrary: fc.integer({ min: 1_048_577, max: 1_100_000 }).map((bytes): FuzzBody => ({ kind: 'big', bytes })), weight: 1 },
  );
}

/**
 * An object with some of the documented fields (each a typed value most of the time, any JSON value
 * otherwise) and sometimes undocumented ones (server-managed names, aliases, random keys).
 */
export function noisyObject(fields: Record<string, fc.Arbitrary<FuzzJson>>, extraKeys: readonly string[]): fc.Arbitrary<FuzzJson> {
  const typed = Object.fromEntries(
    Object.entries(fields).map(([k, arb]) => [k, fc.oneof({ arbitrary: arb, weight: 4 }, { arbitrary: anyJson, weight: 1 })]),
  ) as Record<string, fc.Arbitrary<FuzzJson>>;
  const extras = fc.dictionary(fc.oneof(fc.constantFrom(...extraKeys), anyKey), anyJson, { minKeys: 1, maxKeys: 3 });
  return fc
    .tuple(fc.record(typed, { requiredKeys: [] }), fc.oneof({ arbitrary: fc.constant({}), weight: 3 }, { arbitrary: extras, weight: 1 }))
    .map(([a, b]) => ({ ...b, ...a }) as FuzzJson);
}

/** Content-Type: JSON nearly always in the data fuzzers (the header fuzzer varies it). */
export const mostlyJsonContentType: fc.Arbitrary<string | null | undefined> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 30 },
  { arbitrary: contentTypeHeader, weight: 1 },
);

/* ------------------------------------------------------------------ values */

const nonBlank = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => /\S/.test(s));

/** Dates the validators accept, the extremes of the calendar included (4-digit years, any offset). */
const EXTREME_FROM = ['0100-01-01T00:00:00Z', '1000-01-01T00:00:00+14:00', '1900-01-01'] as const;
const EXTREME_TO = ['9999-12-31', '9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999-14:00', '9999-12-31T12:00:00-12:00'] as const;
let freshCounter = 0;
/** A fresh, valid email (a counter keeps it unique across runs). */
export const freshEmail = fc
  .tuple(fc.constantFrom('fuzz', 'Fuzz.Case', 'f+tag', 'o_k'), fc.constantFrom('example.com', 'EXAMPLE.org', 'sub.example.net'))
  .map(([local, domain]) => `${local}${++freshCounter}@${domain}`);

export const anyUuidValue = (known: readonly string[]): fc.Arbitrary<FuzzJson> =>
  fc.oneof({ arbitrary: idString(known), weight: 6 }, { arbitrary: fc.constant(null), weight: 1 });
const projectId = anyUuidValue([SEED.project]);
const codeValue: fc.Arbitrary<FuzzJson> = fc.oneof(fc.constantFrom<FuzzJson>(...SEED_CODES), text, fc.constant(null));

/* ------------------------------------------------------------------ people */

const PERSON_TEXT_FIELDS = ['displayName', 'externalId', 'organization', 'business', 'department', 'group', 'team'] as const;
const PERSON_ALIASES = ['business_group', 'applicationdepartment', 'projectgroup'] as const;
const PERSON_EXTRAS = ['id', 'active', 'createdAt', 'updatedAt', 'Email', 'first_name', 'access_token', 'person_id', 'validfrom'];
export const PERSON_SORTS = [
  'email',
  'firstName',
  'lastName',
  'displayName',
  'externalId',
  'organization',
  'business',
  'department',
  'group',
  'team',
  'validFrom',
  'validTo',
  'createdAt',
  'updatedAt',
] as const;

const personFields: Record<string, fc.Arbitrary<FuzzJson>> = {
  email: emailString(SEED_EMAILS),
  firstName: text,
  lastName: text,
  ...Object.fromEntries([...PERSON_TEXT_FIELDS, ...PERSON_ALIASES].map((f) => [f, fc.oneof(text, fc.constant(null))])),
  validFrom: dateValue,
  validTo: dateValue,
  managerEmail: fc.oneof(emailString(SEED_EMAILS), fc.constant(null)),
};

const validPerson: fc.Arbitrary<FuzzJson> = fc
  .record(
    {
      email: freshEmail,
      firstName: nonBlank,
      lastName: nonBlank,
      displayName: fc.oneof(nonBlank, fc.constant(null)),
      department: nonBlank,
      business_group: nonBlank,
      validFrom: fc.constantFrom<FuzzJson>(null, '2020-01-01T00:00:00.000Z', '2020-01-01', ...EXTREME_FROM),
      validTo: fc.constantFrom<FuzzJson>(null, '2999-01-01T00:00:00Z', '2021-06-01T00:00:00+02:00', ...EXTREME_TO),
    },
    { requiredKeys: ['email', 'firstName', 'lastName'] },
  )
  .map((p) => p as FuzzJson);

export const personBody = jsonBody(validPerson, noisyObject(personFields, PERSON_EXTRAS));

const validPersonUpdate: fc.Arbitrary<FuzzJson> = fc
  .record(
    {
      firstName: nonBlank,
      lastName: nonBlank,
      team: fc.oneof(nonBlank, fc.constant(null)),
      validTo: fc.constantFrom<FuzzJson>(null, '2999-01-01T00:00:00Z', ...EXTREME_TO),
      managerEmail: fc.oneof(fc.constantFrom<FuzzJson>(...SEED_EMAILS), fc.constant(null)),
    },
    { requiredKeys: [] },
  )
  .map((p) => p as FuzzJson);
export const personUpdateBody = jsonBody(validPersonUpdate, noisyObject(personFields, PERSON_EXTRAS));

/** A path segment holding an email (or something that should be one). */
export const emailSegment: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.tuple(emailString(SEED_EMAILS), segmentEncoding).map(([e, how]) => segment(e, how)), weight: 12 },
  { arbitrary: rawSegment, weight: 1 },
);

/** An instant of a point-in-time read (contract section 10.2) that the API accepts: past, present or future. */
const instantValue: fc.Arbitrary<FuzzJson> = fc.oneof(
  fc
    .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constantFrom<FuzzJson>('2026-12-02 03:29:45', '2026-12-02', '2026-12-01T12:00:00.000+01:00'),
);

/** `asOf` / `as_of` in a query string: every date form, accepted or not, as text. */
const instantParam: fc.Arbitrary<string> = dateValue.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));

const PEOPLE_QUERY_KEYS: [string, fc.Arbitrary<string>][] = [
  ['page', intParam],
  ['per-page', intParam],
  ['sort', sortValue(PERSON_SORTS)],
  ['history', boolParam],
  ['asOf', instantParam],
  ['email', emailString(SEED_EMAILS)],
  ['q', anyString],
  ...['externalId', 'organization', 'business', 'department', 'group', 'team'].map((k): [string, fc.Arbitrary<string>] => [k, anyString]),
];

function keyedPairs(keys: [string, fc.Arbitrary<string>][], extraKeys: fc.Arbitrary<string>, maxLength = 4): fc.Arbitrary<QueryPair[]> {
  const known = fc.oneof(...keys.map(([k, v]) => queryPair(fc.constant(k), v)));
  const unknown = queryPair(extraKeys, anyString);
  return fc.array(fc.oneof({ arbitrary: known, weight: 6 }, { arbitrary: unknown, weight: 1 }), { maxLength });
}

const queryExtraKeys = fc.oneof(
  fc.constantFrom(
    'access_token',
    'access-token',
    'id',
    'force',
    'filter[name]',
    'sort[]',
    'page[]',
    '__proto__',
    'constructor',
    'limit',
    'offset',
    'fields',
  ),
  anyKey,
);

export const peopleListQuery = keyedPairs(PEOPLE_QUERY_KEYS, queryExtraKeys).map(queryString);

/** `depth` of the reports: 1..1000 or all, and what is neither. */
const depthParam: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom('1', '2', '6', 'all', '1000'), weight: 6 },
  { arbitrary: fc.constantFrom('0', '-1', '1001', 'ALL', 'al', '1.5', '01', ' 1', '', '99999999999999999999'), weight: 3 },
  { arbitrary: intParam, weight: 1 },
  { arbitrary: anyString, weight: 1 },
);

export const reportsQuery = keyedPairs(
  [
    ['page', intParam],
    ['per-page', intParam],
    ['sort', sortValue(PERSON_SORTS)],
    ['history', boolParam],
    ['depth', depthParam],
    ['asOf', instantParam],
  ],
  queryExtraKeys,
).map(queryString);

/** Query of the managers: asOf alone, or anything of the reports' (unknown there: depth, paging). */
const managersQuery = fc.oneof(
  { arbitrary: fc.constant(''), weight: 4 },
  { arbitrary: fc.array(queryPair(fc.constant('asOf'), instantParam), { minLength: 1, maxLength: 2 }).map(queryString), weight: 2 },
  { arbitrary: reportsQuery, weight: 1 },
);

export const deleteQuery: fc.Arbitrary<string> = keyedPairs(
  [
    ['force', boolParam],
    ['historicize', boolParam],
  ],
  queryExtraKeys,
  3,
).map(queryString);

const withQuery = (path: string, query: string) => (query ? `${path}?${query}` : path);

/**
 * Request lines past Node's 16 KiB header limit never reach the application's routes; the header
 * fuzzer sends those on purpose. Here they would only repeat that one finding, so they are left out.
 */
export const MAX_PATH = 12_000;
const fits = (c: FuzzCase) => new URL(c.path, 'http://fuzz').href.length <= MAX_PATH + 12;

function fitting<K extends string>(cases: Record<K, fc.Arbitrary<FuzzCase>>): Record<K, fc.Arbitrary<FuzzCase>> {
  return Object.fromEntries(Object.entries<fc.Arbitrary<FuzzCase>>(cases).map(([k, arb]) => [k, arb.filter(fits)])) as Record<
    K,
    fc.Arbitrary<FuzzCase>
  >;
}

export function peopleCases(): Record<'list' | 'create' | 'get' | 'update' | 'delete' | 'reports' | 'managers', fc.Arbitrary<FuzzCase>> {
  const base = '/api/v2/data/people';
  const rid = fc.oneof({ arbitrary: fc.constant(undefined), weight: 8 }, { arbitrary: requestIdHeader, weight: 1 });
  return fitting({
    list: fc.record({ query: peopleListQuery, auth: readerAuth, requestId: rid }).map(({ query, auth, requestId }) => ({
      route: 'people.list',
      method: 'GET',
      path: withQuery(base, query),
      auth,
      requestId,
    })),
    create: fc
      .record({ body: personBody, auth: writerAuth, contentType: mostlyJsonContentType, requestId: rid })
      .map(({ body, auth, contentType, requestId }) => ({
        route: 'people.create',
        method: 'POST',
        path: base,
        auth,
        body,
        contentType,
        requestId,
      })),
    get: fc
      .record({
        email: emailSegment,
        query: fc.oneof({ arbitrary: fc.constant(''), weight: 5 }, { arbitrary: peopleListQuery, weight: 1 }),
        auth: readerAuth,
      })
      .map(({ email, query, auth }) => ({ route: 'people.get', method: 'GET', path: withQuery(`${base}/${email}`, query), auth })),
    update: fc
      .record({ email: emailSegment, body: personUpdateBody, auth: writerAuth, contentType: mostlyJsonContentType })
      .map(({ email, body, auth, contentType }) => ({
        route: 'people.update',
        method: 'PUT',
        path: `${base}/${email}`,
        auth,
        body,
        contentType,
      })),
    delete: fc.record({ email: emailSegment, query: deleteQuery, auth: writerAuth }).map(({ email, query, auth }) => ({
      route: 'people.delete',
      method: 'DELETE',
      path: withQuery(`${base}/${email}`, query),
      auth,
    })),
    reports: fc.record({ email: emailSegment, query: reportsQuery, auth: readerAuth }).map(({ email, query, auth }) => ({
      route: 'people.reports',
      method: 'GET',
      path: withQuery(`${base}/${email}/reports`, query),
      auth,
    })),
    managers: fc
      .record({
        email: emailSegment,
        query: managersQuery,
        auth: readerAuth,
      })
      .map(({ email, query, auth }) => ({
        route: 'people.managers',
        method: 'GET',
        path: withQuery(`${base}/${email}/managers`, query),
        auth,
      })),
  });
}

/* ------------------------------------------------------------------ 4HSE org resources */

interface OrgSpec {
  idField: string;
  known: readonly string[];
  fields: Record<string, fc.Arbitrary<FuzzJson>>;
  valid: fc.Arbitrary<FuzzJson>;
  validUpdate: fc.Arbitrary<FuzzJson>;
  extras: string[];
  filters: Record<string, fc.Arbitrary<FuzzJson>>;
  sorts: readonly string[];
}

const units = SEED_IDS['org-unit'];
const roles = SEED_IDS['org-role'];
const persons = SEED_IDS.person;
const validity = {
  valid_from: fc.constantFrom<FuzzJson>(null, '2020-01-01T00:00:00.000Z', '2019-05-01', ...EXTREME_FROM),
  valid_to: fc.constantFrom<FuzzJson>(null, '2999-01-01T00:00:00Z', '2021-01-01T00:00:00+01:00', ...EXTREME_TO),
};
const activeFilters = { owned_active: boolValue, parent_active: boolValue };

const unitFields: Record<string, fc.Arbitrary<FuzzJson>> = {
  org_unit_id: anyUuidValue(units),
  code: codeValue,
  name: text,
  description: fc.oneof(text, fc.constant(null)),
  parent_org_unit_id: anyUuidValue(units),
  project_id: projectId,
  valid_from: dateValue,
  valid_to: dateValue,
};

const roleFields: Record<string, fc.Arbitrary<FuzzJson>> = {
  org_role_id: anyUuidValue(roles),
  code: codeValue,
  name: text,
  description: fc.oneof(text, fc.constant(null)),
  project_id: projectId,
  valid_from: dateValue,
  valid_to: dateValue,
};

const orgPersonFields: Record<string, fc.Arbitrary<FuzzJson>> = {
  org_person_id: anyUuidValue(SEED_IDS['org-person']),
  person_id: anyUuidValue(persons),
  org_unit_id: anyUuidValue(units),
  org_role_id: anyUuidValue(roles),
  valid_from: dateValue,
  valid_to: dateValue,
};

const without = (o: Record<string, fc.Arbitrary<FuzzJson>>, key: string) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));

export const ORG_SPECS: Record<OrgResource, OrgSpec> = {
  'org-unit': {
    idField: 'org_unit_id',
    known: units,
    fields: unitFields,
    valid: fc
      .record(
        {
          name: nonBlank,
          code: fc.oneof(fc.constant(null), nonBlank),
          description: nonBlank,
          parent_org_unit_id: fc.constantFrom<FuzzJson>(null, ...units),
          project_id: fc.constantFrom<FuzzJson>(null, SEED.project),
          org_unit_id: fc.uuid(),
          ...validity,
        },
        { requiredKeys: ['name'] },
      )
      .map((v) => v as FuzzJson),
    validUpdate: fc
      .record(
        {
          name: nonBlank,
          description: fc.oneof(nonBlank, fc.constant(null)),
          parent_org_unit_id: fc.constantFrom<FuzzJson>(null, ...units),
          ...validity,
        },
        { requiredKeys: [] },
      )
      .map((v) => v as FuzzJson),
    extras: ['id', 'owned_active', 'parent_active', 'parent_id', 'created_at', 'children', 'access_token'],
    filters: {
      org_unit_id: idString(units),
      code: codeValue,
      name: text,
      description: text,
      parent_org_unit_id: anyUuidValue(units),
      project_id: projectId,
      ...activeFilters,
    },
    sorts: ['code', 'name'],
  },
  'org-role': {
    idField: 'org_role_id',
    known: roles,
    fields: roleFields,
    valid: fc
      .record(
        {
          name: nonBlank,
          code: fc.oneof(fc.constant(null), nonBlank),
          description: nonBlank,
          project_id: fc.constantFrom<FuzzJson>(null, SEED.project),
          org_role_id: fc.uuid(),
          ...validity,
        },
        { requiredKeys: ['name'] },
      )
      .map((v) => v as FuzzJson),
    validUpdate: fc
      .record({ name: nonBlank, code: fc.oneof(fc.constant(null), nonBlank), ...validity }, { requiredKeys: [] })
      .map((v) => v as FuzzJson),
    extras: ['id', 'owned_active', 'parent_active', 'parent_org_unit_id', 'access_token'],
    filters: { org_role_id: idString(roles), code: codeValue, name: text, description: text, project_id: projectId, ...activeFilters },
    sorts: ['code', 'name'],
  },
  'org-person': {
    idField: 'org_person_id',
    known: SEED_IDS['org-person'],
    fields: orgPersonFields,
    valid: fc
      .record(
        {
          person_id: fc.constantFrom<FuzzJson>(...persons),
          org_unit_id: fc.constantFrom<FuzzJson>(...units),
          org_role_id: fc.constantFrom<FuzzJson>(null, ...roles),
          org_person_id: fc.uuid(),
          ...validity,
        },
        { requiredKeys: ['person_id', 'org_unit_id'] },
      )
      .map((v) => v as FuzzJson),
    validUpdate: fc
      .record(
        { org_unit_id: fc.constantFrom<FuzzJson>(...units), org_role_id: fc.constantFrom<FuzzJson>(null, ...roles), ...validity },
        { requiredKeys: [] },
      )
      .map((v) => v as FuzzJson),
    extras: ['id', 'owned_active', 'person_email', 'org_unit_name', 'org_role_code', 'project_id', 'access_token'],
    filters: {
      org_person_id: idString(SEED_IDS['org-person']),
      person_id: idString(persons),
      org_unit_id: idString(units),
      org_role_id: anyUuidValue(roles),
      org_unit_code: codeValue,
      org_unit_name: text,
      org_role_code: codeValue,
      org_role_name: text,
      person_first_name: text,
      person_last_name: text,
      person_email: emailString(SEED_EMAILS),
      project_id: projectId,
      ...activeFilters,
    },
    sorts: [
      'org_person_id',
      'person_id',
      'org_unit_id',
      'org_role_id',
      'person_first_name',
      'person_last_name',
      'org_unit_name',
      'org_role_name',
    ],
  },
};

const pagingNumber: fc.Arbitrary<FuzzJson> = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 5 }), weight: 4 },
  { arbitrary: fc.constantFrom<FuzzJson>(0, -1, 1000, 1001, 1_000_000, 1_000_001, 1.5, '1', '20', null, true, [], {}), weight: 2 },
  { arbitrary: anyJson, weight: 1 },
);

function indexBody(spec: OrgSpec): fc.Arbitrary<FuzzBody | undefined> {
  const filter = fc.oneof(
    { arbitrary: noisyObject(spec.filters, ['id', 'name_like', 'q', 'active', '$or', 'where', 'history', 'org_unit_ids']), weight: 8 },
    { arbitrary: anyJson, weight: 1 },
    { arbitrary: deepJson, weight: 1 },
  );
  const valid = fc
    .record(
      {
        filter: fc
          .record(Object.fromEntries(Object.entries(spec.filters).map(([k]) => [k, spec.filters[k]])), { requiredKeys: [] })
          .map((f) => f as FuzzJson),
        'per-page': fc.integer({ min: 1, max: 3 }),
        page: fc.integer({ min: 1, max: 4 }),
        sort: fc.constantFrom(...spec.sorts).map((s) => s as FuzzJson),
        history: fc.boolean(),
        as_of: instantValue,
      },
      { requiredKeys: [] },
    )
    .map((v) => v as FuzzJson);
  const validOrEmpty = fc.oneof({ arbitrary: valid, weight: 9 }, { arbitrary: fc.constant<FuzzJson>([]), weight: 1 });
  const noisy = noisyObject(
    {
      filter,
      'per-page': pagingNumber,
      page: pagingNumber,
      sort: fc.oneof(sortValue(spec.sorts), anyJson),
      history: boolValue,
      as_of: dateValue,
    },
    ['per_page', 'perPage', 'limit', 'offset', 'expand', 'fields', 'access_token'],
  );
  return jsonBody(validOrEmpty, noisy);
}

/** The id of a 4HSE route, in the path (`/view/{id}`) or the query (`/view?id=`), or missing. */
function idLocation(known: readonly string[]): fc.Arbitrary<{ suffix: string; query: QueryPair[] }> {
  const id = idString(known);
  return fc.oneof(
    {
      arbitrary: fc.tuple(id, segmentEncoding).map(([v, how]) => ({ suffix: `/${segment(v, how)}`, query: [] as QueryPair[] })),
      weight: 8,
    },
    { arbitrary: rawSegment.map((s) => ({ suffix: `/${s}`, query: [] as QueryPair[] })), weight: 1 },
    {
      arbitrary: fc.array(queryPair(fc.constant('id'), id), { minLength: 1, maxLength: 2 }).map((query) => ({ suffix: '', query })),
      weight: 4,
    },
    { arbitrary: fc.constant({ suffix: '', query: [] as QueryPair[] }), weight: 1 },
    {
      arbitrary: fc.tuple(id, id).map(([a, b]) => ({ suffix: `/${segment(a, 'encoded')}`, query: [{ key: 'id', value: b, raw: false }] })),
      weight: 1,
    },
  );
}

const extraQuery = fc.oneof(
  { arbitrary: fc.constant([] as QueryPair[]), weight: 6 },
  { arbitrary: fc.array(queryPair(queryExtraKeys, anyString), { maxLength: 2 }), weight: 1 },
);

/** `as_of` of a 4HSE view (contract section 10.2), once or repeated. */
const asOfQuery = fc.array(queryPair(fc.constant('as_of'), instantParam), { minLength: 1, maxLength: 2 });

export function orgCases(
  resource: OrgResource,
): Record<'index' | 'view' | 'create' | 'update' | 'delete' | 'historicize', fc.Arbitrary<FuzzCase>> {
  const spec = ORG_SPECS[resource];
  const base = `/v2/${resource}`;
  const path = (action: string, loc: { suffix: string; query: QueryPair[] }, more: QueryPair[] = []) =>
    withQuery(`${base}/${action}${loc.suffix}`, queryString([...loc.query, ...more]));
  const createBody = jsonBody(spec.valid, noisyObject(spec.fields, spec.extras));
  // `[]` (PHP's empty array) is a valid "no fields" body on update, historicize and index (contract 4.1).
  const updateBody = jsonBody(
    fc.oneof({ arbitrary: spec.validUpdate, weight: 9 }, { arbitrary: fc.constant<FuzzJson>([]), weight: 1 }),
    noisyObject(without(spec.fields, spec.idField), [...spec.extras, spec.idField]),
  );
  const historicizeBody = jsonBody(
    fc.oneof(
      fc.constant({}),
      fc.constantFrom<FuzzJson>(
        [],
        { date: '2999-01-01T00:00:00Z' },
        { date: '2030-06-01' },
        { date: '2030-06-01 12:30:00' },
        ...EXTREME_TO.map((date) => ({ date })),
      ),
    ),
    noisyObject({ date: dateValue }, ['valid_to', 'force', 'id', 'access_token']),
  );
  const deletePairs = keyedPairs(
    [
      ['force', boolParam],
      ['historicize', boolParam],
    ],
    queryExtraKeys,
    3,
  );
  return fitting({
    index: fc
      .record({ body: indexBody(spec), auth: readerAuth, more: extraQuery, contentType: mostlyJsonContentType })
      .map(({ body, auth, more, contentType }) => ({
        route: 'org.index',
        resource,
        method: 'POST',
        path: withQuery(`${base}/index`, queryString(more)),
        auth,
        body,
        contentType,
      })),
    view: fc
      .record({ loc: idLocation(spec.known), auth: readerAuth, more: fc.oneof(extraQuery, asOfQuery) })
      .map(({ loc, auth, more }) => ({
        route: 'org.view',
        resource,
        method: 'GET',
        path: path('view', loc, more),
        auth,
      })),
    create: fc.record({ body: createBody, auth: writerAuth, contentType: mostlyJsonContentType }).map(({ body, auth, contentType }) => ({
      route: 'org.create',
      resource,
      method: 'POST',
      path: `${base}/create`,
      auth,
      body,
      contentType,
    })),
    update: fc
      .record({ loc: idLocation(spec.known), body: updateBody, auth: writerAuth, more: extraQuery, contentType: mostlyJsonContentType })
      .map(({ loc, body, auth, more, contentType }) => ({
        route: 'org.update',
        resource,
        method: 'PUT',
        path: path('update', loc, more),
        auth,
        body,
        contentType,
      })),
    delete: fc.record({ loc: idLocation(spec.known), pairs: deletePairs, auth: writerAuth }).map(({ loc, pairs, auth }) => ({
      route: 'org.delete',
      resource,
      method: 'DELETE',
      path: path('delete', loc, pairs),
      auth,
    })),
    historicize: fc
      .record({ loc: idLocation(spec.known), body: historicizeBody, auth: writerAuth, more: extraQuery })
      .map(({ loc, body, auth, more }) => ({
        route: 'org.historicize',
        resource,
        method: 'POST',
        path: path('historicize', loc, more),
        auth,
        body,
      })),
  });
}

/* ------------------------------------------------------------------ hierarchy reads */

/** GET /v2/org-unit/ancestors/{id} and POST /v2/org-unit/descendants (contract section 11). */
export function hierarchyCases(): Record<'ancestors' | 'descendants', fc.Arbitrary<FuzzCase>> {
  const base = '/v2/org-unit';
  const flags = keyedPairs(
    [
      ['history', boolParam],
      ['with_counts', boolParam],
      ['as_of', instantParam],
    ],
    queryExtraKeys,
    3,
  );
  const filters = ORG_SPECS['org-unit'].filters;
  const valid = fc
    .record(
      {
        org_unit_id: fc.constantFrom<FuzzJson>(...units),
        depth: fc.integer({ min: 1, max: 4 }),
        filter: fc.record(filters, { requiredKeys: [] }).map((f) => f as FuzzJson),
        history: fc.boolean(),
        with_counts: fc.boolean(),
        as_of: instantValue,
        'per-page': fc.integer({ min: 1, max: 3 }),
        page: fc.integer({ min: 1, max: 4 }),
      },
      { requiredKeys: ['org_unit_id'] },
    )
    .map((v) => v as FuzzJson);
  const noisy = noisyObject(
    {
      org_unit_id: anyUuidValue(units),
      depth: pagingNumber,
      filter: fc.oneof(noisyObject(filters, ['id', 'q', 'depth', 'path']), anyJson),
      history: boolValue,
      with_counts: boolValue,
      as_of: dateValue,
      'per-page': pagingNumber,
      page: pagingNumber,
    },
    ['sort', 'asOf', 'per_page', 'root', 'access_token'],
  );
  return fitting({
    ancestors: fc.record({ loc: idLocation(units), pairs: flags, auth: readerAuth }).map(({ loc, pairs, auth }) => ({
      route: 'org.ancestors',
      resource: 'org-unit',
      method: 'GET',
      path: withQuery(`${base}/ancestors${loc.suffix}`, queryString([...loc.query, ...pairs])),
      auth,
    })),
    descendants: fc
      .record({ body: jsonBody(valid, noisy), auth: readerAuth, more: extraQuery, contentType: mostlyJsonContentType })
      .map(({ body, auth, more, contentType }) => ({
        route: 'org.descendants',
        resource: 'org-unit',
        method: 'POST',
        path: withQuery(`${base}/descendants`, queryString(more)),
        auth,
        body,
        contentType,
      })),
  });
}

/* ------------------------------------------------------------------ tokens */

const ROLE_NAMES = ['Opsera Administrator', 'Administrator', 'Power User', 'Viewer'];

const durationValue: fc.Arbitrary<FuzzJson> = fc.oneof(
  {
    arbitrary: fc.tuple(fc.integer({ min: 0, max: 999_999 }), fc.constantFrom('s', 'm', 'h', 'd', 'w')).map(([n, u]) => `${n}${u}`),
    weight: 4,
  },
  {
    arbitrary: fc.constantFrom<FuzzJson>(
      '30d',
      '1s',
      '0s',
      '999999w',
      '999999d',
      '99999w',
      '9999w',
      '1000000s',
      '30',
      'd',
      '30 d',
      ' 30d ',
      '30D',
      '-1d',
      '1.5h',
      '1y',
      'P30D',
      30,
      null,
    ),
    weight: 3,
  },
  { arbitrary: anyString, weight: 1 },
);

const tokenFields: Record<string, fc.Arbitrary<FuzzJson>> = {
  name: text,
  role: fc.oneof(fc.constantFrom<FuzzJson>(...ROLE_NAMES, 'admin', 'power-user', 'VIEWER', 'Root', ''), anyString),
  scopes: fc.oneof(
    fc.constantFrom<FuzzJson>(
      ['api'],
      [],
      ['api', 'api'],
      ['admin'],
      ['API'],
      'api',
      null,
      Array.from({ length: 11 }, () => 'api'),
    ),
    fc.array(fc.oneof(fc.constant<FuzzJson>('api'), anyJson), { maxLength: 12 }),
  ),
  expiresAt: dateValue,
  expiresIn: durationValue,
};

/** expiresIn or expiresAt (never both: that is a 400), plausible or extreme, or no expiry. */
const validExpiry: fc.Arbitrary<Record<string, FuzzJson>> = fc.oneof(
  fc.constant({}),
  fc.constantFrom('30d', '1h', '52w', '9999w', '99999w', '999999w', '999999d', '999999h').map((expiresIn) => ({ expiresIn })),
  fc.constantFrom('2999-01-01T00:00:00Z', '2100-01-01', ...EXTREME_TO).map((expiresAt) => ({ expiresAt })),
);

const validToken: fc.Arbitrary<FuzzJson> = fc
  .tuple(
    fc.record(
      { name: nonBlank, role: fc.constantFrom(...ROLE_NAMES), scopes: fc.constantFrom<FuzzJson>(['api'], []) },
      { requiredKeys: ['name', 'role'] },
    ),
    validExpiry,
  )
  .map(([token, expiry]) => ({ ...token, ...expiry }));

export function tokenCases(victimIds: readonly string[]): Record<'create' | 'list' | 'get' | 'revoke', fc.Arbitrary<FuzzCase>> {
  const base = '/api/v2/tokens';
  const idSegment = fc.oneof(
    { arbitrary: fc.tuple(idString(victimIds), segmentEncoding).map(([id, how]) => segment(id, how)), weight: 10 },
    { arbitrary: rawSegment, weight: 1 },
  );
  const listQuery = keyedPairs(
    [
      ['page', intParam],
      ['per-page', intParam],
    ],
    queryExtraKeys,
  ).map(queryString);
  return fitting({
    create: fc
      .record({
        body: jsonBody(validToken, noisyObject(tokenFields, ['id', 'token', 'tokenHash', 'token_hash', 'revokedAt', 'createdBy'])),
        auth: managerAuth,
        contentType: mostlyJsonContentType,
      })
      .map(({ body, auth, contentType }) => ({ route: 'tokens.create', method: 'POST', path: base, auth, body, contentType })),
    list: fc
      .record({ query: listQuery, auth: managerAuth })
      .map(({ query, auth }) => ({ route: 'tokens.list', method: 'GET', path: withQuery(base, query), auth })),
    get: fc.record({ id: idSegment, query: extraQuery, auth: managerAuth }).map(({ id, query, auth }) => ({
      route: 'tokens.get',
      method: 'GET',
      path: withQuery(`${base}/${id}`, queryString(query)),
      auth,
    })),
    revoke: fc.record({ id: idSegment, query: extraQuery, auth: managerAuth }).map(({ id, query, auth }) => ({
      route: 'tokens.revoke',
      method: 'DELETE',
      path: withQuery(`${base}/${id}`, queryString(query)),
      auth,
    })),
  });
}

/* ------------------------------------------------------------------ change feed and webhooks */

/** Cursors: well-formed ones of the feed, and everything else. */
const cursorValue: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(fc.bigInt({ min: 0n, max: 2n ** 64n }), fc.bigInt({ min: 0n, max: 2n ** 64n }))
    .map(([p, q]) => Buffer.from(`c1.${p}.${q}`).toString('base64url')),
  fc.constantFrom('', 'YzEuMC4w', 'YzEu', 'c1.1.1', '%00', '../', 'null'),
  anyString,
);

/** Waits kept short (0 or 1 s): the fuzz tier checks answers, not the clock. */
const waitValue = fc.constantFrom('0', '1', '', '31', '-1', '1.5', 'true', ' 0');

/** Webhook targets: refused ones (private, loopback, other schemes) and malformed URLs, never a public host. */
const webhookUrl: fc.Arbitrary<FuzzJson> = fc.oneof(
  fc.constantFrom<FuzzJson>(
    'http://127.0.0.1/hook',
    'http://localhost:3000/',
    'http://[::1]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.1/',
    'http://0x7f000001/',
    'http://[::ffff:127.0.0.1]/',
    'ftp://127.0.0.1/',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'http://',
    'https://user:pass@192.168.0.1/',
  ),
  text,
  anyJson,
);
const webhookFields: Record<string, fc.Arbitrary<FuzzJson>> = {
  url: webhookUrl,
  events: fc.oneof(
    fc.array(fc.constantFrom<FuzzJson>('*', 'person.*', 'org-unit.create', 'person.rename', '', '**', 'token.*'), { maxLength: 25 }),
    anyJson,
  ),
  description: fc.oneof(text, fc.constant(null), anyJson),
};
const validWebhook: fc.Arbitrary<FuzzJson> = fc.record({ url: webhookUrl, events: webhookFields.events }, { requiredKeys: ['url'] });

export function changeCases(): Record<'list', fc.Arbitrary<FuzzCase>> {
  const query = keyedPairs(
    [
      ['after', cursorValue],
      ['limit', intParam],
      ['entity', fc.oneof(fc.constantFrom('person', 'org-unit', 'org-role', 'org-person', 'token', 'Person'), anyString)],
      ['entity_id', fc.oneof(idString(SEED_IDS.person), anyString)],
      ['wait', waitValue],
    ],
    queryExtraKeys,
  ).map(queryString);
  return fitting({
    list: fc
      .record({ query, auth: managerAuth })
      .map(({ query, auth }) => ({ route: 'changes.list', method: 'GET', path: withQuery('/api/v2/changes', query), auth })),
  });
}

export function webhookCases(): Record<'create' | 'list' | 'get' | 'delete' | 'deliveries', fc.Arbitrary<FuzzCase>> {
  const base = '/api/v2/webhooks';
  const idSegment = fc.oneof(
    { arbitrary: fc.tuple(idString([]), segmentEncoding).map(([id, how]) => segment(id, how)), weight: 10 },
    { arbitrary: rawSegment, weight: 1 },
  );
  const byId = (route: 'webhooks.get' | 'webhooks.delete' | 'webhooks.deliveries', method: 'GET' | 'DELETE', suffix: string) =>
    fc.record({ id: idSegment, query: extraQuery, auth: managerAuth }).map(({ id, query, auth }) => ({
      route,
      method,
      path: withQuery(`${base}/${id}${suffix}`, queryString(query)),
      auth,
    }));
  return fitting({
    create: fc
      .record({
        body: jsonBody(validWebhook, noisyObject(webhookFields, ['id', 'secret', 'createdAt', 'created_by'])),
        auth: managerAuth,
        contentType: mostlyJsonContentType,
      })
      .map(({ body, auth, contentType }) => ({ route: 'webhooks.create', method: 'POST', path: base, auth, body, contentType })),
    list: fc
      .record({ query: extraQuery, auth: managerAuth })
      .map(({ query, auth }) => ({ route: 'webhooks.list', method: 'GET', path: withQuery(base, queryString(query)), auth })),
    get: byId('webhooks.get', 'GET', ''),
    delete: byId('webhooks.delete', 'DELETE', ''),
    deliveries: byId('webhooks.deliveries', 'GET', '/deliveries'),
  });
}

/* ------------------------------------------------------------------ headers and credentials */

const RESOURCES: OrgResource[] = ['org-unit', 'org-role', 'org-person'];

/**
 * Any route of both dialects (with the data fuzzers' paths and bodies), under every kind of
 * Authorization, X-Request-Id, Content-Type and Accept header.
 */
export function headerCases(victimIds: readonly string[]): fc.Arbitrary<FuzzCase> {
  // The reporting-line reads are in too: they shift this seeded stream onto an empty id under a text
  // Content-Type (`PUT /v2/org-unit/update/`), which must be the 404 of an unknown route, not a 415.
  const routes = fc.oneof(
    ...Object.values(peopleCases()),
    ...RESOURCES.flatMap((r) => Object.values(orgCases(r))),
    ...Object.values(tokenCases(victimIds)),
  );
  return fc
    .record({
      c: routes,
      auth: anyAuth,
      requestId: requestIdHeader,
      contentType: contentTypeHeader,
      accept: acceptHeader,
      bodiless: fc.boolean(),
    })
    .map(({ c, auth, requestId, contentType, accept, bodiless }) => ({
      ...c,
      auth,
      requestId,
      accept,
      // A Content-Type without a body is sent now and then too.
      contentType: c.body || bodiless ? contentType : undefined,
    }));
}

/** Placeholder the harness replaces with a real token of that role (see Fuzzer.send). */
export const tokenPlaceholder = (role: RoleKey) => `{{token:${role}}}`;

/**
 * Real tokens where passport-http-bearer would look by default (`access_token` in the query or the
 * body) and where only the off-by-default compatibility switch looks (`access-token`, bare header).
 * None of them may authenticate a request, nor lift a Viewer's request to the smuggled token's role.
 */
export function smuggledCredentialCases(): fc.Arbitrary<FuzzCase> {
  const routes = fc.constantFrom<[FuzzCase['route'], FuzzCase['method'], string, OrgResource | undefined]>(
    ['people.list', 'GET', '/api/v2/data/people', undefined],
    ['people.create', 'POST', '/api/v2/data/people', undefined],
    ['org.index', 'POST', '/v2/org-unit/index', 'org-unit'],
    ['org.create', 'POST', '/v2/org-role/create', 'org-role'],
    ['org.view', 'GET', `/v2/org-person/view/${SEED.assignment.oneInChild}`, 'org-person'],
    ['org.delete', 'DELETE', `/v2/org-unit/delete/${SEED.unit.leaf}`, 'org-unit'],
    ['tokens.list', 'GET', '/api/v2/tokens', undefined],
    ['tokens.create', 'POST', '/api/v2/tokens', undefined],
  );
  const place = fc.constantFrom('query access_token', 'query access-token', 'body access_token', 'body access-token', 'query and body');
  return fc
    .record({
      route: routes,
      role: fc.constantFrom(...ROLES),
      place,
      // No credential, a refused one, or a Viewer's: a smuggled token must neither authenticate nor escalate.
      auth: fc.oneof(fc.constant<AuthVariant>({ kind: 'none' }), invalidAuth, validAuth('viewer')),
      valid: fc.constantFrom<FuzzJson>(
        { email: 'smuggled@example.com', firstName: 'S', lastName: 'M' },
        { name: 'Smuggled' },
        { name: 'smuggled', role: 'Viewer' },
        {},
      ),
    })
    .map(({ route: [route, method, path, resource], role, place, auth, valid }) => {
      const secret = tokenPlaceholder(role);
      const key = place.includes('access-token') ? 'access-token' : 'access_token';
      const inQuery = place.startsWith('query');
      const inBody = place.startsWith('body') || place === 'query and body';
      const body: FuzzJson | undefined = inBody
        ? { ...(valid as Record<string, FuzzJson>), [key]: secret }
        : method === 'POST'
          ? valid
          : undefined;
      return {
        route,
        resource,
        method,
        path: inQuery ? `${path}?${key}=${secret}` : path,
        auth,
        body: body === undefined ? undefined : { kind: 'json', value: body },
      };
    });
}

/**
 * Request lines and header blocks past Node's 16 KiB limit, and path parameters past Fastify's
 * maxParamLength (1000): each must still be a problem-details answer (contract section 6).
 */
export function oversizedCases(): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      where: fc.constantFrom('path', 'query', 'authorization', 'request-id', 'param'),
      size: fc.integer({ min: 16_500, max: 40_000 }),
      paramSize: fc.integer({ min: 1_001, max: 8_000 }),
      role: fc.constantFrom(...ROLES),
    })
    .map(({ where, size, paramSize, role }): FuzzCase => {
      const auth: AuthVariant = { kind: 'token', role, form: 'Bearer ' };
      switch (where) {
        case 'path':
          return { route: 'org.view', resource: 'org-unit', method: 'GET', path: `/v2/org-unit/view/${'a'.repeat(size)}`, auth };
        case 'query':
          return { route: 'people.list', method: 'GET', path: `/api/v2/data/people?q=${'q'.repeat(size)}`, auth };
        case 'authorization':
          return {
            route: 'people.list',
            method: 'GET',
            path: '/api/v2/data/people',
            auth: { kind: 'raw', value: `Bearer ${'t'.repeat(size)}` },
          };
        case 'request-id':
          return { route: 'people.list', method: 'GET', path: '/api/v2/data/people', auth, requestId: 'r'.repeat(size) };
        case 'param':
          return { route: 'org.view', resource: 'org-role', method: 'GET', path: `/v2/org-role/view/${'0'.repeat(paramSize)}`, auth };
      }
    });
}

/* ------------------------------------------------------------------ conditional requests and idempotency (contract 10.4) */

/** If-Match / If-None-Match values: `*`, stale and well-formed tags, weak ones, lists, and malformed ones. */
export const entityTagHeader: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constant('*'), weight: 3 },
  { arbitrary: fc.stringMatching(/^"[A-Za-z0-9_-]{22}"$/), weight: 3 },
  { arbitrary: fc.stringMatching(/^W\/"[A-Za-z0-9_-]{0,30}"$/), weight: 2 },
  {
    arbitrary: fc.array(fc.stringMatching(/^(W\/)?"[!#-~]{0,12}"$/), { minLength: 1, maxLength: 5 }).map((tags) => tags.join(', ')),
    weight: 2,
  },
  { arbitrary: fc.integer({ min: 90, max: 140 }).map((n) => Array.from({ length: n }, () => '"a"').join(',')), weight: 1 },
  {
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'abc',
      '"',
      '"a',
      'a"',
      '"a" "b"',
      'w/"a"',
      'W/ "a"',
      '*, "a"',
      '**',
      ',',
      '"a",,',
      'W/',
      '"\u00e9"',
    ),
    weight: 3,
  },
  { arbitrary: anyString.map(headerSafe), weight: 2 },
);

/** Idempotency-Key values: a few reused ones (so repeats replay or conflict), fresh ones, and invalid ones. */
export const idempotencyKeyHeader: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom('fuzz-key-1', 'fuzz-key-2', 'fuzz key 3'), weight: 4 },
  { arbitrary: fc.stringMatching(/^[!-~][ -~]{0,40}[!-~]$/), weight: 3 },
  { arbitrary: fc.integer({ min: 254, max: 300 }).map((n) => 'k'.repeat(n)), weight: 1 },
  { arbitrary: fc.constantFrom('', ' ', 'clé', '\u00ff', 'a\tb'), weight: 2 },
  { arbitrary: anyString.map(headerSafe), weight: 2 },
);

/**
 * Every single-entity route of both dialects with random If-Match, If-None-Match and Idempotency-Key
 * headers (on routes that ignore them too).
 */
export function conditionalHeaderCases(): fc.Arbitrary<FuzzCase> {
  const people = peopleCases();
  const routes = fc.oneof(
    people.create,
    people.get,
    people.update,
    people.delete,
    ...RESOURCES.flatMap((r) => {
      const org = orgCases(r);
      return [org.view, org.create, org.update, org.delete, org.historicize];
    }),
  );
  const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });
  return fc
    .record({ c: routes, ifMatch: maybe(entityTagHeader), ifNoneMatch: maybe(entityTagHeader), key: maybe(idempotencyKeyHeader) })
    .map(({ c, ifMatch, ifNoneMatch, key }) => {
      const headers: Record<string, string> = {};
      if (ifMatch !== undefined) headers['If-Match'] = ifMatch;
      if (ifNoneMatch !== undefined) headers['If-None-Match'] = ifNoneMatch;
      if (key !== undefined) headers['Idempotency-Key'] = key;
      return { ...c, headers };
    });
}
