import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsDate, IsEmail, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { PageQueryDto } from '../../common/pagination/page.js';
import { FreeText } from '../../common/validation/free-text.js';
import { DATE_INPUT_DOC, DATE_TIME_INPUT_FORMS, ToBoolean, ToDate, ToInt } from '../../common/validation/validation.js';
import { TextField, UuidField } from '../../org-chart/org-api.dto.js';

const NOT_BLANK = { message: 'must not be blank' };
const DATE = { message: 'must be an ISO 8601 date-time such as 2026-01-31T00:00:00.000Z' };
/** Column lengths of person (the same as the single People routes). */
export const LIMITS = { email: 254, name: 100, text: 200, code: 100, unitName: 200, description: 2000 } as const;

export const SYNC_MODES = ['upsert', 'snapshot'] as const;
export type SyncMode = (typeof SYNC_MODES)[number];
export const SYNC_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'aborted'] as const;
export type SyncStatus = (typeof SYNC_STATUSES)[number];
export const SYNC_SECTIONS = ['people', 'org_units', 'org_roles', 'org_persons'] as const;
export type SyncSection = (typeof SYNC_SECTIONS)[number];
export const DEFAULT_MAX_CHANGES = 1000;
export const MAX_MAX_CHANGES = 10_000_000;

function Text(max: number, example: string, description?: string) {
  return (target: object, key: string) => {
    ApiPropertyOptional({ type: String, example, maxLength: max, nullable: true, description })(target, key);
    IsOptional()(target, key);
    IsString()(target, key);
    FreeText()(target, key);
    MaxLength(max)(target, key);
  };
}

function Required(max: number, example: string, description?: string) {
  return (target: object, key: string) => {
    ApiProperty({ type: String, example, maxLength: max, description })(target, key);
    IsString()(target, key);
    FreeText()(target, key);
    MaxLength(max)(target, key);
    Matches(/\S/, NOT_BLANK)(target, key);
  };
}

function DateInput(description: string) {
  return (target: object, key: string) => {
    ApiPropertyOptional({ ...DATE_INPUT_DOC, nullable: true, example: null, description: `${description} ${DATE_TIME_INPUT_FORMS}` })(
      target,
      key,
    );
    IsOptional()(target, key);
    ToDate()(target, key);
    IsDate(DATE)(target, key);
  };
}

/**
 * A person of a sync body (Opsera dialect, as `POST /api/v2/data/people`), matched by email
 * case-insensitively. email, firstName and lastName are required; an absent optional field leaves
 * the stored value unchanged, null (an empty CSV cell) clears it.
 */
export class SyncPersonDto {
  @ApiProperty({ example: 'Ada.Lovelace@example.com', maxLength: LIMITS.email, description: 'The key: matched case-insensitively.' })
  @IsString()
  @FreeText()
  @MaxLength(LIMITS.email)
  @IsEmail({}, { message: 'must be a valid email address' })
  email!: string;

  @Required(LIMITS.name, 'Ada') firstName!: string;
  @Required(LIMITS.name, 'Lovelace') lastName!: string;
  @Text(LIMITS.text, 'Ada Lovelace') displayName?: string | null;
  @Text(LIMITS.text, 'E-1001') externalId?: string | null;
  @Text(LIMITS.text, 'Example Corp') organization?: string | null;
  @Text(LIMITS.text, 'Engineering') business?: string | null;
  @Text(LIMITS.text, 'Platform') department?: string | null;
  @Text(LIMITS.text, 'Runtime') group?: string | null;
  @Text(LIMITS.text, 'Compilers') team?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: LIMITS.email,
    example: 'Grace.Hopper@example.com',
    description:
      'Email of the manager (matched case-insensitively): a stored person or one of this job. Omitted: unchanged; null: no manager. A loop fails the job.',
  })
  @IsOptional()
  @IsString()
  @FreeText()
  @MaxLength(LIMITS.email)
  @IsEmail({}, { message: 'must be a valid email address' })
  managerEmail?: string | null;

  @Text(LIMITS.text, 'Engineering', 'Alias of `business`.') business_group?: string | null;
  @Text(LIMITS.text, 'Platform', 'Alias of `department`.') applicationdepartment?: string | null;
  @Text(LIMITS.text, 'Runtime', 'Alias of `group`.') projectgroup?: string | null;
  @DateInput('Start of validity (null: unbounded).') validFrom?: Date | null;
  @DateInput('End of validity, exclusive (null: unbounded).') validTo?: Date | null;
}

