import type { Filter } from 'scim2-parse-filter';
import { ScimError } from '../common/errors/scim-error.js';
import { normalizeUuid } from '../common/validation/validation.js';
import { parseFilter } from './scim-filter.sql.js';
import { URN } from './scim-schemas.js';
import { patchOperations } from './scim-user-input.js';

/**
 * SCIM Group input (contract sections 13.3 and 13.5) to the 4HSE org-unit fields and membership
 * operations: which attribute writes which unit field, the PUT rules and the PatchOp forms of Entra
 * and Okta. The service applies the result through the org-unit and org-person rules.
 */
export type GroupField = 'name' | 'external_id' | 'code' | 'description' | 'parent_org_unit_id';

/** A membership operation: add these persons, remove these (no ids: everyone), or set exactly these. */
export interface MemberOperation {
  op: 'add' | 'remove' | 'set';
  ids?: string[];
}

/** What a Group write asks: unit fields (null clears) and the membership operations, in order. */
export interface GroupWrite {
  fields: Partial<Record<GroupField, string | null>>;
  members: MemberOperation[];
}

const CORE = URN.group.toLowerCase();
const ORGANIGRAM = URN.organigramGroup.toLowerCase();

/** SCIM names of the unit fields, for the messages of refused writes. */
export const GROUP_SCIM_NAMES: Record<string, string> = {
  name: 'displayName',
  external_id: 'externalId',
  code: `${URN.organigramGroup}:code`,
  description: `${URN.organigramGroup}:description`,
  parent_org_unit_id: `${URN.organigramGroup}:parentId`,
  person_id: 'members',
};

/** Canonical lower-case attribute keys (extension ones URN-qualified) -> the unit field they write. */
const FIELDS: Record<string, GroupField> = {
  displayname: 'name',
  externalid: 'external_id',
  [`${ORGANIGRAM}:code`]: 'code',
  [`${ORGANIGRAM}:description`]: 'description',
  [`${ORGANIGRAM}:parentid`]: 'parent_org_unit_id',
};
const EXTENSION_FIELDS: GroupField[] = ['code', 'description', 'parent_org_unit_id'];
/** Read-only, accepted and ignored. */
const IGNORED = new Set(['schemas', 'meta']);

const invalidSyntax = (detail: string) => new ScimError(400, 'invalidSyntax', detail);
const invalidValue = (detail: string) => new ScimError(400, 'invalidValue', detail);
const invalidPath = (detail: string) => new ScimError(400, 'invalidPath', detail);
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function keyOf(path: string): string {
  const lower = path.toLowerCase();
  return lower.startsWith(`${CORE}:`) ? lower.slice(CORE.length + 1) : lower;
}

/** A member's person id: `{value: id}` (display, $ref, type ignored) or, leniently, the bare id. */
function memberId(member: unknown, path: string): string {
  const value = isObject(member) ? Object.entries(member).find(([k]) => k.toLowerCase() === 'value')?.[1] : member;
  const id = typeof value === 'string' ? normalizeUuid(value) : undefined;
  if (!id) throw invalidValue(`${path}: each member needs a value that is a User id`);
  return id;
}

/** A members value: a list of members, or one member. */
function memberIds(value: unknown, path: string): string[] {
  if (value === null || value === undefined) return [];
  return [...new Set((Array.isArray(value) ? value : [value]).map((m) => memberId(m, path)))];
}

/** The Group's own id in a body or a path-less value: the same id is ignored (Okta), another is 400 mutability. */
function assertOwnId(value: unknown, groupId: string | undefined): void {
  if (groupId !== undefined && (typeof value !== 'string' || normalizeUuid(value) !== groupId)) {
    throw new ScimError(400, 'mutability', 'id: is read-only');
  }
}

/** Writes `value` to the attribute `key` (canonical) as `op`; `path` names it in errors. */
function assign(write: GroupWrite, key: string, value: unknown, op: 'add' | 'replace', path: string, groupId?: string): void {
  if (key === 'id') return assertOwnId(value, groupId);
  if (IGNORED.has(key)) return;
  if (key === 'members') {
    write.members.push({ op: op === 'add' ? 'add' : 'set', ids: memberIds(value, path) });
    return;
  }
  if (key === ORGANIGRAM) {
    if (value === null) {
      for (const f of EXTENSION_FIELDS) write.fields[f] = null;
      return;
    }
    if (!isObject(value)) throw invalidValue(`${path}: must be an object`);
    for (const [sub, v] of Object.entries(value)) assign(write, `${key}:${sub.toLowerCase()}`, v, op, `${path}.${sub}`, groupId);
    return;
  }
  // Objects and attributes of extensions the service does not know: accepted and ignored.
  if (key.startsWith('urn:') && !key.startsWith(`${ORGANIGRAM}:`)) return;
  const field = FIELDS[key];
  if (!field) throw invalidPath(`${path}: no schema of the service declares this attribute`);
  if (value === null || value === '') {
    if (field === 'name') throw invalidValue(`${path}: is required`);
    write.fields[field] = null;
    return;
  }
  if (typeof value !== 'string') throw invalidValue(`${path}: must be a string`);
  if (field === 'parent_org_unit_id') {
    const parent = normalizeUuid(value);
    if (!parent) throw invalidValue(`${path}: must be a Group id`);
    write.fields[field] = parent;
    return;
  }
  write.fields[field] = value;
}

