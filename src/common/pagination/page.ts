import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { IsOptional } from 'class-validator';
import { ToInt } from '../validation/validation.js';

export const MAX_PER_PAGE = 1000;
export const DEFAULT_PER_PAGE = 100;

/** One page of a list, as services return it; the pagination interceptor renders it per dialect. */
export interface Page<T> {
  readonly items: T[];
  readonly total: number;
  readonly page: number;
  readonly perPage: number;
  /** The keyset cursor of the next page (GET lists that offer one): `rel="next"` carries it. */
  readonly nextCursor?: string;
}

export interface PageRequest {
  readonly page: number;
  readonly perPage: number;
}

export function offsetOf(request: PageRequest): number {
  return (request.page - 1) * request.perPage;
}

/** `page` and `per-page` of GET lists (query string). */
export class PageQueryDto {
  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: 1, maximum: 1_000_000, default: 1, example: 1 })
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  page?: number;

  @ApiPropertyOptional({
    name: 'per-page',
    type: 'integer',
    format: 'int32',
    minimum: 1,
    maximum: MAX_PER_PAGE,
    default: DEFAULT_PER_PAGE,
    example: 100,
  })
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(MAX_PER_PAGE)
  'per-page'?: number;

  toPageRequest(): PageRequest {
    return { page: this.page ?? 1, perPage: this['per-page'] ?? DEFAULT_PER_PAGE };
  }
}
