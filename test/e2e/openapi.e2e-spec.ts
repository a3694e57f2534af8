import 'reflect-metadata';
import { RequestMethod } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import { IS_PUBLIC_KEY } from '../../src/common/auth/auth.constants.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean }[];
  responses: Record<string, { description?: string; content?: Record<string, { schema?: { $ref?: string } }> }>;
}
type OpenApiDocument = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, { required?: string[]; properties?: Record<string, unknown> }>;
    securitySchemes: Record<string, unknown>;
  };
};

interface Route {
  method: string;
  path: string;
  successStatus: number;
  isPublic: boolean;
}

const PROBLEM_REF = '#/components/schemas/ProblemDetails';
const SCIM_ERROR_REF = '#/components/schemas/ScimErrorDto';
/** SCIM routes answer errors as SCIM errors, except 408 and 431, which Node writes on the socket before routing. */
const isScimError = (path: string, status: string) => path.startsWith('/scim/v2/') && status !== '408' && status !== '431';
const joinPath = (...parts: string[]) =>
  `/${parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .join('/')}`;

/** A route decorator's path: absent, one string or several. */
const paths = (value: unknown): string[] => (Array.isArray(value) ? (value as string[]) : typeof value === 'string' ? [value] : ['']);

/** Every route the application actually serves, read from the controllers' Nest metadata. */
function applicationRoutes(t: TestApp): Route[] {
  const routes: Route[] = [];
  for (const module of t.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!controller) continue;
      const bases = paths(Reflect.getMetadata(PATH_METADATA, controller));
      const classPublic = Reflect.getMetadata(IS_PUBLIC_KEY, controller) === true;
      const proto = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = proto[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        const verb = RequestMethod[method].toLowerCase();
        const code = Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined;
        for (const base of bases) {
          for (const sub of paths(Reflect.getMetadata(PATH_METADATA, handler))) {
            routes.push({
              method: verb,
              path: joinPath(base, sub).replace(/:([A-Za-z0-9_]+)/g, '{$1}'),
              successStatus: code ?? (verb === 'post' ? 201 : 200),
              isPublic: classPublic || Reflect.getMetadata(IS_PUBLIC_KEY, handler) === true,
            });
          }
        }
      }
    }
  }
  return routes;
}

