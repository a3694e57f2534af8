import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsBoolean, IsDate, IsEmail, isEmail, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { InvalidInputError } from '../../common/errors/domain-errors.js';
import { edgePipe } from '../../common/validation/edge-pipe.js';
import { MAX_PER_PAGE, PageQueryDto } from '../../common/pagination/page.js';
import { CursorField } from '../../common/pagination/cursor.js';
import { FreeText } from '../../common/validation/free-text.js';
import { DATE_INPUT_DOC, DATE_TIME_INPUT_FORMS, ToBoolean, ToDate } from '../../common/validation/validation.js';
import { AsOfField } from '../../common/validation/as-of.js';
import { PERSON_LIMITS } from '../person.entity.js';

const NOT_BLANK = { message: 'must not be blank' };
const DATE = { message: 'must be an ISO 8601 date-time such as 2026-01-31T00:00:00.000Z' };

function OptionalText(example: string, description?: string) {
  return (target: object, key: string) => {
    ApiPropertyOptional({ type: String, example, maxLength: PERSON_LIMITS.text, nullable: true, description })(target, key);
    IsOptional()(target, key);
    IsString()(target, key);
    FreeText()(target, key);
    MaxLength(PERSON_LIMITS.text)(target, key);
  };
}

/** Body of POST /api/v2/data/people. The older Opsera names are accepted as aliases. */
export class CreatePersonDto {
  @ApiProperty({
    example: 'Ada.Lovelace@example.com',
    maxLength: PERSON_LIMITS.email,
    description: 'Unique regardless of case; stored as sent.',
  })
  @IsString()
  @FreeText()
  @MaxLength(PERSON_LIMITS.email)
  @IsEmail({}, { message: 'must be a valid email address' })
  email!: string;

  @ApiProperty({ example: 'Ada', maxLength: PERSON_LIMITS.name })
  @IsString()
  @FreeText()
  @MaxLength(PERSON_LIMITS.name)
  @Matches(/\S/, NOT_BLANK)
  firstName!: string;

  @ApiProperty({ example: 'Lovelace', maxLength: PERSON_LIMITS.name })
  @IsString()
  @FreeText()
  @MaxLength(PERSON_LIMITS.name)
  @Matches(/\S/, NOT_BLANK)
  lastName!: string;

  @OptionalText('Ada Lovelace') displayName?: string | null;
  @OptionalText('E-1001', 'Identifier of the person in the source system (HR, IdP).') externalId?: string | null;
  @OptionalText('Example Corp') organization?: string | null;
  @OptionalText('Engineering') business?: string | null;
  @OptionalText('Platform') department?: string | null;
  @OptionalText('Runtime') group?: string | null;
  @OptionalText('Compilers') team?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: PERSON_LIMITS.email,
    example: 'Grace.Hopper@example.com',
    description:
      'Email of the manager, an existing person (matched case-insensitively); null: no manager. Refused when it would make a loop.',
  })
  @IsOptional()
  @IsString()
  @FreeText()
  @MaxLength(PERSON_LIMITS.email)
  @IsEmail({}, { message: 'must be a valid email address' })
  managerEmail?: string | null;

  @OptionalText('Engineering', 'Alias of `business` (older Opsera name).') business_group?: string | null;
  @OptionalText('Platform', 'Alias of `department` (older Opsera name).') applicationdepartment?: string | null;
  @OptionalText('Runtime', 'Alias of `group` (older Opsera name).') projectgroup?: string | null;

  @ApiPropertyOptional({
    ...DATE_INPUT_DOC,
    nullable: true,
    example: '2024-01-01T00:00:00.000Z',
    description: `Start of validity (null: unbounded). ${DATE_TIME_INPUT_FORMS}`,
  })
  @IsOptional()
  @ToDate()
  @IsDate(DATE)
  validFrom?: Date | null;

  @ApiPropertyOptional({
    ...DATE_INPUT_DOC,
    nullable: true,
    example: null,
    description: `End of validity, exclusive (null: unbounded). ${DATE_TIME_INPUT_FORMS}`,
  })
  @IsOptional()
  @ToDate()
  @IsDate(DATE)
  validTo?: Date | null;
}

/** Body of PUT /api/v2/data/people/{email}: a partial update, absent fields stay unchanged. */
export class UpdatePersonDto extends PartialType(CreatePersonDto) {}

export const PERSON_SORT_FIELDS = [
  'email',
  'firstName',
  'lastName',
  'displayName',
  'externalId',
  'organization',
  'business',
  'department',
  'group',
  'team',
  'validFrom',
  'validTo',
  'createdAt',
  'updatedAt',
] as const;
export type PersonSortField = (typeof PERSON_SORT_FIELDS)[number];

function Filter(example: string, description: string) {
  return (target: object, key: string) => {
    ApiPropertyOptional({ type: String, example, description, maxLength: PERSON_LIMITS.email })(target, key);
    IsOptional()(target, key);
    IsString()(target, key);
    FreeText()(target, key);
    MaxLength(PERSON_LIMITS.email)(target, key);
  };
}

