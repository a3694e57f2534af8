import { ArgumentsHost, Catch, HttpException, Inject, Logger, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { classifyDatabaseError } from '../../database/database-errors.js';
import { DomainError } from './domain-errors.js';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE, type ProblemDetails } from './problem.js';
import { requestPath } from '../http/request-path.js';
import { isScimPath, scimErrorBody, scimMediaType } from './scim-error.js';

export interface Problem {
  status: number;
  slug: string;
  title: string;
  detail: string;
  headers?: Record<string, string>;
  extensions?: Record<string, unknown>;
}

const TITLES: Record<number, [string, string]> = {
  400: ['bad-request', 'Bad request'],
  401: ['unauthorized', 'Unauthorized'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  408: ['request-timeout', 'Request timeout'],
  406: ['not-acceptable', 'Not acceptable'],
  409: ['conflict', 'Conflict'],
  413: ['payload-too-large', 'Payload too large'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  429: ['rate-limited', 'Too many requests'],
  431: ['headers-too-large', 'Request header fields too large'],
  500: ['internal-error', 'Internal server error'],
  503: ['service-unavailable', 'Service unavailable'],
};

function generic(status: number, detail: string): Problem {
  const [slug, title] = TITLES[status] ?? (status >= 500 ? TITLES[500] : TITLES[400]);
  return { status, slug, title, detail };
}

/**
 * The single place where errors become HTTP responses: RFC 9457 problem details, with the request id,
 * never a stack trace or SQL text. Unknown errors are logged with the request id and answered 500.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const problem = this.toProblem(exception, request);
    sendProblem(reply, request, problem);
  }

  toProblem(exception: unknown, request: FastifyRequest): Problem {
    if (exception instanceof DomainError) {
      return {
        status: exception.status,
        slug: exception.slug,
        title: exception.title,
        detail: exception.message,
        headers: exception.headers(),
        extensions: exception.extensions(),
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const message =
        typeof body === 'string'
          ? body
          : typeof (body as { message?: unknown }).message === 'string'
            ? (body as { message: string }).message
            : exception.message;
      return generic(status, status === 404 ? `No route for ${request.method} ${requestPath(request)}` : message);
    }
    const fastifyStatus = (exception as { statusCode?: unknown })?.statusCode;
    if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
      return fromFastify(fastifyStatus, exception as Error & { code?: string });
    }
    const failure = classifyDatabaseError(exception);
    if (failure?.kind === 'unavailable') {
      this.logger.warn({ msg: 'database unavailable', reason: failure.reason, requestId: request.id, error: (exception as Error).message });
      const retry = String(this.config.database.retryAfterSeconds);
      return { ...generic(503, 'The database is unavailable; retry later.'), headers: { 'Retry-After': retry } };
    }
    if (failure?.kind === 'invalid') return generic(400, 'A value was refused by the database (too long, malformed or out of range).');
    if (failure?.kind === 'conflict')
      return generic(409, 'The request conflicts with the current state of a related record; reload and retry.');
    this.logger.error({ msg: 'unhandled error', requestId: request.id, err: exception });
    return generic(500, 'An unexpected error occurred. Quote the requestId when reporting it.');
  }
}

function fromFastify(status: number, error: Error & { code?: string }): Problem {
  if (error.code === 'FST_ERR_BAD_URL') return generic(400, 'The URL is not valid percent-encoding.');
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH' || status === 414) return generic(400, 'A path parameter is longer than allowed.');
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413)
    return generic(413, 'The request body is larger than the configured limit.');
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) return generic(415, 'Send request bodies as application/json.');
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return generic(400, 'The request body is empty but the content type says JSON.');
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY')
    return generic(400, 'The request body is not valid JSON.');
  return generic(status, 'The request could not be parsed.');
}

/**
 * The raw HTTP answer for a connection-level client error (an over-long request line or header, a
 * malformed request): Node's parser rejects these before any route or request object exists, so
 * Fastify's clientErrorHandler writes this to the socket directly.
 */
export function clientErrorResponse(error: Error & { code?: string }, requestId: string): string {
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const detail =
    status === 431
      ? 'The request line or headers are larger than allowed.'
      : status === 408
        ? 'The request took too long to arrive.'
        : 'The request is not valid HTTP.';
  const problem = generic(status, detail);
  const body = JSON.stringify({ type: PROBLEM_TYPE_BASE + problem.slug, title: problem.title, status, detail, instance: '/', requestId });
  return [
    `HTTP/1.1 ${status} ${problem.title}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${requestId}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/** Writes a problem response; `beforeSend` sees the reply with every header set, just before it is sent. */
export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  problem: Problem,
  beforeSend?: (reply: FastifyReply) => void,
): void {
  for (const [name, value] of Object.entries(problem.headers ?? {})) reply.header(name, value);
  // Under /scim/v2 every error is a SCIM error (contract section 13.7), whoever raised it.
  if (isScimPath(requestPath(request))) {
    reply.status(problem.status).header('content-type', `${scimMediaType(request.headers.accept)}; charset=utf-8`);
    beforeSend?.(reply);
    void reply.send(JSON.stringify(scimErrorBody(problem, String(request.id))));
    return;
  }
  const body: ProblemDetails = {
    type: PROBLEM_TYPE_BASE + problem.slug,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    instance: requestPath(request),
    requestId: String(request.id),
    ...problem.extensions,
  };
  reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE);
  beforeSend?.(reply);
  void reply.send(JSON.stringify(body));
}
