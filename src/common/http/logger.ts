import type { LoggerService } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { pino, type Logger } from 'pino';
import type { AppConfig } from '../../config/app-config.js';

/** Query parameters that can carry credentials; stripped from every logged URL. */
const SECRET_PARAMS = /([?&])(access-token|access_token|token)=[^&#]*/gi;

export function redactUrl(url: string | undefined): string | undefined {
  return url?.replace(SECRET_PARAMS, '$1$2=[redacted]');
}

/**
 * Structured JSON logs (pino, Fastify's own logger). Request lines carry the request id; the
 * Authorization header, cookies and token-bearing query parameters never reach a log line.
 */
export function createLogger(config: AppConfig): Logger {
  return pino({
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
        url: redactUrl(req.url),
        remoteAddress: req.ip ?? req.socket?.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      err: pino.stdSerializers.err,
    },
  });
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
