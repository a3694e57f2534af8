import { SiteRole } from '../../src/common/auth/site-roles.js';
import { scimError } from '../support/scim-error.js';
import { bearer, createTestApp, type TestApp } from '../support/test-app.js';

const BASE = '/scim/v2';
const SCIM_JSON = 'application/scim+json; charset=utf-8';

describe('SCIM 2.0: surface, errors and discovery (contract sections 13.1, 13.7, 13.8)', () => {
  let t: TestApp;
  let scim: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp();
    scim = bearer((await t.createToken(SiteRole.Viewer, { scopes: ['scim'] })).token);
  });
  afterAll(() => t.close());

  const get = (path: string, headers = scim) => t.http().get(`${BASE}${path}`).set(headers);

  /** An absolute URL under the test server's SCIM base (supertest listens on a new port per request). */
  const at = (path: string): unknown =>
    expect.stringMatching(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/scim/v2${path.replace(/\./g, '\\.')}$`));

  describe('authentication and scope', () => {
    it('answers 401 without a token: the SCIM error body, WWW-Authenticate, X-Request-Id repeated as requestId', async () => {
      const res = await t.http().get(`${BASE}/Schemas`).set('X-Request-Id', 'scim-401');
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toBe(SCIM_JSON);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="organigram"');
      expect(res.body).toEqual({ ...scimError(401), requestId: 'scim-401' });
    });

    it('answers 403 to a token without scope scim (an api token of any role), naming the scope', async () => {
      for (const token of [t.tokens.opseraAdmin, t.tokens.viewer]) {
        const res = await get('/ServiceProviderConfig', bearer(token));
        expect(res.status).toBe(403);
        expect(res.headers['content-type']).toBe(SCIM_JSON);
        expect(res.body).toEqual(scimError(403, undefined, 'The token lacks the required scope: scim.'));
      }
    });

    it('serves a token holding both api and scim on both surfaces', async () => {
      const both = bearer((await t.createToken(SiteRole.Viewer, { scopes: ['api', 'scim'] })).token);
      expect((await get('/Schemas', both)).status).toBe(200);
      expect((await t.http().get('/api/v2/data/people').set(both)).status).toBe(200);
    });
  });

  describe('media types', () => {
    it('answers application/scim+json, or application/json when Accept names only that', async () => {
      expect((await get('/ResourceTypes')).headers['content-type']).toBe(SCIM_JSON);
      expect((await get('/ResourceTypes').set('Accept', 'application/scim+json')).headers['content-type']).toBe(SCIM_JSON);
      expect((await get('/ResourceTypes').set('Accept', 'application/json, */*')).headers['content-type']).toBe(SCIM_JSON);
      const json = await get('/ResourceTypes').set('Accept', 'application/json');
      expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(json.body.totalResults).toBe(2);
      const error = await get('/Nope').set('Accept', 'application/json');
      expect(error.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(error.body).toEqual(scimError(404));
    });

    it('answers 415 in the SCIM error shape for a body that is neither scim+json nor json', async () => {
      const res = await t.http().post(`${BASE}/Bulk`).set(scim).set('Content-Type', 'text/plain').send('hello');
      expect(res.status).toBe(415);
      expect(res.headers['content-type']).toBe(SCIM_JSON);
      expect(res.body).toEqual(scimError(415, undefined, 'Send request bodies as application/scim+json or application/json.'));
    });

    it('keeps application/scim+json a 415 outside /scim/v2', async () => {
      const res = await t
        .http()
        .post('/api/v2/data/people')
        .set(bearer(t.tokens.admin))
        .set('Content-Type', 'application/scim+json')
        .send(JSON.stringify({ email: 'a@example.com', firstName: 'A', lastName: 'B' }));
      expect(res.status).toBe(415);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(await t.sql('select count(*)::int as n from person')).toEqual([{ n: 0 }]);
    });

    it('answers 400 invalidSyntax for a malformed application/scim+json body', async () => {
      const res = await t.http().post(`${BASE}/Bulk`).set(scim).set('Content-Type', 'application/scim+json; charset=utf-8').send('{"a":');
      expect(res.status).toBe(400);
      expect(res.body).toEqual(scimError(400, 'invalidSyntax', expect.stringMatching(/not valid JSON/)));
    });

    it('answers 413 in the SCIM error shape for a body over the limit', async () => {
      const big = JSON.stringify({ schemas: ['x'], pad: 'x'.repeat(t.config.http.bodyLimitBytes) });
      const res = await t.http().post(`${BASE}/Bulk`).set(scim).set('Content-Type', 'application/scim+json').send(big);
      expect(res.status).toBe(413);
      expect(res.body).toEqual(scimError(413));
    });
  });

  describe('paths and methods', () => {
    it('answers 404 in the SCIM error shape for any other path under /scim/v2', async () => {
      for (const path of ['', '/', '/Nope', '/users', '/Users/x/y', '/ResourceTypes/Device', '/Schemas/urn:nope']) {
        const res = await get(path);
        expect({ path, status: res.status, type: res.headers['content-type'] }).toEqual({ path, status: 404, type: SCIM_JSON });
        expect(res.body).toEqual(scimError(404));
      }
    });

    it('answers 405 with Allow for a method a path does not serve', async () => {
      const cases: [string, string, string][] = [
        ['post', '/ServiceProviderConfig', 'GET, HEAD'],
        ['delete', '/Schemas', 'GET, HEAD'],
        ['put', '/ResourceTypes/User', 'GET, HEAD'],
        ['patch', '/Users', 'GET, HEAD, POST'],
        ['delete', '/Groups', 'GET, HEAD, POST'],
        ['post', '/Users/2819c223-7f76-453a-919d-413861904646', 'GET, HEAD, PUT, PATCH, DELETE'],
        ['get', '/Bulk', 'POST'],
        ['get', '/Users/.search', 'POST'],
        ['delete', '/.search', 'POST'],
      ];
      for (const [method, path, allow] of cases) {
        const res = await t.http()[method as 'post'](`${BASE}${path}`).set(scim);
        expect({ method, path, status: res.status, allow: res.headers['allow'] }).toEqual({ method, path, status: 405, allow });
        expect(res.headers['content-type']).toBe(SCIM_JSON);
        expect(res.body).toEqual(scimError(405));
      }
    });

    it('answers 501 for POST /Bulk, /Me with any method and POST /.search at any level; 405 for other methods there', async () => {
      for (const [method, path] of [
        ['post', '/Bulk'],
        ['get', '/Me'],
        ['post', '/Me'],
        ['put', '/Me'],
        ['patch', '/Me'],
        ['delete', '/Me'],
        ['post', '/.search'],
        ['post', '/Users/.search'],
        ['post', '/Groups/.search'],
      ] as const) {
        const res = await t.http()[method](`${BASE}${path}`).set(scim);
        expect({ path, status: res.status }).toEqual({ path, status: 501 });
        expect(res.body).toEqual(scimError(501));
      }
    });
  });

  describe('discovery', () => {
    it('GET /ServiceProviderConfig answers the configuration of contract section 13.8', async () => {
      const res = await get('/ServiceProviderConfig');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
        documentationUri: expect.any(String),
        patch: { supported: true },
        bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
        filter: { supported: true, maxResults: 1000 },
        changePassword: { supported: false },
        sort: { supported: true },
        etag: { supported: true },
        authenticationSchemes: [{ type: 'oauthbearertoken', name: expect.any(String), description: expect.any(String), primary: true }],
        pagination: {
          cursor: true,
          index: true,
          defaultPaginationMethod: 'index',
          defaultPageSize: 100,
          maxPageSize: 1000,
          cursorTimeout: 3600,
        },
        meta: { resourceType: 'ServiceProviderConfig', location: at('/ServiceProviderConfig') },
      });
    });

    it('GET /ResourceTypes lists User and Group; /ResourceTypes/{name} answers one', async () => {
      const user = {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
        id: 'User',
        name: 'User',
        endpoint: '/Users',
        description: expect.any(String),
        schema: 'urn:ietf:params:scim:schemas:core:2.0:User',
        schemaExtensions: [
          { schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', required: false },
          { schema: 'urn:ietf:params:scim:schemas:extension:organigram:2.0:User', required: false },
        ],
        meta: { resourceType: 'ResourceType', location: at('/ResourceTypes/User') },
      };
      const group = {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
        id: 'Group',
        name: 'Group',
        endpoint: '/Groups',
        description: expect.any(String),
        schema: 'urn:ietf:params:scim:schemas:core:2.0:Group',
        schemaExtensions: [{ schema: 'urn:ietf:params:scim:schemas:extension:organigram:2.0:Group', required: false }],
        meta: { resourceType: 'ResourceType', location: at('/ResourceTypes/Group') },
      };
      expect((await get('/ResourceTypes')).body).toEqual({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
        totalResults: 2,
        itemsPerPage: 2,
        startIndex: 1,
        Resources: [user, group],
      });
      expect((await get('/ResourceTypes/User')).body).toEqual(user);
      expect((await get('/ResourceTypes/Group')).body).toEqual(group);
    });

    it('GET /Schemas lists the five schemas with exactly the stored attributes, fully described, no nulls', async () => {
      const res = await get('/Schemas');
      expect(res.status).toBe(200);
      expect(res.body.totalResults).toBe(5);
      const byId = new Map((res.body.Resources as { id: string; attributes: Attr[] }[]).map((s) => [s.id, s]));
      interface Attr {
        name: string;
        subAttributes?: Attr[];
        [key: string]: unknown;
      }
      const names = (attrs: Attr[]): string[] =>
        attrs.flatMap((a) => [a.name, ...(a.subAttributes ? names(a.subAttributes).map((n) => `${a.name}.${n}`) : [])]);
      expect([...byId.keys()]).toEqual([
        'urn:ietf:params:scim:schemas:core:2.0:User',
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
        'urn:ietf:params:scim:schemas:extension:organigram:2.0:User',
        'urn:ietf:params:scim:schemas:core:2.0:Group',
        'urn:ietf:params:scim:schemas:extension:organigram:2.0:Group',
      ]);
      expect(names(byId.get('urn:ietf:params:scim:schemas:core:2.0:User')!.attributes)).toEqual([
        'userName',
        'name',
        'name.givenName',
        'name.familyName',
        'displayName',
        'active',
        'emails',
        'emails.value',
        'emails.type',
        'emails.primary',
      ]);
      expect(names(byId.get('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User')!.attributes)).toEqual([
        'organization',
        'division',
        'department',
        'manager',
        'manager.value',
        'manager.$ref',
      ]);
      expect(names(byId.get('urn:ietf:params:scim:schemas:extension:organigram:2.0:User')!.attributes)).toEqual(['group', 'team']);
      expect(names(byId.get('urn:ietf:params:scim:schemas:core:2.0:Group')!.attributes)).toEqual([
        'displayName',
        'members',
        'members.value',
        'members.$ref',
        'members.display',
        'members.type',
      ]);
      expect(names(byId.get('urn:ietf:params:scim:schemas:extension:organigram:2.0:Group')!.attributes)).toEqual([
        'code',
        'description',
        'parentId',
      ]);
      const userName = byId.get('urn:ietf:params:scim:schemas:core:2.0:User')!.attributes[0];
      expect(userName).toEqual({
        name: 'userName',
        type: 'string',
        multiValued: false,
        description: expect.any(String),
        required: true,
        caseExact: false,
        mutability: 'readWrite',
        returned: 'default',
        uniqueness: 'server',
      });
      const emails = byId.get('urn:ietf:params:scim:schemas:core:2.0:User')!.attributes.find((a) => a.name === 'emails')!;
      expect(emails).toEqual(expect.objectContaining({ type: 'complex', multiValued: true, mutability: 'readOnly' }));
      const manager = byId.get('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User')!.attributes.find((a) => a.name === 'manager')!;
      expect(manager).toEqual(expect.objectContaining({ type: 'complex', multiValued: false, mutability: 'readWrite' }));
      expect(manager.subAttributes![1]).toEqual(expect.objectContaining({ name: '$ref', type: 'reference', referenceTypes: ['User'] }));
      expect(JSON.stringify(res.body)).not.toContain('null');
      for (const absent of ['password', 'title', 'phoneNumbers', 'addresses', 'employeeNumber', 'costCenter', 'nickName']) {
        expect(JSON.stringify(res.body)).not.toContain(`"${absent}"`);
      }
    });

    it('GET /Schemas/{urn} answers one schema, an unknown urn 404', async () => {
      const res = await get('/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
        id: 'urn:ietf:params:scim:schemas:core:2.0:Group',
        name: 'Group',
        description: expect.any(String),
        attributes: expect.any(Array),
        meta: { resourceType: 'Schema', location: at('/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group') },
      });
      const unknown = await get('/Schemas/urn:ietf:params:scim:schemas:core:2.0:Device');
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual(scimError(404));
    });
  });
});

describe('SCIM 2.0: rate limits answer in the SCIM error shape (contract sections 8, 13.7)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT: '2', RATE_LIMIT_WINDOW_MS: '60000' });
  });
  afterAll(() => t.close());

  it('answers the request over the token budget 429 with Retry-After and the rate-limit headers', async () => {
    const scim = bearer((await t.createToken(SiteRole.Viewer, { scopes: ['scim'] })).token);
    for (let i = 0; i < 2; i++) expect((await t.http().get(`${BASE}/Schemas`).set(scim)).status).toBe(200);
    const res = await t.http().get(`${BASE}/Schemas`).set(scim);
    expect(res.status).toBe(429);
    expect(res.headers['content-type']).toBe(SCIM_JSON);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.headers['x-ratelimit-remaining']).toBe('0');
    expect(res.body).toEqual(scimError(429));
  });
});
