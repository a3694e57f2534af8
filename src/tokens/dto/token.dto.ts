import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { ALL_SCOPES, Scope } from '../../common/auth/scopes.js';
import { ALL_SITE_ROLES, SiteRole } from '../../common/auth/site-roles.js';
import { DATE_INPUT_DOC, DATE_TIME_INPUT_FORMS, ISO_DATE_TIME } from '../../common/validation/validation.js';

export class CreateTokenDto {
  @ApiProperty({ example: 'hr-sync', maxLength: 100, description: 'What the token is for.' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/\S/, { message: 'must not be blank' })
  name!: string;

  @ApiProperty({ enum: ALL_SITE_ROLES, example: SiteRole.PowerUser })
  @IsIn(ALL_SITE_ROLES, { message: `must be one of: ${ALL_SITE_ROLES.join(', ')}` })
  role!: SiteRole;

  @ApiPropertyOptional({ enum: ALL_SCOPES, isArray: true, maxItems: 10, default: [Scope.Api], description: 'Defaults to ["api"].' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsIn(ALL_SCOPES, { each: true, message: `each value must be one of: ${ALL_SCOPES.join(', ')}` })
  scopes?: Scope[];

  @ApiPropertyOptional({
    ...DATE_INPUT_DOC,
    example: '2027-01-01T00:00:00.000Z',
    description: `Absolute expiry. Exclusive with expiresIn. ${DATE_TIME_INPUT_FORMS}`,
  })
  @IsOptional()
  @IsString()
  @MaxLength(35)
  @Matches(ISO_DATE_TIME, { message: 'must be an ISO 8601 date-time' })
  expiresAt?: string;

  @ApiPropertyOptional({
    maxLength: 7,
    example: '30d',
    description: 'Relative expiry: a number and s, m, h, d or w. Exclusive with expiresAt.',
  })
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,6}[smhdw]$/, { message: 'must be a duration such as 30d, 12h or 15m' })
  expiresIn?: string;
}

export class TokenDto {
  @ApiProperty({ format: 'uuid', example: '0b9f5f8e-1f5e-4c7a-9a61-1ed3c6e1d8a2' }) id!: string;
  @ApiProperty({ example: 'hr-sync' }) name!: string;
  @ApiProperty({ enum: ALL_SITE_ROLES, example: SiteRole.PowerUser }) role!: SiteRole;
  @ApiProperty({ enum: ALL_SCOPES, isArray: true, maxItems: 10, example: [Scope.Api] }) scopes!: Scope[];
  @ApiProperty({ example: '2026-11-22T10:00:00.000Z' }) createdAt!: string;
  @ApiProperty({ nullable: true, type: String, example: null }) expiresAt!: string | null;
  @ApiProperty({ nullable: true, type: String, example: null, description: 'Updated at most about once a minute.' })
  lastUsedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, example: null }) revokedAt!: string | null;
}

export class CreatedTokenDto extends TokenDto {
  @ApiProperty({
    example: 'ogm_3kTz9qP0aWcX1vB7nM2yL5rD8sF4hJ6gQeR1a2',
    description: 'The secret. Shown only in this response; only its hash is stored.',
  })
  token!: string;
}

export class TokenListDto {
  @ApiProperty({ example: 1 }) count!: number;
  @ApiProperty({ type: [TokenDto], maxItems: 1000 }) data!: TokenDto[];
}
