import { ScimError } from '../common/errors/scim-error.js';
import { URN } from './scim-schemas.js';

/**
 * SCIM User input (contract sections 13.2 and 13.5) to the People dialect's fields: which attribute
 * writes which person field, what is read-only or accepted and not stored, and the PUT and PATCH
 * rules. The result feeds PeopleService, which applies the People rules (validation, uniqueness).
 */
export type PersonField =
  'email' | 'firstName' | 'lastName' | 'displayName' | 'externalId' | 'organization' | 'business' | 'department' | 'group' | 'team';

type Target = { kind: 'field'; field: PersonField; required: boolean } | { kind: 'active' } | { kind: 'ignored' } | { kind: 'manager' };

/** What a write asks: person fields (null clears), the activation, and the manager (an id or a userName; null clears). */
export interface UserWrite {
  fields: Partial<Record<PersonField, string | null>>;
  active?: boolean;
  manager?: string | null;
}

const ENTERPRISE = URN.enterpriseUser.toLowerCase();
const ORGANIGRAM = URN.organigramUser.toLowerCase();
const CORE = URN.user.toLowerCase();

const field = (f: PersonField, required = false): Target => ({ kind: 'field', field: f, required });
const IGNORED: Target = { kind: 'ignored' };

/** Canonical lower-case paths (extensions URN-qualified) -> target. */
const TARGETS: Record<string, Target> = {
  username: field('email', true),
  'name.givenname': field('firstName', true),
  'name.familyname': field('lastName', true),
  displayname: field('displayName'),
  externalid: field('externalId'),
  active: { kind: 'active' },
  [`${ENTERPRISE}:organization`]: field('organization'),
  [`${ENTERPRISE}:division`]: field('business'),
  [`${ENTERPRISE}:department`]: field('department'),
  [`${ENTERPRISE}:manager`]: { kind: 'manager' },
  [`${ENTERPRISE}:manager.value`]: { kind: 'manager' },
  // Answered from the manager's id: a client's value is accepted and ignored (Okta echoes it back).
  [`${ENTERPRISE}:manager.$ref`]: IGNORED,
  [`${ENTERPRISE}:manager.displayname`]: IGNORED,
  [`${ORGANIGRAM}:group`]: field('group'),
  [`${ORGANIGRAM}:team`]: field('team'),
};
// Read-only, or accepted and not stored (contract section 13.2): writes succeed and change nothing.
for (const path of [
  'id',
  'schemas',
  'meta',
  'emails',
  'emails.value',
  'emails.type',
  'emails.primary',
  'groups',
  'password',
  'name.formatted',
  'name.middlename',
  'name.honorificprefix',
  'name.honorificsuffix',
  'nickname',
  'title',
  'usertype',
  'locale',
  'preferredlanguage',
  'timezone',
  'profileurl',
  'phonenumbers',
  'addresses',
  'ims',
  'photos',
  'entitlements',
  'roles',
  'x509certificates',
  `${ENTERPRISE}:employeenumber`,
  `${ENTERPRISE}:costcenter`,
]) {
  TARGETS[path] = IGNORED;
}

/** The extension attributes, for PUT's "an extension present replaces it". */
const EXTENSION_FIELDS: Record<string, PersonField[]> = {
  [ENTERPRISE]: ['organization', 'business', 'department'],
  [ORGANIGRAM]: ['group', 'team'],
};

const invalidSyntax = (detail: string) => new ScimError(400, 'invalidSyntax', detail);
const invalidValue = (detail: string) => new ScimError(400, 'invalidValue', detail);
const invalidPath = (detail: string) => new ScimError(400, 'invalidPath', detail);

/** The canonical key of an attribute path: lower case, the core URN dropped, extensions qualified. */
function keyOf(path: string): string {
  const lower = path.toLowerCase();
  if (lower.startsWith(`${CORE}:`)) return lower.slice(CORE.length + 1);
  return lower;
}