describe('OpenAPI document and Swagger UI', () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  let routes: Route[];

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));
  const operationOf = (route: Route): Operation | undefined => doc.paths[route.path]?.[route.method];

  beforeAll(async () => {
    t = await createTestApp();
    const res = await t.http().get('/docs-json');
    doc = res.body as OpenApiDocument;
    routes = applicationRoutes(t);
  });
  afterAll(() => t.close());

  it('serves /docs-json without a token as JSON', async () => {
    const res = await t.http().get('/docs-json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });

  it('is an OpenAPI 3 document with a title, a version and the bearer scheme', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info).toEqual(expect.objectContaining({ title: 'Organigram', version: expect.any(String) }));
    expect(doc.components.securitySchemes).toEqual({ bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }) });
  });

  it('knows the routes it checks (sanity check of the route discovery)', () => {
    const found = routes.map((r) => `${r.method.toUpperCase()} ${r.path}`);
    expect(found).toEqual(
      expect.arrayContaining([
        'GET /health/live',
        'GET /health/ready',
        'GET /api/v2/data/people',
        'POST /api/v2/data/people',
        'GET /api/v2/data/people/{email}',
        'PUT /api/v2/data/people/{email}',
        'DELETE /api/v2/data/people/{email}',
        'GET /api/v2/tokens',
        'POST /api/v2/tokens',
        'GET /api/v2/tokens/{id}',
        'DELETE /api/v2/tokens/{id}',
      ]),
    );
  });

  it('documents every route of the application, and no route it does not serve', () => {
    const missing = routes.filter((r) => !operationOf(r)).map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
    const served = new Set(routes.map((r) => `${r.method} ${r.path}`));
    const extra = operations()
      .map(({ method, path }) => `${method} ${path}`)
      .filter((key) => !served.has(key));
    expect(extra).toEqual([]);
  });

  it('makes only the health probes public', () => {
    expect(routes.filter((r) => r.isPublic).map((r) => r.path)).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
    expect(routes.filter((r) => r.isPublic && !r.path.startsWith('/health/'))).toEqual([]);
  });

  it('requires the bearer scheme on every operation except health, and documents 401 and 403 there', () => {
    for (const route of routes) {
      const op = operationOf(route);
      const key = `${route.method} ${route.path}`;
      if (route.isPublic) {
        expect([key, op?.security ?? []]).toEqual([key, []]);
        continue;
      }
      expect([key, op?.security]).toEqual([key, [{ bearer: [] }]]);
      expect([key, Object.keys(op?.responses ?? {})]).toEqual([key, expect.arrayContaining(['401', '403'])]);
    }
  });

  it('documents the success status each route really answers with', () => {
    for (const route of routes) {
      const op = operationOf(route);
      expect([`${route.method} ${route.path}`, Object.keys(op?.responses ?? {})]).toEqual([
        `${route.method} ${route.path}`,
        expect.arrayContaining([String(route.successStatus)]),
      ]);
    }
  });

  it('documents every error response with the ProblemDetails schema', () => {
    for (const { path, method, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        const refs = Object.values(response.content ?? {}).map((c) => c.schema?.$ref);
        // Under /scim/v2 every error but those Node writes before routing is a SCIM error (contract section 13.7).
        const expected = isScimError(path, status) ? SCIM_ERROR_REF : PROBLEM_REF;
        expect([`${method} ${path} ${status}`, refs.length > 0 && refs.every((r) => r === expected)]).toEqual([
          `${method} ${path} ${status}`,
          true,
        ]);
      }
    }
  });

  it('documents error responses under application/problem+json, the content type they are sent with', () => {
    for (const { path, method, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        expect([`${method} ${path} ${status}`, Object.keys(response.content ?? {})]).toEqual([
          `${method} ${path} ${status}`,
          isScimError(path, status) ? ['application/scim+json', 'application/json'] : ['application/problem+json'],
        ]);
      }
    }
  });

  it('describes ProblemDetails with the members every error carries', () => {
    const schema = doc.components.schemas.ProblemDetails;
    expect(schema.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'instance', 'requestId']));
    expect(Object.keys(schema.properties ?? {})).toEqual(
      expect.arrayContaining(['type', 'title', 'status', 'detail', 'instance', 'requestId', 'errors', 'related']),
    );
  });

  it('declares every path template parameter as a required path parameter (OpenAPI 3 requires required: true)', () => {
    for (const { path, method, op } of operations()) {
      for (const name of [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1])) {
        const parameter = (op.parameters ?? []).find((p) => p.name === name && p.in === 'path');
        expect([`${method} ${path}`, name, parameter?.required]).toEqual([`${method} ${path}`, name, true]);
      }
    }
  });

  it('declares no path parameter that is not in the path template', () => {
    for (const { path, method, op } of operations()) {
      const template = new Set([...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]));
      const stray = (op.parameters ?? []).filter((p) => p.in === 'path' && !template.has(p.name)).map((p) => p.name);
      expect([`${method} ${path}`, stray]).toEqual([`${method} ${path}`, []]);
    }
  });

  it('gives every operation a unique operationId', () => {
    const ids = operations().map(({ op }) => op.operationId);
    expect(ids.every((id) => typeof id === 'string' && id !== '')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('resolves every $ref inside the document', () => {
    const refs = new Set([...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]));
    expect(refs.size).toBeGreaterThan(0);
    const unresolved = [...refs].filter((ref) => {
      if (!ref.startsWith('#/')) return true;
      let node: unknown = doc;
      for (const part of ref.slice(2).split('/'))
        node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
      return node === undefined;
    });
    expect(unresolved).toEqual([]);
  });

  it('documents bulk sync (issue 12): JSON and CSV bodies, the job states, Location and every problem', () => {
    const post = doc.paths['/api/v2/sync/jobs'].post as Operation & {
      requestBody: { content: Record<string, { schema: { $ref?: string; type?: string } }> };
      responses: Record<string, { headers?: Record<string, unknown> }>;
    };
    expect(Object.keys(post.requestBody.content).sort()).toEqual(['application/json', 'text/csv']);
    expect(post.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/SyncJobBodyDto');
    expect(post.requestBody.content['text/csv'].schema.type).toBe('string');
    expect(Object.keys(post.responses['202'].headers ?? {})).toContain('Location');
    expect(post.parameters?.map((p) => p.name ?? (p as { $ref?: string }).$ref)).toEqual(
      expect.arrayContaining(['mode', 'dry_run', 'max_changes', 'project_id', '#/components/parameters/Idempotency-Key']),
    );
    // 409 and 422: Idempotency-Key in progress and reused (contract 10.4); 413: SYNC_BODY_LIMIT_BYTES.
    expect(Object.keys(post.responses)).toEqual(
      expect.arrayContaining(['202', '400', '401', '403', '409', '413', '415', '422', '429', '503']),
    );
    const job = doc.components.schemas.SyncJobDto.properties as Record<string, { enum?: string[] }>;
    expect(job.status.enum).toEqual(['queued', 'running', 'succeeded', 'failed', 'aborted']);
    for (const path of ['/api/v2/sync/jobs/{id}', '/api/v2/sync/jobs/{id}/changes']) {
      expect([path, Object.keys(doc.paths[path].get.responses)]).toEqual([
        path,
        expect.arrayContaining(['200', '400', '401', '403', '404', '429', '503']),
      ]);
    }
  });

  it('serves the Swagger UI as HTML at /docs without a token', async () => {
    const res = await t.http().get('/docs').redirects(2);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toMatch(/<html/i);
    expect(res.text).toMatch(/swagger-ui/i);
  });
});
