import ajvModule, { type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';

/**
 * Checks HTTP exchanges against the OpenAPI document the application serves at /docs-json:
 * the operation exists, the status code is documented for it, the content type is one of the
 * documented media types, the body matches the response schema, documented response headers match
 * their schemas. Objects are checked closed: a property the schema does not list is a violation,
 * because @nestjs/swagger never emits additionalProperties and would otherwise hide undocumented fields.
 */

export type JsonSchema = Record<string, unknown>;

interface MediaType {
  schema?: JsonSchema;
}
interface HeaderObject {
  required?: boolean;
  schema?: JsonSchema;
}
interface ResponseObject {
  content?: Record<string, MediaType>;
  headers?: Record<string, HeaderObject>;
}
interface OperationObject {
  operationId?: string;
  responses?: Record<string, ResponseObject>;
}
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** One request and its response, as a test saw it. */
export interface Exchange {
  method: string;
  /** Path and query string as sent (percent-encoded). */
  url: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body text ('' when there is none). */
  text: string;
  /** Where it happened: the current test's name, or a hook. */
  test?: string;
}

export interface Violation {
  exchange: Exchange;
  /** The documented route the request matched, e.g. `GET /api/v2/data/people/{email}`. */
  route: string;
  message: string;
}

/**
 * Requests the conformance check does not apply to, each with its reason. Anything added here
 * needs a reason a reviewer accepts: the goal is zero exclusions of API routes.
 */
export const EXCLUDED: readonly { test: (method: string, path: string) => boolean; reason: string }[] = [
  {
    test: (_method, path) => path === '/docs' || path.startsWith('/docs/') || path === '/docs-json' || path === '/docs-yaml',
    reason: 'Swagger UI and the OpenAPI document itself (served by SwaggerModule, not operations of the API).',
  },
  {
    test: (_method, path) => path === '/org-chart' || path.startsWith('/org-chart/'),
    reason: 'The org chart web page and its script and style files (HTML, JavaScript, CSS served outside Nest), not operations of the API.',
  },
  {
    test: (method) => method === 'OPTIONS',
    reason: 'CORS preflight, answered by @fastify/cors before routing; OpenAPI does not describe preflight.',
  },
];

/**
 * A path the document does not have, or a method it does not document on a path, cannot carry a
 * documented status. It conforms when it is answered 404/405 with a valid ProblemDetails body.
 */
// 404/405 for unknown paths and methods; 400 (undecodable percent-encoding) and 431 (oversized request
// line) come from the router and the HTTP parser before any route is chosen.
const UNROUTED_STATUSES = new Set([400, 404, 405, 431, 501]);
const PROBLEM_SCHEMA = 'ProblemDetails';
const SCIM_ERROR_SCHEMA = 'ScimErrorDto';

const JSON_MEDIA = /^application\/(?:[\w.-]+\+)?json$/;
const REF_PREFIX = '#/components/schemas/';
const REF_BASE = 'openapi-components';

const mediaTypeOf = (headers: Exchange['headers']): string | undefined => {
  const raw = headers['content-type'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value?.split(';')[0].trim().toLowerCase() || undefined;
};

const headerValue = (headers: Exchange['headers'], name: string): string | undefined => {
  const raw = headers[name.toLowerCase()];
  return Array.isArray(raw) ? raw.join(', ') : raw;
};

/**
 * OpenAPI 3.0 schema → JSON Schema draft-07 for Ajv: `nullable` becomes an anyOf with null, refs
 * point into one shared components schema, objects with properties are closed unless they say
 * otherwise, and draft-04 boolean exclusiveMinimum/Maximum become numbers.
 */
export function toJsonSchema(schema: unknown, closeObjects = true, inAllOf = false): unknown {
  if (Array.isArray(schema)) return schema.map((s) => toJsonSchema(s, closeObjects));
  if (!schema || typeof schema !== 'object') return schema;
  const source = schema as JsonSchema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'nullable' || key === 'example' || key === 'examples' || key === 'discriminator' || key === 'xml') continue;
    if (key === '$ref' && typeof value === 'string' && value.startsWith(REF_PREFIX)) {
      out.$ref = `${REF_BASE}#/definitions/${value.slice(REF_PREFIX.length)}`;
    } else if (key === 'properties' && value && typeof value === 'object') {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, toJsonSchema(s, closeObjects)]));
    } else if (key === 'allOf' && Array.isArray(value)) {
      // Members of a real composition are open: each one sees only its own properties.
      const composing = value.length > 1;
      out.allOf = value.map((s) => toJsonSchema(s, closeObjects, composing));
    } else if (key === 'exclusiveMinimum' && value === true) {
      out.exclusiveMinimum = source.minimum;
    } else if (key === 'exclusiveMaximum' && value === true) {
      out.exclusiveMaximum = source.maximum;
    } else if ((key === 'exclusiveMinimum' || key === 'exclusiveMaximum') && value === false) {
      continue;
    } else {
      out[key] = toJsonSchema(value, closeObjects);
    }
  }
  if ((source.exclusiveMinimum === true && 'minimum' in out) || (source.exclusiveMaximum === true && 'maximum' in out)) {
    if (source.exclusiveMinimum === true) delete out.minimum;
    if (source.exclusiveMaximum === true) delete out.maximum;
  }
  if (closeObjects && !inAllOf && out.properties && out.additionalProperties === undefined && !out.allOf && !out.oneOf && !out.anyOf) {
    out.additionalProperties = false;
  }
  return source.nullable === true ? { anyOf: [{ type: 'null' }, out] } : out;
}