/** `active` as sent: JSON booleans, or "true"/"false" in any case (Entra sends "False"). */
function activeOf(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw invalidValue('active: must be true or false');
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The manager as sent (contract section 13.2): `{"value": id}` (Okta; `$ref` and `displayName` beside it
 * are ignored), a bare string (Entra), an id or a userName; `""`, null or `{"value": ""}` clear it.
 */
function managerOf(value: unknown, path: string): string | null {
  let given = value;
  if (isObject(value)) {
    const unknown = Object.keys(value).find((k) => !['value', '$ref', 'displayname'].includes(k.toLowerCase()));
    if (unknown !== undefined) throw invalidValue(`${path}.${unknown.slice(0, 100)}: is not an attribute of manager`);
    given = Object.entries(value).find(([k]) => k.toLowerCase() === 'value')?.[1] ?? null;
  }
  if (given === null) return null;
  if (typeof given !== 'string') throw invalidValue(`${path}: must be a person id or userName, or an object with one as value`);
  return given.trim() === '' ? null : given.trim();
}

/** Writes `value` to the attribute at `key` (canonical) into `write`; `path` names it in errors. */
function assign(write: UserWrite, key: string, value: unknown, path: string): void {
  // A complex value: its members, one by one (name, an extension object).
  if (key === 'name' || key === ENTERPRISE || key === ORGANIGRAM) {
    if (value === null) {
      if (key === 'name') throw invalidValue('name: is required');
      for (const f of EXTENSION_FIELDS[key]) write.fields[f] = null;
      if (key === ENTERPRISE) write.manager = null;
      return;
    }
    if (!isObject(value)) throw invalidValue(`${path}: must be an object`);
    const sep = key === 'name' ? '.' : ':';
    for (const [sub, v] of Object.entries(value)) assign(write, `${key}${sep}${sub.toLowerCase()}`, v, `${path}.${sub}`);
    return;
  }
  // Objects and attributes of extensions the service does not know: accepted and ignored.
  if (key.startsWith('urn:') && ![ENTERPRISE, ORGANIGRAM].some((urn) => key.startsWith(`${urn}:`))) return;
  const target = TARGETS[key];
  if (!target) throw invalidPath(`${path}: no schema of the service declares this attribute`);
  switch (target.kind) {
    case 'ignored':
      return;
    case 'manager':
      write.manager = managerOf(value, path);
      return;
    case 'active':
      write.active = activeOf(value);
      return;
    case 'field':
      if (value === null || value === '') {
        if (target.required) throw invalidValue(`${path}: is required`);
        write.fields[target.field] = null;
        return;
      }
      if (typeof value !== 'string') throw invalidValue(`${path}: must be a string`);
      write.fields[target.field] = value;
  }
}

/** A top-level member name of a User body, checked: a core attribute, or an extension URN. */
function topLevelKey(name: string): string {
  const key = keyOf(name);
  if (key.startsWith('urn:')) return key;
  const known = key === 'name' || Object.keys(TARGETS).some((k) => k === key || k.startsWith(`${key}.`));
  if (!known) throw invalidSyntax(`${name}: is not a User attribute`);
  return key;
}

function bodyObject(body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw invalidSyntax('the body must be a JSON object');
  return body;
}

/**
 * POST and PUT bodies: every attribute given. PUT (`replace`) also clears what a replace clears:
 * displayName and externalId when absent, the omitted attributes of an extension that is present.
 * Required attributes must be present.
 */
export function userFromBody(body: unknown, replace: boolean): UserWrite {
  const write: UserWrite = { fields: {} };
  const given = bodyObject(body);
  const keys = new Set<string>();
  for (const [name, value] of Object.entries(given)) {
    const key = topLevelKey(name);
    keys.add(key);
    if (replace && (key === ENTERPRISE || key === ORGANIGRAM) && isObject(value)) {
      for (const f of EXTENSION_FIELDS[key]) write.fields[f] = null;
      // The manager is an attribute of the enterprise extension: omitted from a present extension, it is cleared.
      if (key === ENTERPRISE) write.manager = null;
    }
    assign(write, key, value, name);
  }
  for (const [required, f] of [
    ['userName', 'email'],
    ['name.givenName', 'firstName'],
    ['name.familyName', 'lastName'],
  ] as const) {
    if (write.fields[f] === undefined || write.fields[f] === null) throw invalidValue(`${required}: is required`);
  }
  if (replace) {
    for (const f of ['displayName', 'externalId'] as const) if (write.fields[f] === undefined) write.fields[f] = null;
  }
  return write;
}

interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path?: string;
  value?: unknown;
}

