import {
  applyDecorators,
  HttpCode,
  Injectable,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { map, type Observable } from 'rxjs';

/** 202 Accepted with a Location header computed from the response body. */
export function Accepted<T>(location: (body: T) => string) {
  @Injectable()
  class AcceptedLocation implements NestInterceptor {
    intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
      const reply = context.switchToHttp().getResponse<FastifyReply>();
      return next.handle().pipe(
        map((body: unknown) => {
          reply.header('Location', location(body as T));
          return body;
        }),
      );
    }
  }
  return applyDecorators(HttpCode(202), UseInterceptors(AcceptedLocation));
}
