/**
 * What the SCIM discovery endpoints answer (contract section 13.8, RFC 7643 section 7): the five
 * schemas with exactly the attributes the service stores, the two resource types and the service
 * provider configuration. The same attribute table drives the `attributes` / `excludedAttributes`
 * projections of the resources.
 */
export const URN = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  enterpriseUser: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  organigramUser: 'urn:ietf:params:scim:schemas:extension:organigram:2.0:User',
  organigramGroup: 'urn:ietf:params:scim:schemas:extension:organigram:2.0:Group',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  serviceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const;

export interface ScimAttribute {
  name: string;
  type: 'string' | 'boolean' | 'complex' | 'reference' | 'dateTime';
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned: 'always' | 'never' | 'default' | 'request';
  uniqueness: 'none' | 'server' | 'global';
  subAttributes?: ScimAttribute[];
  referenceTypes?: string[];
}

type Options = Partial<Omit<ScimAttribute, 'name' | 'description'>>;

function attr(name: string, description: string, options: Options = {}): ScimAttribute {
  return {
    name,
    type: 'string',
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...options,
  };
}

export interface ScimSchema {
  id: string;
  name: string;
  description: string;
  attributes: ScimAttribute[];
}

export const SCHEMAS: readonly ScimSchema[] = [
  {
    id: URN.user,
    name: 'User',
    description: 'A person of the directory.',
    attributes: [
      attr('userName', "The person's email address; unique case-insensitively, answered in the stored case.", {
        required: true,
        uniqueness: 'server',
      }),
      attr('name', "The person's name.", {
        type: 'complex',
        required: true,
        subAttributes: [attr('givenName', 'First name.', { required: true }), attr('familyName', 'Last name.', { required: true })],
      }),
      attr('displayName', 'The name to display.'),
      attr('active', 'Whether the person is active now; false deactivates (historicizes) them, true re-activates.', {
        type: 'boolean',
      }),
      attr('emails', 'The email address (the userName), read-only.', {
        multiValued: true,
        type: 'complex',
        mutability: 'readOnly',
        subAttributes: [
          attr('value', 'The email address.', { mutability: 'readOnly' }),
          attr('type', 'Always work.', { mutability: 'readOnly' }),
          attr('primary', 'Always true.', { type: 'boolean', mutability: 'readOnly' }),
        ],
      }),
    ],
  },
  {
    id: URN.enterpriseUser,
    name: 'EnterpriseUser',
    description: 'Enterprise attributes of a person.',
    attributes: [
      attr('organization', 'Organization.'),
      attr('division', 'Division (the Opsera business field).'),
      attr('department', 'Department.'),
      attr('manager', "The person's manager (contract section 11); written as an id, a bare string or a userName, answered as an id.", {
        type: 'complex',
        subAttributes: [
          attr('value', "The manager's person id.", { caseExact: true }),
          attr('$ref', "The manager's URI.", { type: 'reference', referenceTypes: ['User'], mutability: 'readOnly' }),
        ],
      }),
    ],
  },
  {
    id: URN.organigramUser,
    name: 'OrganigramUser',
    description: "Organigram's own attributes of a person.",
    attributes: [attr('group', 'Group.'), attr('team', 'Team.')],
  },
  {
    id: URN.group,
    name: 'Group',
    description: "An org unit of the token's project.",
    attributes: [
      attr('displayName', "The unit's name; unique case-insensitively among the project's active units.", {
        required: true,
        uniqueness: 'server',
      }),
      attr('members', 'The persons with an active assignment in the unit itself.', {
        type: 'complex',
        multiValued: true,
        subAttributes: [
          attr('value', 'The person id.', { caseExact: true, mutability: 'immutable' }),
          attr('$ref', "The person's URI.", { type: 'reference', referenceTypes: ['User'], mutability: 'immutable' }),
          attr('display', "The person's display name.", { mutability: 'readOnly' }),
          attr('type', 'Always User.', { mutability: 'immutable' }),
        ],
      }),
    ],
  },
  {
    id: URN.organigramGroup,
    name: 'OrganigramGroup',
    description: "Organigram's own attributes of an org unit.",
    attributes: [
      attr('code', 'Unique within the project.', { caseExact: true, uniqueness: 'server' }),
      attr('description', 'Description.', { caseExact: true }),
      attr('parentId', 'The parent unit (an active unit of the same project); absent for a root.', { caseExact: true }),
    ],
  },
];

export const RESOURCE_TYPES = [
  {
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    description: 'People',
    schema: URN.user,
    schemaExtensions: [
      { schema: URN.enterpriseUser, required: false },
      { schema: URN.organigramUser, required: false },
    ],
  },
  {
    id: 'Group',
    name: 'Group',
    endpoint: '/Groups',
    description: "Org units of the token's project",
    schema: URN.group,
    schemaExtensions: [{ schema: URN.organigramGroup, required: false }],
  },
] as const;

export const MAX_RESULTS = 1000;
export const DEFAULT_PAGE_SIZE = 100;
export const CURSOR_TIMEOUT_SECONDS = 3600;

export const SERVICE_PROVIDER_CONFIG = {
  schemas: [URN.serviceProviderConfig],
  documentationUri: 'https://organigram.dev/docs',
  patch: { supported: true },
  bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
  filter: { supported: true, maxResults: MAX_RESULTS },
  changePassword: { supported: false },
  sort: { supported: true },
  etag: { supported: true },
  authenticationSchemes: [
    {
      type: 'oauthbearertoken',
      name: 'OAuth Bearer Token',
      description: 'An Organigram API token with scope scim: Authorization: Bearer ogm_...',
      primary: true,
    },
  ],
  pagination: {
    cursor: true,
    index: true,
    defaultPaginationMethod: 'index',
    defaultPageSize: DEFAULT_PAGE_SIZE,
    maxPageSize: MAX_RESULTS,
    cursorTimeout: CURSOR_TIMEOUT_SECONDS,
  },
} as const;
