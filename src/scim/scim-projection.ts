import { URN } from './scim-schemas.js';

/**
 * `attributes` / `excludedAttributes` (RFC 7644 section 3.9, contract section 13.4): names are full
 * (`name.givenName`), URN-qualified (`urn:…:enterprise:2.0:User:department`) or a whole extension
 * (its URN), compared without case. `schemas` and `id` are always answered.
 */
export interface Projection {
  attributes?: string[] | undefined;
  excludedAttributes?: string[] | undefined;
}

const EXTENSIONS = [URN.enterpriseUser, URN.organigramUser, URN.organigramGroup];
const CORE = [URN.user, URN.group].map((u) => u.toLowerCase());
const ALWAYS = new Set(['schemas', 'id']);

/** A comma-separated parameter as a list (absent or blank: undefined). */
export function projectionList(value: unknown): string[] | undefined {
  if (typeof value !== 'string') return undefined;
  const names = value
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  return names.length > 0 ? names : undefined;
}

/** The projection of a request's `attributes` / `excludedAttributes` parameters. */
export function projectionOf(query: { attributes?: string; excludedAttributes?: string }): {
  attributes: string[] | undefined;
  excludedAttributes: string[] | undefined;
} {
  return { attributes: projectionList(query.attributes), excludedAttributes: projectionList(query.excludedAttributes) };
}

/** [container (an extension URN, or '' for the core), path within it]. */
function locate(name: string): [string, string[]] {
  const lower = name.toLowerCase();
  for (const urn of EXTENSIONS) {
    if (lower === urn.toLowerCase()) return [urn, []];
    if (lower.startsWith(`${urn.toLowerCase()}:`)) return [urn, lower.slice(urn.length + 1).split('.')];
  }
  for (const urn of CORE) if (lower.startsWith(`${urn}:`)) return ['', lower.slice(urn.length + 1).split('.')];
  return ['', lower.split('.')];
}

const keyOf = (object: Record<string, unknown>, lower: string) => Object.keys(object).find((k) => k.toLowerCase() === lower);

type Json = Record<string, unknown>;

/** Copies `path` from `source` into `target` (arrays of objects: the sub-attribute of each element). */
function copy(source: Json, target: Json, path: string[]): void {
  const key = keyOf(source, path[0]);
  if (key === undefined) return;
  const value = source[key];
  if (path.length === 1) {
    target[key] = value;
  } else if (Array.isArray(value)) {
    const existing = Array.isArray(target[key]) ? (target[key] as Json[]) : value.map(() => ({}));
    value.forEach((item, i) => {
      if (item && typeof item === 'object') copy(item as Json, existing[i], path.slice(1));
    });
    target[key] = existing;
  } else if (value && typeof value === 'object') {
    const into = (target[key] && typeof target[key] === 'object' ? target[key] : {}) as Json;
    copy(value as Json, into, path.slice(1));
    if (Object.keys(into).length > 0) target[key] = into;
  }
}

/** Removes `path` from `object` in place. */
function remove(object: Json, path: string[]): void {
  const key = keyOf(object, path[0]);
  if (key === undefined) return;
  if (path.length === 1) {
    delete object[key];
    return;
  }
  const value = object[key];
  for (const item of Array.isArray(value) ? value : [value]) if (item && typeof item === 'object') remove(item as Json, path.slice(1));
}

export function project<T extends Json>(resource: T, projection: Projection): T {
  if (projection.attributes) {
    const out: Json = { schemas: resource.schemas, id: resource.id };
    for (const name of projection.attributes) {
      const [container, path] = locate(name);
      if (container === '') {
        if (path.length > 0 && !ALWAYS.has(path[0])) copy(resource, out, path);
      } else if (resource[container] !== undefined) {
        if (path.length === 0) out[container] = resource[container];
        else copy({ [container]: resource[container] }, out, [container.toLowerCase(), ...path]);
      }
    }
    return out as T;
  }
  if (projection.excludedAttributes) {
    const out = structuredClone(resource) as Json;
    for (const name of projection.excludedAttributes) {
      const [container, path] = locate(name);
      if (container === '') {
        if (path.length > 0 && !ALWAYS.has(path[0])) remove(out, path);
      } else if (path.length === 0) {
        delete out[container];
      } else if (out[container] && typeof out[container] === 'object') {
        remove(out[container] as Json, path);
        if (Object.keys(out[container]).length === 0) delete out[container];
      }
    }
    return out as T;
  }
  return resource;
}