/** `page`, `per-page`, `sort` and `history`: what every list of people takes (the list, a manager's reports). */
export class PeoplePageQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    maxLength: 500,
    example: 'lastName,-createdAt',
    description: `Comma-separated fields, '-' for descending: ${PERSON_SORT_FIELDS.join(', ')}. Ties are broken by id.`,
  })
  @IsOptional()
  @IsString()
  @FreeText()
  @MaxLength(500)
  sort?: string;

  @ApiPropertyOptional({ type: Boolean, example: false, description: 'true: include people who are not active now.' })
  @IsOptional()
  @ToBoolean()
  @IsBoolean({ message: 'must be true, false, 1 or 0' })
  history?: boolean;
}

/** Query of GET /api/v2/data/people. */
export class PeopleQueryDto extends PeoplePageQueryDto {
  @Filter('ada.lovelace@example.com', 'Exact email, case-insensitive.') email?: string;
  @Filter('E-1001', 'Exact externalId.') externalId?: string;
  @Filter('Example Corp', 'Exact organization.') organization?: string;
  @Filter('Engineering', 'Exact business.') business?: string;
  @Filter('Platform', 'Exact department.') department?: string;
  @Filter('Runtime', 'Exact group.') group?: string;
  @Filter('Compilers', 'Exact team.') team?: string;
  @Filter('love', 'Case-insensitive substring of first, last or display name or email.') q?: string;

  @CursorField() cursor?: string;

  @AsOfField() asOf?: Date;
}

/** Query of GET /api/v2/data/people/{email} and of its /managers. */
export class PersonViewQueryDto {
  @AsOfField() asOf?: Date;
}

/** A person in the Opsera dialect. */
export class PersonDto {
  @ApiProperty({ format: 'uuid', example: '1f6d2c9e-3b0a-4c1e-9a4f-0c2b7e5d8a11' }) id!: string;
  @ApiProperty({ example: 'Ada.Lovelace@example.com' }) email!: string;
  @ApiProperty({ example: 'Ada' }) firstName!: string;
  @ApiProperty({ example: 'Lovelace' }) lastName!: string;
  @ApiProperty({ type: String, nullable: true, example: 'Ada Lovelace' }) displayName!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'E-1001' }) externalId!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'Example Corp' }) organization!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'Engineering' }) business!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'Platform' }) department!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'Runtime' }) group!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'Compilers' }) team!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, example: null, description: "The manager's id." }) managerId!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null, description: "The manager's email (as stored)." }) managerEmail!:
    string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null }) validFrom!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null }) validTo!: string | null;
  @ApiProperty({ example: true, description: 'Whether the validity period contains the moment of the request.' }) active!: boolean;
  @ApiProperty({ format: 'date-time', example: '2026-11-22T10:00:00.000Z' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-22T10:00:00.000Z' }) updatedAt!: string;
}

export class PersonListDto {
  @ApiProperty({ example: 1, description: 'Total number of matching people (all pages).' }) count!: number;
  @ApiProperty({ type: [PersonDto], maxItems: MAX_PER_PAGE }) data!: PersonDto[];
}

/** The deepest level of reports a request may ask for by number (`all` has no bound). */
export const MAX_REPORT_DEPTH = 1000;

/** Query of GET /api/v2/data/people/{email}/reports: the people list's paging, sort and history, `depth` and `asOf`. */
export class ReportsQueryDto extends PeoplePageQueryDto {
  @ApiPropertyOptional({
    type: String,
    pattern: '^(all|[1-9][0-9]{0,2}|1000)$',
    maxLength: 4,
    default: '1',
    example: 'all',
    description: `Levels of reports: 1 = direct reports only, n = down to n levels (at most ${MAX_REPORT_DEPTH}), all = every level.`,
  })
  @IsOptional()
  @IsString()
  @FreeText()
  @Matches(/^(all|[1-9][0-9]{0,2}|1000)$/, { message: `must be an integer from 1 to ${MAX_REPORT_DEPTH}, or all` })
  depth?: string;

  @AsOfField() asOf?: Date;

  /** The deepest level asked for; undefined for `all`. */
  maxDepth(): number | undefined {
    return this.depth === 'all' ? undefined : Number(this.depth ?? 1);
  }
}

/** A person in a reporting line: a report (depth 1 = direct report) or a manager (depth 1 = direct manager). */
export class PersonInLineDto extends PersonDto {
  @ApiProperty({
    type: 'integer',
    format: 'int32',
    minimum: 1,
    maximum: 2_147_483_647,
    example: 1,
    description: 'Levels between this person and the person asked about (1: direct).',
  })
  depth!: number;
}

export class PersonInLineListDto {
  @ApiProperty({ example: 1, description: 'Total number of people (all pages).' }) count!: number;
  @ApiProperty({ type: [PersonInLineDto], maxItems: MAX_PER_PAGE }) data!: PersonInLineDto[];
}

export const ALIASES = { business_group: 'business', applicationdepartment: 'department', projectgroup: 'group' } as const;

/** The email of the path (`/api/v2/data/people/{email}`): as given, or a 400 naming `email`. */
export function parsePersonEmail(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length > PERSON_LIMITS.email || !isEmail(raw))
    throw InvalidInputError.field('email', 'Invalid email format');
  return raw;
}

/** {@link parsePersonEmail} as a pipe: `@Param('email', PersonEmailPipe)`. */
export const PersonEmailPipe = edgePipe(parsePersonEmail);
