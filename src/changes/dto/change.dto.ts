import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { ToInt } from '../../common/validation/validation.js';
import { FreeText } from '../../common/validation/free-text.js';
import { UuidField } from '../../org-chart/org-api.dto.js';

export const CHANGE_ENTITIES = ['person', 'org-unit', 'org-role', 'org-person'] as const;
export type ChangeEntity = (typeof CHANGE_ENTITIES)[number];
export const CHANGE_OPS = ['create', 'update', 'historicize', 'delete'] as const;
export type ChangeOp = (typeof CHANGE_OPS)[number];

export const MAX_CHANGES = 1000;
export const DEFAULT_CHANGES = 100;
export const MAX_WAIT_SECONDS = 30;
export const CURSOR_MAX_LENGTH = 64;

/** Query of GET /api/v2/changes. */
export class ChangesQueryDto {
  @ApiPropertyOptional({
    description: 'Cursor: the `next` (or an event `id`) of an earlier answer. Absent: from the oldest event kept.',
    maxLength: CURSOR_MAX_LENGTH,
    pattern: '^[A-Za-z0-9_-]+$',
    example: 'YzEuMTIuMw',
  })
  @IsOptional()
  @IsString()
  @FreeText()
  @MaxLength(CURSOR_MAX_LENGTH)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'is not a cursor of this feed' })
  after?: string;

  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: 1, maximum: MAX_CHANGES, default: DEFAULT_CHANGES, example: 100 })
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(MAX_CHANGES)
  limit?: number;

  @ApiPropertyOptional({ enum: CHANGE_ENTITIES, description: 'Only events of this entity type.' })
  @IsOptional()
  @IsIn(CHANGE_ENTITIES)
  entity?: ChangeEntity;

  @UuidField({ description: 'Only events of this entity (dashed or 32 hex digits).' })
  entity_id?: string;

  @ApiPropertyOptional({
    type: 'integer',
    format: 'int32',
    minimum: 0,
    maximum: MAX_WAIT_SECONDS,
    default: 0,
    description: 'Seconds to wait for a first event when none is there yet (long polling).',
  })
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(MAX_WAIT_SECONDS)
  wait?: number;
}

export class ChangeActorDto {
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The acting token; null for the CLI or the system.' })
  token_id!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'hr-sync' }) token_name!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'Administrator' }) role!: string | null;
}

const ENTITY_DOC =
  'The entity in its own dialect: a person as in the Opsera API (camelCase); units, roles and assignments as in the 4HSE API ' +
  '(snake_case) without owned_active and parent_active (and, for assignments, without the joined read-only fields). Null for the side that does not exist.';

/** One event of the change log. */
export class ChangeEventDto {
  @ApiProperty({ description: 'Opaque cursor of this event.', maxLength: CURSOR_MAX_LENGTH, example: 'YzEuMTIuMw' }) id!: string;
  @ApiProperty({ format: 'date-time', description: 'When the write committed.', example: '2026-12-01T10:00:00.000Z' }) at!: string;
  @ApiProperty({ type: ChangeActorDto }) actor!: ChangeActorDto;
  @ApiProperty({ type: String, nullable: true, description: 'X-Request-Id of the write; null outside a request.' })
  request_id!: string | null;
  @ApiProperty({ enum: CHANGE_ENTITIES }) entity!: ChangeEntity;
  @ApiProperty({ format: 'uuid' }) entity_id!: string;
  @ApiProperty({ enum: CHANGE_OPS }) op!: ChangeOp;
  @ApiProperty({ type: [String], maxItems: 50, description: 'Field names (in the entity dialect) whose value changed.' })
  changed!: string[];
  @ApiProperty({ type: Object, nullable: true, description: ENTITY_DOC })
  before!: Record<string, unknown> | null;
  @ApiProperty({ type: Object, nullable: true, description: ENTITY_DOC })
  after!: Record<string, unknown> | null;
}

export class ChangePageDto {
  @ApiProperty({ type: [ChangeEventDto], maxItems: MAX_CHANGES }) data!: ChangeEventDto[];
  @ApiProperty({ description: 'Cursor to pass as `after` next time.', maxLength: CURSOR_MAX_LENGTH }) next!: string;
}