/** An org unit of a sync body (4HSE dialect), matched by `code` within the job's project_id. */
export class SyncOrgUnitDto {
  @Required(LIMITS.code, 'ORG-001', 'The key, unique within the project.') code!: string;
  @Required(LIMITS.unitName, 'HR') name!: string;
  @TextField({ maxLength: LIMITS.description, nullable: true, example: 'HR department' }) description?: string | null;
  @TextField({
    maxLength: LIMITS.code,
    nullable: true,
    example: 'ORG-000',
    description: 'Code of the parent unit (in this body or stored); null: a root.',
  })
  @Matches(/\S/, NOT_BLANK)
  parent_code?: string | null;
  @DateInput('Start of validity (null: unbounded).') valid_from?: Date | null;
  @DateInput('End of validity, exclusive (null: unbounded).') valid_to?: Date | null;
}

/** An org role of a sync body (4HSE dialect), matched by `code` within the job's project_id. */
export class SyncOrgRoleDto {
  @Required(LIMITS.code, 'MGR', 'The key, unique within the project.') code!: string;
  @Required(LIMITS.unitName, 'Manager') name!: string;
  @TextField({ maxLength: LIMITS.description, nullable: true, example: 'Leads the unit' }) description?: string | null;
  @DateInput('Start of validity (null: unbounded).') valid_from?: Date | null;
  @DateInput('End of validity, exclusive (null: unbounded).') valid_to?: Date | null;
}

/** An assignment of a sync body: a person (by email) in a unit (by code), optionally with a role (by code). */
export class SyncOrgPersonDto {
  @ApiProperty({ example: 'ada.lovelace@example.com', maxLength: LIMITS.email })
  @IsString()
  @FreeText()
  @MaxLength(LIMITS.email)
  @IsEmail({}, { message: 'must be a valid email address' })
  person_email!: string;

  @Required(LIMITS.code, 'ORG-001') org_unit_code!: string;

  @TextField({ maxLength: LIMITS.code, nullable: true, example: 'MGR' })
  @Matches(/\S/, NOT_BLANK)
  org_role_code?: string | null;
}

/** The JSON body of POST /api/v2/sync/jobs (read as a stream, so documented here, not validated as a whole). */
export class SyncJobBodyDto {
  @ApiPropertyOptional({ enum: SYNC_MODES, default: 'upsert', description: 'snapshot also historicizes what the body does not contain.' })
  mode?: SyncMode;
  @ApiPropertyOptional({ type: Boolean, default: false, description: 'Plan and report, change nothing.' }) dry_run?: boolean;
  @ApiPropertyOptional({
    type: 'integer',
    format: 'int32',
    minimum: 0,
    maximum: MAX_MAX_CHANGES,
    default: DEFAULT_MAX_CHANGES,
    description: 'A plan with more creates + updates + historicizes is aborted and changes nothing.',
  })
  max_changes?: number;
  @UuidField({ description: 'Project of the units, roles and assignments (null: no project).', nullable: true }) project_id?: string | null;
  @ApiPropertyOptional({ type: [SyncPersonDto], maxItems: 1_000_000 }) people?: SyncPersonDto[];
  @ApiPropertyOptional({ type: [SyncOrgUnitDto], maxItems: 1_000_000 }) org_units?: SyncOrgUnitDto[];
  @ApiPropertyOptional({ type: [SyncOrgRoleDto], maxItems: 1_000_000 }) org_roles?: SyncOrgRoleDto[];
  @ApiPropertyOptional({ type: [SyncOrgPersonDto], maxItems: 1_000_000 }) org_persons?: SyncOrgPersonDto[];
}

/** The options of a job: in the JSON body, or in the query string of a CSV upload. */
export class SyncJobQueryDto {
  @ApiPropertyOptional({ enum: SYNC_MODES, default: 'upsert', description: 'CSV uploads only (JSON: in the body).' })
  @IsOptional()
  @IsIn(SYNC_MODES, { message: `must be one of ${SYNC_MODES.join(', ')}` })
  mode?: SyncMode;

  @ApiPropertyOptional({ type: Boolean, default: false, description: 'CSV uploads only (JSON: in the body).' })
  @IsOptional()
  @ToBoolean()
  @IsBoolean({ message: 'must be true, false, 1 or 0' })
  dry_run?: boolean;

  @ApiPropertyOptional({
    type: 'integer',
    format: 'int32',
    minimum: 0,
    maximum: MAX_MAX_CHANGES,
    default: DEFAULT_MAX_CHANGES,
    description: 'CSV uploads only.',
  })
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(MAX_MAX_CHANGES)
  max_changes?: number;

