import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsDate, IsDefined, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { DEFAULT_PER_PAGE, MAX_PER_PAGE, type PageRequest } from '../common/pagination/page.js';
import { DeleteQueryDto } from '../common/http/delete-query.dto.js';
import { FreeText } from '../common/validation/free-text.js';
import { AsOfField } from '../common/validation/as-of.js';
import {
  DATE_INPUT_DOC,
  DATE_TIME_INPUT_FORMS,
  ToDate,
  ToUuid,
  UUID_DOC,
  UUID_MESSAGE,
  UUID_PATTERN,
} from '../common/validation/validation.js';

/** The longest ISO 8601 date-time the date parser accepts (microseconds and a ±hh:mm offset). */
export const ISO_MAX_LENGTH = 35;

const DATE = { message: 'must be an ISO 8601 date-time such as 2026-01-31T00:00:00.000Z' };

/** A UUID field (dashed or 32 hex, normalized to dashed lowercase). */
export function UuidField(options: { description: string; nullable?: boolean; example?: string }) {
  return (target: object, key: string) => {
    ApiPropertyOptional({
      ...UUID_DOC,
      nullable: options.nullable,
      description: options.description,
      example: options.example,
    })(target, key);
    IsOptional()(target, key);
    ToUuid()(target, key);
    IsString(UUID_MESSAGE)(target, key);
    FreeText()(target, key);
    Matches(UUID_PATTERN, UUID_MESSAGE)(target, key);
  };
}

/**
 * A required UUID field. No IsOptional here: class-validator skips every other rule, IsDefined
 * included, once IsOptional sees undefined or null.
 */
export function RequiredUuidField(options: { description: string; example?: string }) {
  return (target: object, key: string) => {
    ApiProperty({ ...UUID_DOC, description: options.description, example: options.example })(target, key);
    IsDefined({ message: 'is required' })(target, key);
    ToUuid()(target, key);
    IsString(UUID_MESSAGE)(target, key);
    FreeText()(target, key);
    Matches(UUID_PATTERN, UUID_MESSAGE)(target, key);
  };
}

/** A bounded text field (null allowed where the column is nullable). */
export function TextField(options: { maxLength: number; description?: string; example?: string; nullable?: boolean }) {
  return (target: object, key: string) => {
    ApiPropertyOptional({
      type: String,
      maxLength: options.maxLength,
      nullable: options.nullable,
      description: options.description,
      example: options.example,
    })(target, key);
    IsOptional()(target, key);
    IsString()(target, key);
    FreeText()(target, key);
    MaxLength(options.maxLength)(target, key);
  };
}

/** valid_from / valid_to: ISO 8601, null for unbounded. */
export function DateField(description: string) {
  return (target: object, key: string) => {
    ApiPropertyOptional({ ...DATE_INPUT_DOC, nullable: true, description: `${description} ${DATE_TIME_INPUT_FORMS}`, example: null })(
      target,
      key,
    );
    IsOptional()(target, key);
    ToDate()(target, key);
    IsDate(DATE)(target, key);
  };
}

/** A boolean filter (owned_active, parent_active). */
export function BoolField(description: string) {
  return (target: object, key: string) => {
    ApiPropertyOptional({ type: Boolean, description })(target, key);
    IsOptional()(target, key);
    IsBoolean({ message: 'must be true or false' })(target, key);
  };
}

/** `per-page` and `page` of the POST bodies that page (the 4HSE index, the descendants). */
export abstract class PageBodyBase {
  @ApiPropertyOptional({
    name: 'per-page',
    type: 'integer',
    format: 'int32',
    minimum: 1,
    maximum: MAX_PER_PAGE,
    default: DEFAULT_PER_PAGE,
    example: 20,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_PER_PAGE)
  'per-page'?: number;

  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: 1, maximum: 1_000_000, default: 1, example: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  page?: number;

  pageRequest(): PageRequest {
    return { page: this.page ?? 1, perPage: this['per-page'] ?? DEFAULT_PER_PAGE };
  }
}

/** Body fields of every POST /v2/{res}/index besides `filter` (which each resource types itself). */
export abstract class IndexRequestBase extends PageBodyBase {
  @ApiPropertyOptional({ description: "Comma-separated fields, '-' for descending; the id breaks ties.", example: 'name', maxLength: 500 })
  @IsOptional()
  @IsString()
  @FreeText()
  @MaxLength(500)
  sort?: string;

  @ApiPropertyOptional({ description: 'If true, includes historicized (inactive) entries.', example: false })
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  history?: boolean;

  @AsOfField(true) as_of?: Date | null;
}

/** `?id=` of the query-string forms of view, update and historicize (the path form needs none). */
export class IdQueryDto {
  @ApiPropertyOptional({ type: String, maxLength: 64, description: 'The id, for the ?id= form (dashed or 32 hex digits).' })
  @IsOptional()
  @IsString()
  @FreeText()
  @MaxLength(64)
  id?: string;
}

/** Query of GET /v2/{res}/view: the `?id=` form and `as_of` (contract section 10.2). */
export class ViewQueryDto extends IdQueryDto {
  @AsOfField() as_of?: Date;
}

/** DELETE query: `?id=` form plus force / historicize (true/false/1/0). */
export class OrgDeleteQueryDto extends DeleteQueryDto {
  @ApiPropertyOptional({ type: String, maxLength: 64, description: 'The id, for the ?id= form (dashed or 32 hex digits).' })
  @IsOptional()
  @IsString()
  @FreeText()
  @MaxLength(64)
  id?: string;
}

/** Body of POST /v2/{res}/historicize/{id}. */
export class HistoricizeDto {
  @DateField('The new valid_to (default: now).')
  date?: Date;
}
