import { NestFactory } from '@nestjs/core';
import { MikroORM } from '@mikro-orm/postgresql';
import { runInRequestContext } from './database/request-context.js';
import { DatabaseNotReadyError, prepareDatabase } from './database/prepare.js';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { completeDocument } from './common/openapi/complete-document.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppModule } from './app.module.js';
import { registerOrgChartPage } from './org-chart-page.js';
import type { AppConfig } from './config/app-config.js';
import { BEARER_SCHEME } from './common/auth/authorize.decorator.js';
import { ProblemDetails } from './common/errors/problem.js';
import { clientErrorResponse, ProblemDetailsFilter, sendProblem } from './common/errors/problem-details.filter.js';
import type { Socket } from 'node:net';
import { createLogger, PinoNestLogger, RequestLogController } from './common/http/logger.js';
import type { DestinationStream } from 'pino';
import { PAGINATION_HEADERS } from './common/pagination/pagination.interceptor.js';
import { applyWireHeaderCase, installWireCompat } from './common/http/wire-compat.js';
import { requestPath } from './common/http/request-path.js';
import { installConditionalGet } from './common/concurrency/conditional.js';
import { assertSafeInput, scanJsonBody } from './common/validation/input-guard.js';
import type { Readable } from 'node:stream';
import { documentSyncBody, installSyncUpload } from './sync/sync-upload.js';
import { applySecurityHeaders, securityHeaders } from './common/http/security-headers.js';
import { ScimErrorDto } from './common/errors/scim-error.js';
import { installScim } from './scim/scim-http.js';
import { documentScim } from './scim/scim-openapi.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The Content-Security-Policy of every response but Swagger UI's: no inline code, nothing from elsewhere. */
const STRICT_CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  scriptSrcAttr: ["'none'"],
};
/** Swagger UI's page inlines its start-up script and styles. */
const SWAGGER_UI_CSP =
  "default-src 'self';script-src 'self' 'unsafe-inline';style-src 'self' 'unsafe-inline';img-src 'self' data:;font-src 'self';" +
  "connect-src 'self';object-src 'none';base-uri 'self';form-action 'self';frame-ancestors 'none'";

/** /docs and /docs/… (Swagger UI and its assets); not /docs-json or /docs-yaml. */
export function isSwaggerUiPath(path: string): boolean {
  return path === '/docs' || path.startsWith('/docs/');
}

/** Accepts a well-formed X-Request-Id from the client, otherwise generates one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

export interface CreateAppOptions {
  /** Where the logs go (standard output by default). */
  logDestination?: DestinationStream;
  /**
   * Runs on the prepared (migrated) database before the modules are initialised, so before any
   * worker starts: the e2e tests empty their tables here.
   */
  beforeInit?: (orm: MikroORM) => Promise<void>;
  /**
   * For the OpenAPI document only (scripts/openapi-lint.ts, the tests' reference document): the
   * database is never touched and the modules are not initialised, so no worker starts. Such an
   * application serves GET /docs-json through `app.inject` and must not be started with listen().
   */
  documentOnly?: boolean;
}

/**
 * Builds the whole application exactly as production runs it; main.ts and every e2e test use this,
 * so tests exercise the real adapter, hooks, filters, pipes and docs. In this order (docs/decisions.md,
 * "Boot order"): the Nest container is built (providers constructed, no lifecycle hook run), then
 * the database is prepared (connection checked, pending migrations applied, or the start refused
 * when DB_MIGRATE_ON_START=false and some are pending), and only then are the modules initialised,
 * which starts their workers (sync, webhook dispatch, token listener, retention timers): no worker
 * ever meets a schema that is not migrated. When the database cannot be used, the application is
 * closed (its pool released) and a {@link DatabaseNotReadyError} thrown; any other failure to start
 * closes it too.
 */