function bodyObject(body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw invalidSyntax('the body must be a JSON object');
  return body;
}

/** A top-level member name of a Group body, checked: a core attribute, or an extension URN. */
function topLevelKey(name: string): string {
  const key = keyOf(name);
  if (key.startsWith('urn:') || key === 'id' || key === 'members' || IGNORED.has(key) || FIELDS[key]) return key;
  throw invalidSyntax(`${name}: is not a Group attribute`);
}

/**
 * POST and PUT bodies. PUT (`replace`) also clears what a replace clears: externalId when absent, the
 * omitted attributes of the organigram extension when it is present; `members` present is the exact
 * membership, absent leaves it. displayName is required.
 */
export function groupFromBody(body: unknown, replace: boolean, groupId?: string): GroupWrite {
  const write: GroupWrite = { fields: {}, members: [] };
  for (const [name, value] of Object.entries(bodyObject(body))) {
    const key = topLevelKey(name);
    if (replace && key === ORGANIGRAM && isObject(value)) for (const f of EXTENSION_FIELDS) write.fields[f] = null;
    assign(write, key, value, 'replace', name, groupId);
  }
  if (typeof write.fields.name !== 'string') throw invalidValue('displayName: is required');
  if (replace && write.fields.external_id === undefined) write.fields.external_id = null;
  return write;
}

/** The person ids of a `members[value eq "…" or value eq "…"]` filter, else 400 invalidPath. */
function filteredMembers(path: string, filterText: string): string[] {
  let filter: Filter;
  try {
    filter = parseFilter(filterText);
  } catch {
    throw invalidPath(`${path}: malformed value filter`);
  }
  const ids: string[] = [];
  const walk = (f: Filter): void => {
    if (f.op === 'or') return f.filters.forEach(walk);
    if (f.op === 'eq' && f.attrPath.toLowerCase() === 'value' && typeof f.compValue === 'string') {
      // A value that is no id names no member: removing it is nothing.
      const id = normalizeUuid(f.compValue);
      if (id) ids.push(id);
      return;
    }
    throw invalidPath(`${path}: only value eq "…" (joined by or) selects members`);
  };
  walk(filter);
  return ids;
}

/**
 * PATCH operations applied in order (contract section 13.5): unit fields (the last write of a field
 * wins) and membership operations (the service applies them in order to the current members).
 */
export function groupFromPatch(body: unknown, groupId: string): GroupWrite {
  const write: GroupWrite = { fields: {}, members: [] };
  for (const operation of patchOperations(body)) {
    const { op, path, value } = operation;
    if (path === undefined) {
      if (op === 'remove') throw invalidPath('remove: needs a path');
      if (!isObject(value)) throw invalidValue(`${op}: without a path, value must be an object`);
      for (const [name, v] of Object.entries(value)) {
        const key = keyOf(name);
        assign(write, key.startsWith('urn:') ? key : topLevelKey(name), v, op, name, groupId);
      }
      continue;
    }
    const bracket = /^([^[\]]+)\[(.*)\](\.[A-Za-z$][\w$-]*)?$/s.exec(path);
    if (bracket) {
      if (keyOf(bracket[1].trim()) !== 'members') throw invalidPath(`${path}: value filters are only supported on members`);
      if (bracket[3]) throw invalidPath(`${path}: a member's sub-attributes are not written one by one`);
      if (op !== 'remove') throw invalidPath(`${path}: add or replace members with a members path and a value list`);
      write.members.push({ op: 'remove', ids: filteredMembers(path, bracket[2]) });
      continue;
    }
    if (!/^(urn:[\w.:-]+:)?[A-Za-z$][\w$-]*$/.test(path)) throw invalidPath(`${path}: malformed path`);
    const key = keyOf(path);
    if (key === 'members' && op === 'remove') {
      // Entra without its compliance flag sends the members to remove as the value; without one: all.
      const given = value === undefined || value === null ? undefined : memberIds(value, path);
      write.members.push({ op: 'remove', ids: given });
      continue;
    }
    if (op === 'remove') {
      assign(write, key, null, 'replace', path, groupId);
      continue;
    }
    assign(write, key, value, op, path, groupId);
  }
  return write;
}

/** The membership after the operations, applied in order to the current members. */
export function membersAfter(current: readonly string[], operations: readonly MemberOperation[]): Set<string> {
  const members = new Set(current);
  for (const { op, ids } of operations) {
    if (op === 'set') members.clear();
    if (op === 'remove' && ids === undefined) members.clear();
    for (const id of ids ?? []) {
      if (op === 'remove') members.delete(id);
      else members.add(id);
    }
  }
  return members;
}
