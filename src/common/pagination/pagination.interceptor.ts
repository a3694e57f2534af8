import {
  applyDecorators,
  Injectable,
  SetMetadata,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiExtraModels, ApiHeader, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, type Observable } from 'rxjs';
import { COMPAT_QUERY_PARAM } from '../auth/token-extraction.js';
import { MAX_PER_PAGE, type Page } from './page.js';

/** How a dialect renders a list: Opsera `{count, data}` or 4HSE's bare array. */
export const ListShape = { Envelope: 'envelope', Array: 'array' } as const;
export type ListShape = (typeof ListShape)[keyof typeof ListShape];
export const LIST_SHAPE_KEY = 'organigram:listShape';

export const PAGINATION_HEADERS = [
  'X-Pagination-Current-Page',
  'X-Pagination-Page-Count',
  'X-Pagination-Per-Page',
  'X-Pagination-Total-Count',
  'Link',
] as const;

/** The query parameter of a keyset cursor (GET lists that offer one). */
export const CURSOR_PARAM = 'cursor';

export function pageCount(total: number, perPage: number): number {
  return Math.ceil(total / perPage);
}

/**
 * RFC 8288 Link header with first/prev/next/last, as relative references built from the request URL.
 * With `nextCursor`, `next` also carries it as `cursor` (a keyset: following next costs the same at
 * any depth); the other links are by page number only.
 */
export function linkHeader(url: string, page: number, pages: number, nextCursor?: string): string {
  const [path, query = ''] = url.split('?', 2);
  const params = new URLSearchParams(query);
  params.delete(COMPAT_QUERY_PARAM); // never echo a credential
  params.delete(CURSOR_PARAM);
  const at = (n: number, cursor?: string) => {
    params.set('page', String(n));
    if (cursor === undefined) return `<${path}?${params.toString()}>`;
    const withCursor = new URLSearchParams(params);
    withCursor.set(CURSOR_PARAM, cursor);
    return `<${path}?${withCursor.toString()}>`;
  };
  const last = Math.max(pages, 1);
  const links = [`${at(1)}; rel="first"`];
  if (page > 1) links.push(`${at(Math.min(page - 1, last))}; rel="prev"`);
  if (page < last) links.push(`${at(page + 1, nextCursor)}; rel="next"`);
  links.push(`${at(last)}; rel="last"`);
  return links.join(', ');
}

/** Writes X-Pagination-* (and Link on GET) for a {@link Page} and renders it in the route's shape. */
@Injectable()
export class PaginationInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const shape = this.reflector.get<ListShape>(LIST_SHAPE_KEY, context.getHandler()) ?? ListShape.Envelope;
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    return next.handle().pipe(
      map((page: Page<unknown>) => {
        const pages = pageCount(page.total, page.perPage);
        reply.header('X-Pagination-Current-Page', String(page.page));
        reply.header('X-Pagination-Page-Count', String(pages));
        reply.header('X-Pagination-Per-Page', String(page.perPage));
        reply.header('X-Pagination-Total-Count', String(page.total));
        if (request.method === 'GET') reply.header('Link', linkHeader(request.url, page.page, pages, page.nextCursor));
        return shape === ListShape.Array ? page.items : { count: page.total, data: page.items };
      }),
    );
  }
}

const header = (name: string, description: string) => ({
  [name]: { description, schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 2_147_483_647 } },
});

/** Marks a route as a paginated list: interceptor, shape, and the documented headers. */
export function Paginated(shape: ListShape, type: unknown, description: string) {
  const headers = {
    ...header('X-Pagination-Current-Page', 'The current page (from 1).'),
    ...header('X-Pagination-Page-Count', 'Number of pages.'),
    ...header('X-Pagination-Per-Page', 'Page size.'),
    ...header('X-Pagination-Total-Count', 'Number of matching rows.'),
    ...(shape === ListShape.Envelope
      ? { Link: { description: 'RFC 8288 links: first, prev, next, last.', schema: { type: 'string', maxLength: 8192 } } }
      : {}),
  };
  return applyDecorators(
    SetMetadata(LIST_SHAPE_KEY, shape),
    UseInterceptors(PaginationInterceptor),
    // A bare array (4HSE) is documented with its bound; an envelope DTO carries its own.
    Array.isArray(type)
      ? ApiResponse({
          status: 200,
          description,
          headers,
          schema: { type: 'array', maxItems: MAX_PER_PAGE, items: { $ref: getSchemaPath(type[0] as new () => unknown) } },
        })
      : ApiResponse({ status: 200, description, type: type as never, headers }),
    ...(Array.isArray(type) ? [ApiExtraModels(type[0] as new () => unknown)] : []),
    ApiHeader({
      name: 'X-Request-Id',
      required: false,
      description: 'Optional request id, echoed back.',
      schema: { type: 'string', maxLength: 128 },
    }),
  );
}
