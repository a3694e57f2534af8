import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { completeDocument } from './common/openapi/complete-document.js';
import helmet from '@fastify/helmet';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app-config.js';
import { BEARER_SCHEME } from './common/auth/authorize.decorator.js';
import { ProblemDetails } from './common/errors/problem.js';
import { clientErrorResponse, ProblemDetailsFilter, sendProblem } from './common/errors/problem-details.filter.js';
import type { Socket } from 'node:net';
import { createLogger, PinoNestLogger, RequestLogController } from './common/http/logger.js';
import type { DestinationStream } from 'pino';
import { PAGINATION_HEADERS } from './common/pagination/pagination.interceptor.js';
import { assertSafeInput } from './common/validation/input-guard.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts a well-formed X-Request-Id from the client, otherwise generates one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Builds the whole application exactly as production runs it; main.ts and every e2e test use this,
 * so tests exercise the real adapter, hooks, filters, pipes and docs.
 */
export async function createApp(
  config: AppConfig,
  databaseUrl: string,
  options: { logDestination?: DestinationStream } = {},
): Promise<NestFastifyApplication> {
  const logger = createLogger(config, options.logDestination);
  const filter = new ProblemDetailsFilter(config);
  const adapter = new FastifyAdapter({
    // Router errors (malformed percent-encoding, over-long parameters) happen before Nest: same problem shape.
    clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => {
      if (socket.writable) socket.end(clientErrorResponse(error, randomUUID()));
      else socket.destroy();
    },
    frameworkErrors: (error: Error & { code?: string; statusCode?: number }, request: FastifyRequest, reply: FastifyReply) => {
      reply.header('X-Request-Id', request.id);
      sendProblem(reply, request, filter.toProblem(error, request));
    },
    loggerInstance: logger,
    // One line per request, written once the acting token is known.
    logController: new RequestLogController(),
    bodyLimit: config.http.bodyLimitBytes,
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
  // Bodies are JSON only: text and form bodies are a 415, never strings or fields handed to the validators.
  fastify.removeContentTypeParser('text/plain');
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    reply.header('X-Request-Id', request.id);
    done();
  });
  // Errors thrown here, and Fastify's own (body parsing, size limit), reach the same global filter.
  // Before any DTO or database sees the input: NUL characters and absurd nesting are a 400.
  fastify.addHook('preHandler', (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void) => {
    try {
      assertSafeInput(request.body, 'body');
      assertSafeInput(request.query, 'query');
      done();
    } catch (error) {
      done(error as Error);
    }
  });
  await app.register(helmet, {
    // The API answers JSON; only the Swagger UI under /docs needs scripts, styles and images of its own.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        frameAncestors: ["'none'"],
        // Served over plain http on localhost too; TLS is the deployment's business (HSTS stays on).
        upgradeInsecureRequests: null,
      },
    },
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
    ],
    maxAge: 600,
    // A preflight without Origin is answered like any other (an empty 204), not with a text/plain 400.
    strictPreflight: false,
  });

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
      .addTag('Tokens', 'API tokens: create, list, view, revoke.')
      .addTag('Health', 'Liveness and readiness probes (no token).')
      .addBearerAuth(
        { type: 'http', scheme: 'bearer', bearerFormat: 'ogm_ token', description: 'An API token: Authorization: Bearer ogm_...' },
        BEARER_SCHEME,
      )
      .build(),
    { extraModels: [ProblemDetails] },
  );
  completeDocument(document);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });

  await app.init();
  await fastify.ready();
  return app;
}