interface Route {
  template: string;
  pattern: RegExp;
  params: number;
  item: Record<string, OperationObject>;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function routesOf(doc: OpenApiDocument): Route[] {
  return Object.entries(doc.paths)
    .map(([template, item]) => {
      const parts = template.split(/(\{[^}]+\})/).map((part) => (/^\{[^}]+\}$/.test(part) ? '([^/]+)' : escapeRegExp(part)));
      // Exact: Fastify does not ignore a trailing slash, so neither does the match.
      return { template, pattern: new RegExp(`^${parts.join('')}$`), params: (template.match(/\{/g) ?? []).length, item };
    })
    .sort((a, b) => a.params - b.params);
}

export class OpenApiConformance {
  private readonly ajv;
  private readonly routes: Route[];
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(
    doc: OpenApiDocument,
    private readonly options: { closeObjects?: boolean } = {},
  ) {
    const Ajv = ajvModule.default;
    this.ajv = new Ajv({ strict: false, allErrors: true, logger: false, validateFormats: true });
    ajvFormats.default(this.ajv);
    const definitions = Object.fromEntries(
      Object.entries(doc.components?.schemas ?? {}).map(([name, s]) => [name, toJsonSchema(s, options.closeObjects ?? true)]),
    );
    this.ajv.addSchema({ $id: REF_BASE, definitions });
    this.routes = routesOf(doc);
  }

  /** The violations of one exchange (empty when it conforms or is excluded). */
  check(exchange: Exchange): Violation[] {
    const method = exchange.method.toUpperCase();
    // The raw path: new URL() would resolve %2e%2e segments that the server routes literally.
    const path = exchange.url.split(/[?#]/)[0] || '/';
    if (EXCLUDED.some((e) => e.test(method, path))) return [];
    const violation = (route: string, message: string): Violation => ({ exchange, route, message });

    const matching = this.routes.filter((r) => r.pattern.test(path));
    const verb = method === 'HEAD' ? 'get' : method.toLowerCase();
    // The most specific template (fewest parameters) is the one the router chose, as Fastify prefers a
    // static segment (`/Users/.search`) to a parameter (`/Users/{id}`).
    const route = matching.find((r) => r.params === matching[0].params && r.item[verb]);
    if (!route) {
      const label = matching.length > 0 ? `${method} ${matching[0].template}` : `${method} ${path}`;
      if (!UNROUTED_STATUSES.has(exchange.status)) {
        const what = matching.length > 0 ? 'method not documented for this path' : 'path not in the document';
        return [violation(label, `${what}, answered ${exchange.status} (only 404/405 problem details are acceptable there)`)];
      }
      // Under /scim/v2 every error is a SCIM error (contract section 13.7).
      const scim = path === '/scim/v2' || path.startsWith('/scim/v2/');
      const content: Record<string, MediaType> = scim
        ? {
            'application/scim+json': { schema: { $ref: REF_PREFIX + SCIM_ERROR_SCHEMA } },
            'application/json': { schema: { $ref: REF_PREFIX + SCIM_ERROR_SCHEMA } },
          }
        : { 'application/problem+json': { schema: { $ref: REF_PREFIX + PROBLEM_SCHEMA } } };
      return this.checkBody(exchange, label, { content }, violation);
    }

    const label = `${method} ${route.template}`;
    const responses = route.item[verb].responses ?? {};
    const status = String(exchange.status);
    const response = responses[status] ?? responses[`${status[0]}XX`] ?? responses.default;
    if (!response) {
      return [violation(label, `status ${status} not documented (documented: ${Object.keys(responses).join(', ')})`)];
    }
    return [...this.checkHeaders(exchange, label, response, violation), ...this.checkBody(exchange, label, response, violation)];
  }

  private checkHeaders(
    exchange: Exchange,
    label: string,
    response: ResponseObject,
    violation: (route: string, message: string) => Violation,
  ): Violation[] {
    const found: Violation[] = [];
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const raw = headerValue(exchange.headers, name);
      if (raw === undefined) {
        if (header.required) found.push(violation(label, `${exchange.status}: required header ${name} missing`));
        continue;
      }
      if (!header.schema) continue;
      const type = header.schema.type;
      const value =
        (type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : type === 'boolean' ? raw === 'true' : raw;
      const validate = this.compile(`header ${label} ${exchange.status} ${name}`, header.schema);
      if (!validate(value))
        found.push(
          violation(
            label,
            `${exchange.status}: header ${name}=${JSON.stringify(raw)} ${this.ajv.errorsText(validate.errors, { dataVar: 'value' })}`,
          ),
        );
    }
    return found;
  }

  private checkBody(
    exchange: Exchange,
    label: string,
    response: ResponseObject,
    violation: (route: string, message: string) => Violation,
  ): Violation[] {
    const status = exchange.status;
    const media = mediaTypeOf(exchange.headers);
    const hasBody = exchange.text !== '' && exchange.method.toUpperCase() !== 'HEAD';
    const content = response.content ?? {};
    const documented = Object.keys(content);
    if (!hasBody) {
      return documented.length > 0 && exchange.method.toUpperCase() !== 'HEAD'
        ? [violation(label, `${status}: empty body, documented ${documented.join(', ')}`)]
        : [];
    }
    if (documented.length === 0) return [violation(label, `${status}: sends a body (${media ?? 'no content type'}), documented none`)];
    const key =
      documented.find((d) => d.toLowerCase() === media) ??
      documented.find((d) => media !== undefined && d.endsWith('/*') && media.startsWith(d.slice(0, -1))) ??
      documented.find((d) => d === '*/*');
    if (!key)
      return [violation(label, `${status}: content type ${media ?? '(none)'} not documented (documented: ${documented.join(', ')})`)];
    const schema = content[key].schema;
    if (!schema || !media || !JSON_MEDIA.test(media)) return [];
    let body: unknown;
    try {
      body = JSON.parse(exchange.text);
    } catch {
      return [violation(label, `${status}: ${media} body is not JSON`)];
    }
    const validate = this.compile(`${label} ${status} ${key}`, schema);
    if (validate(body)) return [];
    // A nullable value that fails is reported once, by its non-null branch, not also as "must be null".
    const errors = (validate.errors ?? []).filter(
      (e) => e.keyword !== 'anyOf' && !(e.keyword === 'type' && (e.params as { type?: string }).type === 'null'),
    );
    return (errors.length > 0 ? errors : (validate.errors ?? [])).map((e) => {
      const where = e.instancePath || '(body)';
      const detail =
        e.keyword === 'additionalProperties'
          ? `undocumented property ${JSON.stringify((e.params as { additionalProperty: string }).additionalProperty)}`
          : `${e.message ?? e.keyword}${e.keyword === 'enum' ? ` ${JSON.stringify((e.params as { allowedValues: unknown }).allowedValues)}` : ''}`;
      return violation(label, `${status}: ${where} ${detail}`);
    });
  }

  private compile(key: string, schema: JsonSchema): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(toJsonSchema(schema, this.options.closeObjects ?? true) as JsonSchema);
      this.validators.set(key, validate);
    }
    return validate;
  }
}

