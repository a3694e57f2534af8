import {
  applyDecorators,
  HttpCode,
  Injectable,
  SetMetadata,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { map, type Observable } from 'rxjs';

const LOCATION_KEY = 'organigram:location';
type LocationOf = (body: never) => string;

@Injectable()
export class LocationInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const locate = this.reflector.get<LocationOf>(LOCATION_KEY, context.getHandler());
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      map((body: unknown) => {
        reply.header('Location', locate(body as never));
        return body;
      }),
    );
  }
}

/** 201 Created with a Location header computed from the response body. */
export function Created<T>(location: (body: T) => string) {
  return applyDecorators(HttpCode(201), SetMetadata(LOCATION_KEY, location), UseInterceptors(LocationInterceptor));
}