/** The checked operations of a PatchOp body (400 invalidSyntax otherwise). */
export function patchOperations(body: unknown): PatchOperation[] {
  const given = bodyObject(body);
  const schemas = Object.entries(given).find(([k]) => k.toLowerCase() === 'schemas')?.[1];
  if (!Array.isArray(schemas) || !schemas.includes(URN.patchOp)) throw invalidSyntax(`schemas: must name ${URN.patchOp}`);
  const operations = Object.entries(given).find(([k]) => k.toLowerCase() === 'operations')?.[1];
  if (!Array.isArray(operations) || operations.length === 0) throw invalidSyntax('Operations: must be a non-empty list');
  return operations.map((raw, i) => {
    if (!isObject(raw)) throw invalidSyntax(`Operations[${i}]: must be an object`);
    const member = (name: string) => Object.entries(raw).find(([k]) => k.toLowerCase() === name)?.[1];
    const op = member('op');
    const lowered = typeof op === 'string' ? op.toLowerCase() : undefined;
    if (lowered !== 'add' && lowered !== 'replace' && lowered !== 'remove') {
      throw invalidSyntax(`Operations[${i}].op: must be add, remove or replace`);
    }
    const path = member('path');
    if (path !== undefined && (typeof path !== 'string' || path.trim() === ''))
      throw invalidPath(`Operations[${i}].path: must be a string`);
    return { op: lowered, path: path?.trim(), value: member('value') };
  });
}

/** A PATCH path: a plain attribute path, or `emails[...]...` (read-only, accepted and ignored). */
function patchKey(path: string): string {
  const bracket = path.indexOf('[');
  if (bracket !== -1) {
    const attr = keyOf(path.slice(0, bracket));
    if (!/\]\s*(\.[A-Za-z$][\w$-]*)?$/.test(path)) throw invalidPath(`${path}: malformed path`);
    if (attr === 'emails') return 'emails';
    throw invalidPath(`${path}: value filters are only supported on emails`);
  }
  if (!/^(urn:[\w.:-]+:)?[A-Za-z$][\w$-]*(\.[A-Za-z$][\w$-]*)?$/.test(path)) throw invalidPath(`${path}: malformed path`);
  return keyOf(path);
}

/** PATCH operations applied in order to an empty write: what they set (the service writes it at once). */
export function userFromPatch(body: unknown): UserWrite {
  const write: UserWrite = { fields: {} };
  for (const operation of patchOperations(body)) {
    if (operation.path === undefined) {
      if (operation.op === 'remove') throw invalidPath('remove: needs a path');
      if (!isObject(operation.value)) throw invalidValue(`${operation.op}: without a path, value must be an object`);
      for (const [name, value] of Object.entries(operation.value)) {
        const key = keyOf(name);
        // "urn:…:enterprise:2.0:User:department" and dotted "name.givenName" keys, or whole objects.
        assign(write, key.startsWith('urn:') || key.includes('.') ? key : topLevelKey(name), value, name);
      }
      continue;
    }
    const key = patchKey(operation.path);
    assign(write, key, operation.op === 'remove' ? null : operation.value, operation.path);
  }
  return write;
}