/** One line per distinct violation, with how often and in which tests it occurred. */
export function formatViolations(violations: readonly Violation[]): string {
  const groups = new Map<string, { count: number; tests: Set<string>; example: Exchange }>();
  for (const v of violations) {
    const key = `${v.route} → ${v.message}`;
    const group = groups.get(key) ?? { count: 0, tests: new Set<string>(), example: v.exchange };
    group.count += 1;
    if (v.exchange.test) group.tests.add(v.exchange.test);
    groups.set(key, group);
  }
  return [...groups.entries()]
    .map(([key, g]) => {
      const tests = [...g.tests].slice(0, 3).join(' | ');
      const body = g.example.text.length > 300 ? `${g.example.text.slice(0, 300)}…` : g.example.text;
      return `• ${key} (${g.count}×)\n    e.g. ${g.example.method.toUpperCase()} ${g.example.url} → ${g.example.status} ${body}\n    in: ${tests || '(hook)'}`;
    })
    .join('\n');
}

/** The document each application served, by its HTTP server (what supertest requests go to). */
const served = new WeakMap<object, OpenApiDocument>();

/**
 * Reads /docs-json from the application (in-process, no socket) and remembers it for the conformance
 * check of every request made to this application. createTestApp() calls it for each app.
 */
export async function registerServedDocument(app: {
  getHttpServer(): object;
  inject(options: { method: 'GET'; url: string }): Promise<{ statusCode: number; body: string }>;
}): Promise<void> {
  const res = await app.inject({ method: 'GET', url: '/docs-json' });
  if (res.statusCode !== 200) throw new Error(`GET /docs-json answered ${res.statusCode}`);
  served.set(app.getHttpServer(), JSON.parse(res.body) as OpenApiDocument);
}

export const servedDocumentOf = (server: object): OpenApiDocument | undefined => served.get(server);

let reference: Promise<OpenApiDocument> | undefined;

/**
 * The document built by createApp without a database (`documentOnly`: never connected, never
 * initialised), for requests to an application that did not register its served document.
 */
export function referenceDocument(): Promise<OpenApiDocument> {
  reference ??= (async () => {
    const { createApp } = await import('../../src/app.setup.js');
    const { loadConfig } = await import('../../src/config/app-config.js');
    const url = 'postgresql://openapi:unused@127.0.0.1:9/unused';
    const app = await createApp(loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: url }), url, { documentOnly: true });
    try {
      const res = await app.inject({ method: 'GET', url: '/docs-json' });
      return JSON.parse(res.body) as OpenApiDocument;
    } finally {
      await app.close();
    }
  })();
  return reference;
}
