import { EntityNotFoundError } from '../common/errors/domain-errors.js';
import { MAX_RESULTS, RESOURCE_TYPES, SCHEMAS, SERVICE_PROVIDER_CONFIG, URN, type ScimAttribute } from './scim-schemas.js';

/** The discovery answers (contract section 13.8), each with its `meta` at the request's base URL. */

export function serviceProviderConfig(base: string) {
  return { ...SERVICE_PROVIDER_CONFIG, meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` } };
}

function resourceType(base: string, type: (typeof RESOURCE_TYPES)[number]) {
  return {
    schemas: [URN.resourceType],
    ...type,
    meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/${type.id}` },
  };
}

function schema(base: string, s: (typeof SCHEMAS)[number]) {
  return {
    schemas: [URN.schema],
    id: s.id,
    name: s.name,
    description: s.description,
    attributes: s.attributes satisfies ScimAttribute[],
    meta: { resourceType: 'Schema', location: `${base}/Schemas/${s.id}` },
  };
}

function listOf<T>(resources: T[]) {
  return {
    schemas: [URN.listResponse],
    totalResults: resources.length,
    itemsPerPage: resources.length,
    startIndex: 1,
    Resources: resources,
  };
}

export const resourceTypes = (base: string) => listOf(RESOURCE_TYPES.map((t) => resourceType(base, t)));

export function resourceTypeNamed(base: string, name: string) {
  const found = RESOURCE_TYPES.find((t) => t.id === name);
  if (!found) throw new EntityNotFoundError(`No resource type ${name}; there are User and Group.`);
  return resourceType(base, found);
}

export const schemas = (base: string) => listOf(SCHEMAS.map((s) => schema(base, s)));

export function schemaNamed(base: string, urn: string) {
  const found = SCHEMAS.find((s) => s.id === urn);
  if (!found) throw new EntityNotFoundError(`No schema ${urn}.`);
  return schema(base, found);
}

export { MAX_RESULTS };
