import { Injectable, UseInterceptors, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { InvalidInputError } from '../common/errors/domain-errors.js';

/**
 * PHP encodes an empty array as `[]`, so 4HSE's client sends `[]` for "no fields" (contract section
 * 4.1). On the routes that carry this interceptor (4HSE update, historicize and index), a body of
 * exactly `[]` is read as `{}`; any other array is a 400 naming `body`. Interceptors run before the
 * pipes, so the DTO sees `{}`.
 */
export const ARRAY_MESSAGE = 'must be a JSON object ([] alone is read as {})';

@Injectable()
export class EmptyArrayBodyInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<{ body?: unknown }>();
    if (Array.isArray(request.body)) {
      if (request.body.length > 0) throw InvalidInputError.field('body', ARRAY_MESSAGE);
      request.body = {};
    }
    return next.handle();
  }
}

/** Reads a `[]` body as `{}` on this route. */
export const EmptyArrayMeansNoFields = () => UseInterceptors(EmptyArrayBodyInterceptor);