export async function createApp(config: AppConfig, databaseUrl: string, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = createLogger(config, options.logDestination);
  const filter = new ProblemDetailsFilter(config);
  const adapter = new FastifyAdapter({
    // Router errors (malformed percent-encoding, over-long parameters) happen before Nest: same problem shape.
    clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => {
      // Closed once written (as Node does), so a client that never closes its side holds nothing.
      if (socket.writable) socket.end(clientErrorResponse(error, randomUUID()), () => socket.destroy());
      else socket.destroy();
    },
    frameworkErrors: (error: Error & { code?: string; statusCode?: number }, request: FastifyRequest, reply: FastifyReply) => {
      reply.header('X-Request-Id', request.id);
      // Router errors skip the onSend hooks: the documented header names are spelled here.
      sendProblem(reply, request, filter.toProblem(error, request), applyWireHeaderCase);
    },
    loggerInstance: logger,
    // One line per request, written once the acting token is known.
    logController: new RequestLogController(config.log.requests, logger),
    bodyLimit: config.http.bodyLimitBytes,
    // A request must arrive completely within REQUEST_TIMEOUT_MS (headers within min(10 s, that)):
    // Node then answers 408 through clientErrorHandler and closes. Its check runs every
    // timeoutCheckIntervalMs instead of every 30 s. Idle keep-alive connections close after
    // KEEP_ALIVE_TIMEOUT_MS (docs/decisions.md).
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    http: {
      requestTimeout: config.http.requestTimeoutMs,
      headersTimeout: config.http.headersTimeoutMs,
      connectionsCheckingInterval: config.http.timeoutCheckIntervalMs,
    },
    trustProxy: config.http.trustProxy,
    genReqId: requestIdOf,
    requestIdHeader: false,
    routerOptions: { maxParamLength: 1000 },
    // Requests already on open connections are served while closing; new connections are refused.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, databaseUrl), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    // Nest would add a form (urlencoded) body parser; Fastify's own JSON parser is the only one we want.
    bodyParser: false,
  });
  app.useGlobalFilters(filter);

  const fastify = app.getHttpAdapter().getInstance();
  // Each request runs in a MikroORM request context whose EntityManager fork is made on first use
  // (database/request-context.ts); read models and single statements never make one (issue 10).
  const em = app.get(MikroORM).em;
  fastify.addHook('onRequest', (_request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    runInRequestContext(em, done);
  });
  // Bodies are JSON only: text and form bodies are a 415, never strings or fields handed to the validators.
  fastify.removeContentTypeParser('text/plain');
  // Contract section 4.1: bodiless requests whatever their Content-Type, header case on the wire, 413 reaching a client still sending.
  installWireCompat(fastify);
  // Contract section 10.4: a read whose If-None-Match matches its ETag is answered 304 without a body.
  installConditionalGet(fastify);
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    reply.header('X-Request-Id', request.id);
    done();
  });
  // Sync uploads (their own limit, streamed by the sync service) skip Fastify's body parsing: first.
  installSyncUpload(fastify, config.sync.bodyLimitBytes);
  // SCIM (contract section 13): application/scim+json bodies and answers, 405 on its paths.
  installScim(fastify);
  // JSON bodies with an object of more than 1,000 keys or more than 100,000 values are a 400 as the
  // bytes arrive, before JSON.parse (which alone would hold the event loop for tens of ms).
  fastify.addHook(
    'preParsing',
    (request: FastifyRequest, _reply: FastifyReply, payload: Readable, done: (e: null, p: Readable) => void) => {
      done(null, /json/i.test(request.headers['content-type'] ?? '') ? scanJsonBody(payload) : payload);
    },
  );
  // Errors thrown here, and Fastify's own (body parsing, size limit), reach the same global filter.
  // Before any DTO or database sees the input: NUL characters and absurd nesting are a 400.
  // In a turn of its own (setImmediate): after JSON.parse of a large body, the walk is a second block,
  // not added to the first (no request may hold the event loop for more than 100 ms).
  fastify.addHook('preHandler', (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void) => {
    const check = () => {
      try {
        assertSafeInput(request.body, 'body');
        assertSafeInput(request.query, 'query');
        done();
      } catch (error) {
        done(error as Error);
      }
    };
    if (request.body === undefined || request.body === null) check();
    else setImmediate(check);
  });
  // Helmet's headers, computed once and written on every response as @fastify/helmet would (issue 10).
  // Strict everywhere: JSON answers need nothing, and a future same-origin org chart page may load
  // its own script, style and image files, never inline code. Only Swagger UI gets the loose policy.
  const helmetHeaders = securityHeaders({ contentSecurityPolicy: { useDefaults: false, directives: STRICT_CSP } });
  fastify.addHook('onRequest', (_request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    applySecurityHeaders(reply.raw, helmetHeaders);
    done();
  });
  // Swagger UI (/docs and its assets) needs inline scripts and styles: the loose policy there only.
  fastify.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (e: null, p: unknown) => void) => {
    if (isSwaggerUiPath(requestPath(request))) reply.header('Content-Security-Policy', SWAGGER_UI_CSP);
    done(null, payload);
  });
  app.enableCors({
    origin: config.http.corsOrigins === '*' ? '*' : [...config.http.corsOrigins],
    credentials: false,
    exposedHeaders: [
      ...PAGINATION_HEADERS,
      'X-Request-Id',
      'Location',
      'Retry-After',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
      'ETag',
      'Idempotent-Replayed',
    ],
    maxAge: 600,
    // A preflight without Origin is answered like any other (an empty 204), not with a text/plain 400.
    strictPreflight: false,
  });

  // The org chart page (/org-chart): outside Nest, public, same headers and CSP as every answer.
  await registerOrgChartPage(fastify);

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Organigram')
      .setDescription(
        'Organization directory: people, org-unit tree, org roles and assignments with history. Two dialects over one model: ' +
          "Opsera's People data-mapping API (/api/v2/data/people) and 4HSE's v2 organization API (/v2/org-unit, /v2/org-role, /v2/org-person). " +
          'Errors are RFC 9457 problem details (application/problem+json).',
      )
      .setVersion('0.1.0')
      .addTag('People (Opsera)', "Opsera's People data-mapping API: camelCase, {count, data} lists.")
      .addTag('OrgUnit (4HSE)', '4HSE v2 OrgUnit: the org chart tree.')
      .addTag('OrgRole (4HSE)', '4HSE v2 OrgRole: roles people hold in units.')
      .addTag('OrgPerson (4HSE)', '4HSE v2 OrgPerson: assignments of people to units.')
      .addTag('Sync', 'Bulk sync jobs: an HR export in one job, with a dry run, a safety cap and progress.')
      .addTag('Tokens', 'API tokens: create, list, view, revoke.')
      .addTag('Changes', 'The change log: every write, in commit order (Administrator and above).')
      .addTag('Webhooks', 'Push the change log to receivers in the Standard Webhooks format (Administrator and above).')
      .addTag('Health', 'Liveness and readiness probes (no token).')
      .addTag(
        'SCIM 2.0',
        "SCIM 2.0 (RFC 7643, 7644) for identity providers: Users are people, Groups the org units of the token's project. " +
          'Scope scim; bodies and answers application/scim+json; errors in the SCIM error shape.',
      )
      .addBearerAuth(
        { type: 'http', scheme: 'bearer', bearerFormat: 'ogm_ token', description: 'An API token: Authorization: Bearer ogm_...' },
        BEARER_SCHEME,
      )
      .build(),
    { extraModels: [ProblemDetails, ScimErrorDto] },
  );
  completeDocument(document);
  documentScim(document);
  documentSyncBody(document as never, config.sync.bodyLimitBytes);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
  if (options.documentOnly) return app;

  // Before app.init(): the MikroORM instance exists (NestFactory.create built the container), but no
  // module's init or bootstrap hook has run, so no worker has started yet.
  try {
    await prepareDatabase(app.get(MikroORM), config);
  } catch (error) {
    await app.close().catch(() => undefined);
    throw new DatabaseNotReadyError(databaseUrl, error);
  }
  try {
    await options.beforeInit?.(app.get(MikroORM));
    await app.init();
    await fastify.ready();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}
