import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { ALL_SCOPES, Scope } from '../../common/auth/scopes.js';
import { ALL_SITE_ROLES, SiteRole } from '../../common/auth/site-roles.js';
import { FreeText } from '../../common/validation/free-text.js';
import { InvalidInputError } from '../../common/errors/domain-errors.js';
import { edgePipe } from '../../common/validation/edge-pipe.js';
import { CursorField } from '../../common/pagination/cursor.js';
import { PageQueryDto } from '../../common/pagination/page.js';
import { UuidField } from '../../org-chart/org-api.dto.js';
import { DATE_INPUT_DOC, DATE_TIME_INPUT_FORMS, ISO_DATE_TIME, normalizeUuid, ToBoolean } from '../../common/validation/validation.js';

export class CreateTokenDto {
  @ApiProperty({ example: 'hr-sync', maxLength: 100, description: 'What the token is for.' })
  @IsString()
  @FreeText()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/\S/, { message: 'must not be blank' })
  name!: string;

  @ApiProperty({ enum: ALL_SITE_ROLES, example: SiteRole.PowerUser })
  @IsIn(ALL_SITE_ROLES, { message: `must be one of: ${ALL_SITE_ROLES.join(', ')}` })
  role!: SiteRole;

  @ApiPropertyOptional({
    enum: ALL_SCOPES,
    isArray: true,
    minItems: 1,
    maxItems: 10,
    default: [Scope.Api],
    description: 'Defaults to ["api"]; never empty.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1, { message: 'must hold at least one scope' })
  @ArrayMaxSize(10)
  @IsIn(ALL_SCOPES, { each: true, message: `each value must be one of: ${ALL_SCOPES.join(', ')}` })
  scopes?: Scope[];

  @ApiPropertyOptional({
    ...DATE_INPUT_DOC,
    example: '2027-01-01T00:00:00.000Z',
    description:
      'Absolute expiry, in the future and at most TOKEN_MAX_TTL (default 365d) from now. Exclusive with expiresIn. ' +
      `Without either, the token expires after TOKEN_DEFAULT_TTL (default 90d). ${DATE_TIME_INPUT_FORMS}`,
  })
  @IsOptional()
  @IsString()
  @FreeText()
  @MaxLength(35)
  @Matches(ISO_DATE_TIME, { message: 'must be an ISO 8601 date-time' })
  expiresAt?: string;

  @ApiPropertyOptional({
    maxLength: 7,
    example: '30d',
    description: 'Relative expiry: a number and s, m, h, d or w, at most TOKEN_MAX_TTL (default 365d). Exclusive with expiresAt.',
  })
  @IsOptional()
  @IsString()
  @FreeText()
  @Matches(/^\d{1,6}[smhdw]$/, { message: 'must be a duration such as 30d, 12h or 15m' })
  expiresIn?: string;

  @UuidField({
    description: "The project of the token's SCIM Groups (contract sections 7 and 13.3); absent or null: the units without project.",
    nullable: true,
    example: 'b5a7d602-3fc9-4e2a-9d1a-6e5b4c8f7a01',
  })
  projectId?: string | null;
}

/** Query of DELETE /api/v2/tokens/{id}. */
export class RevokeTokenQueryDto {
  @ApiPropertyOptional({
    type: Boolean,
    example: false,
    description: 'Also revoke every token this one created, and the tokens those created, and so on (true/false/1/0).',
  })
  @IsOptional()
  @ToBoolean()
  @IsBoolean({ message: 'must be true, false, 1 or 0' })
  cascade?: boolean;
}

export class TokenDto {
  @ApiProperty({ format: 'uuid', example: '0b9f5f8e-1f5e-4c7a-9a61-1ed3c6e1d8a2' }) id!: string;
  @ApiProperty({ example: 'hr-sync' }) name!: string;
  @ApiProperty({ enum: ALL_SITE_ROLES, example: SiteRole.PowerUser }) role!: SiteRole;
  @ApiProperty({ enum: ALL_SCOPES, isArray: true, maxItems: 10, example: [Scope.Api] }) scopes!: Scope[];
  @ApiProperty({ example: '2026-11-22T10:00:00.000Z' }) createdAt!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '2027-02-20T10:00:00.000Z',
    description: 'Every new token expires; null only for tokens created before lifetimes existed.',
  })
  expiresAt!: string | null;
  @ApiProperty({ nullable: true, type: String, example: null, description: 'Updated at most about once a minute.' })
  lastUsedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, example: null }) revokedAt!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'uuid',
    example: null,
    description: 'Id of the token that created this one; null for the CLI, the first-start token and older tokens.',
  })
  createdBy!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'uuid',
    example: null,
    description: "The project of the token's SCIM Groups; null: the units without project.",
  })
  projectId!: string | null;
}

export class CreatedTokenDto extends TokenDto {
  @ApiProperty({
    example: 'ogm_3kTz9qP0aWcX1vB7nM2yL5rD8sF4hJ6gQeR1a2',
    description: 'The secret. Shown only in this response; only its hash is stored.',
  })
  token!: string;
}

/** Query of GET /api/v2/tokens: page and per-page, or the keyset cursor of `rel="next"`. */
export class TokenListQueryDto extends PageQueryDto {
  @CursorField() cursor?: string;
}

export class TokenListDto {
  @ApiProperty({ example: 1 }) count!: number;
  @ApiProperty({ type: [TokenDto], maxItems: 1000 }) data!: TokenDto[];
}

/** A token id (dashed or 32 hex digits), normalized; a 400 naming `id` otherwise. The API and the CLI parse with it. */
export function parseTokenId(raw: unknown): string {
  const id = normalizeUuid(raw);
  if (!id) throw InvalidInputError.field('id', 'must be a UUID');
  return id;
}

/** {@link parseTokenId} as a pipe: `@Param('id', TokenIdPipe)`. */
export const TokenIdPipe = edgePipe(parseTokenId);
