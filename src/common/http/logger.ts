import type { LoggerService } from '@nestjs/common';
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { AppConfig } from '../../config/app-config.js';
import type { Principal } from '../auth/principal.js';

/** Query parameters that can carry credentials; stripped from every logged URL. */
const SECRET_PARAMS = /([?&])(access-token|access_token|token)=[^&#]*/gi;
/** One path segment, query parameter name or value: the pieces a token value could hide in. */
const URL_PART = /[^/?&=#;]+/g;
const TOKEN_VALUE = /ogm_/i;
const TOKEN_WORD = /token/i;
/** Every URL the two patterns above could change contains one of these (case-insensitively). */
const MAY_HOLD_SECRET = /token|ogm_|%/i;

/** Percent-decoding of ASCII only, repeated: enough to see an `ogm_` however it was encoded. */
function decodeAscii(part: string): string {
  let current = part;
  for (let i = 0; i < 3; i++) {
    const next = current.replace(/%([0-7][0-9a-f])/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    if (next === current) break;
    current = next;
  }
  return current;
}

/**
 * The URL as logged: the values of token-bearing parameters, and every path segment, parameter
 * name or value that holds a token value (`ogm_`, also percent-encoded, e.g. `?access%2Dtoken=ogm_…`
 * under AUTH_COMPAT), are replaced by `[redacted]`.
 */
export function redactUrl(url: string | undefined): string | undefined {
  // Nothing to redact without a token parameter, a token value or an encoding that could hide one.
  if (url === undefined || !MAY_HOLD_SECRET.test(url)) return url;
  // Percent-encoding alone (an email's `%40` in a path): nothing to redact unless the URL names a token
  // parameter or its decoding holds a token value. Decoding the whole URL decodes each part (an escape
  // never spans a separator), so this finds every part the replacement below would (issue 10: the
  // per-part walk was 1 % of a person read's CPU).
  if (!TOKEN_WORD.test(url) && !TOKEN_VALUE.test(decodeAscii(url))) return url;
  return url
    ?.replace(SECRET_PARAMS, '$1$2=[redacted]')
    .replace(URL_PART, (part) => (TOKEN_VALUE.test(decodeAscii(part)) ? '[redacted]' : part));
}

/** The URL without its query string (and fragment). */
function pathOf(url: string | undefined): string | undefined {
  const end = url?.search(/[?#]/) ?? -1;
  return end < 0 ? url : url?.slice(0, end);
}

/**
 * The token a request acted with, as logged: `tokenId` and `tokenName`, never the secret; both null
 * without authentication. (Not under a `token` key: that one is censored wherever it appears.)
 */
export function actingToken(request: object): { tokenId: string | null; tokenName: string | null } {
  const user = (request as { user?: Principal }).user;
  return user && typeof user.tokenId === 'string' ? { tokenId: user.tokenId, tokenName: user.name } : { tokenId: null, tokenName: null };
}

/**
 * Fastify's request log lines, made to name the acting token. One line per request, when it has
 * been answered (`request completed`, or `request errored`): request id, method, redacted URL,
 * client address, status, time taken and the acting token (`tokenId`, `tokenName`, null without
 * one). Fastify's `incoming request` line is not written: it comes before authentication, so it
 * could not name the token. Its `route not found` line goes through the URL redaction too.
 */
export class RequestLogController extends LogController {
  /**
   * The completion lines of requests answered without error, written without pino's redaction: their
   * fields are safe by construction (the serialized request has no headers, the URL is redacted by
   * {@link redactUrl}, the token is named by id and name only), and redaction's `*.token` path passed
   * every field of every line through the redactor (1.5 % of an org-person index's CPU, issue 10).
   * Same fields, same order (`reqId` first, as the request's own logger binds it). Error lines keep it.
   */
  private readonly completions?: Logger;

  /** `requests` false (LOG_REQUESTS=false): no line for a request answered without error. */
  constructor(
    private readonly requests = true,
    logger?: Logger,
  ) {
    super();
    this.completions = logger?.child({}, { redact: [] });
  }

  override incomingRequest(): void {
    // Before authentication: the completion line carries everything, the token included.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (!error && !this.requests) return;
    const fields = { req: request, res: reply, responseTime: reply.elapsedTime, ...actingToken(request) };
    if (error) reply.log.error({ ...fields, err: error }, 'request errored');
    else if (this.completions) this.completions.info({ reqId: request.id, ...fields }, 'request completed');
    else reply.log.info(fields, 'request completed');
  }

  override routeNotFound(request: FastifyRequest): void {
    request.log.info({ req: request }, 'route not found');
  }
}

/**
 * Structured JSON logs (pino, Fastify's own logger), on standard output unless a destination is
 * given (tests). Request lines carry the request id and the acting token; the Authorization header,
 * cookies and token values never reach a log line.
 */
export function createLogger(config: AppConfig, destination?: DestinationStream): Logger {
  const options = {
    level: config.log.level,
    base: { service: 'organigram' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'token', '*.token', 'headers.authorization'],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: IncomingMessage & { id?: string; ip?: string }) => ({
        id: req.id,
        method: req.method,
        // The path only unless LOG_REQUEST_QUERY: query strings carry search terms (names, emails).
        url: redactUrl(config.log.requestQuery ? req.url : pathOf(req.url)),
        remoteAddress: req.ip ?? req.socket?.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      err: pino.stdSerializers.err,
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Nest's logger API over the same pino instance, so framework and app logs are JSON too. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    this.write('info', message, context);
  }
  error(message: unknown, traceOrContext?: string, context?: string) {
    this.write('error', message, context ?? traceOrContext);
  }
  warn(message: unknown, context?: string) {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string) {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string) {
    this.write('trace', message, context);
  }
  fatal(message: unknown, context?: string) {
    this.write('fatal', message, context);
  }
  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, context?: string) {
    if (message !== null && typeof message === 'object') this.logger[level]({ context, ...message });
    else this.logger[level]({ context }, String(message));
  }
}