  @UuidField({ description: 'CSV uploads only (JSON: in the body). People have no project: it matters for units, roles and assignments.' })
  project_id?: string;
}

export class SyncChangesQueryDto extends PageQueryDto {}

export class SyncJobAcceptedDto {
  @ApiProperty({ format: 'uuid', maxLength: 36 }) id!: string;
  @ApiProperty({ enum: ['queued'], example: 'queued' }) status!: 'queued';
}

export class SyncProgressDto {
  @ApiProperty({ example: 100000, description: 'Rows of the body.' }) total!: number;
  @ApiProperty({ example: 40000, description: 'Rows processed so far.' }) done!: number;
}

export class SyncSummaryDto {
  @ApiProperty({ example: 3 }) create!: number;
  @ApiProperty({ example: 1 }) update!: number;
  @ApiProperty({ example: 0 }) historicize!: number;
  @ApiProperty({ example: 96 }) unchanged!: number;
  @ApiProperty({ example: 0, description: 'Rows refused by validation.' }) invalid!: number;
}

export class SyncErrorDto {
  @ApiProperty({
    enum: [...SYNC_SECTIONS, 'csv', 'job'],
    description: '`job` for a reason that is not about one row (aborted over max_changes, a conflict at apply).',
  })
  section!: string;
  @ApiProperty({
    type: 'integer',
    format: 'int32',
    minimum: 0,
    maximum: 2_147_483_647,
    nullable: true,
    description: '0-based within the section; null for `job`.',
  })
  index!: number | null;
  @ApiProperty({ type: String, nullable: true, maxLength: 200, example: 'email' }) field!: string | null;
  @ApiProperty({ maxLength: 500, example: 'must be a valid email address' }) message!: string;
}

export class SyncJobDto {
  @ApiProperty({ format: 'uuid', maxLength: 36 }) id!: string;
  @ApiProperty({ enum: SYNC_STATUSES }) status!: SyncStatus;
  @ApiProperty({ enum: SYNC_MODES }) mode!: SyncMode;
  @ApiProperty() dry_run!: boolean;
  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, maximum: MAX_MAX_CHANGES }) max_changes!: number;
  @ApiProperty({ type: String, format: 'uuid', maxLength: 36, nullable: true }) project_id!: string | null;
  @ApiProperty({ format: 'date-time', maxLength: 30 }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time', maxLength: 30, nullable: true }) started_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', maxLength: 30, nullable: true }) finished_at!: string | null;
  @ApiProperty({ type: SyncProgressDto }) progress!: SyncProgressDto;
  @ApiProperty({ type: SyncSummaryDto }) summary!: SyncSummaryDto;
  @ApiProperty({ type: [SyncErrorDto], maxItems: 1000, description: 'The first 1,000, in section and index order.' })
  errors!: SyncErrorDto[];
}

/**
 * An entity in a change, in its own dialect: a person (Opsera, camelCase) or an org unit, org role or
 * assignment (4HSE, snake_case), without the computed flags.
 */
export class SyncEntityStateDto {
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) id?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) email?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) firstName?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) lastName?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) displayName?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) externalId?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) organization?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) business?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) department?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) group?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) team?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) managerId?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) managerEmail?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) validFrom?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) validTo?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) org_unit_id?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) org_role_id?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) org_person_id?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) person_id?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) code?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) name?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) description?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) parent_org_unit_id?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) project_id?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) valid_from?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 }) valid_to?: string | null;
}

export class SyncChangeDto {
  @ApiProperty({ enum: ['person', 'org-unit', 'org-role', 'org-person'] }) entity!: string;
  @ApiProperty({ maxLength: 500, description: 'email; unit or role code; `email|unit code|role code` for an assignment.' }) key!: string;
  @ApiProperty({ enum: ['create', 'update', 'historicize'] }) op!: string;
  @ApiProperty({ type: String, isArray: true, maxItems: 20, maxLength: 30 }) changed!: string[];
  @ApiProperty({ type: SyncEntityStateDto, nullable: true, description: 'The entity before (null for a create).' })
  before!: SyncEntityStateDto | null;
  @ApiProperty({ type: SyncEntityStateDto, nullable: true, description: 'The entity after.' }) after!: SyncEntityStateDto | null;
}

export class SyncChangeListDto {
  @ApiProperty() count!: number;
  @ApiProperty({ type: [SyncChangeDto], maxItems: 1000 }) data!: SyncChangeDto[];
}
