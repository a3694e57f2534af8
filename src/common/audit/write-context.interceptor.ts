import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import { writeContext, type WriteContext } from '../../database/write-context.js';
import type { Principal } from '../auth/principal.js';

/**
 * Runs every request's handler inside {@link writeContext}: the acting token (from the bearer
 * guard's principal) and the request id, so that each transaction the request opens tells the
 * change-log triggers who wrote (docs/decisions.md, "Change log"). Public routes run with null
 * actor fields; GET and HEAD, which write nothing the log records, run without the store.
 */
@Injectable()
export class WriteContextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<{ id?: string; method?: string; user?: Principal }>();
    // Reads write nothing the change log records: no store to set up on them (issue 10).
    if (request.method === 'GET' || request.method === 'HEAD') return next.handle();
    const user = request.user;
    const store: WriteContext = {
      actor: { tokenId: user?.tokenId ?? null, tokenName: user?.name ?? null, role: user?.role ?? null },
      requestId: String(request.id ?? ''),
    };
    // Subscribing inside run() starts the handler there, so every promise it creates carries the store.
    return new Observable((subscriber) => writeContext.run(store, () => next.handle().subscribe(subscriber)));
  }
}
