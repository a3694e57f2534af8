import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { FreeText } from '../../common/validation/free-text.js';
import { URN } from '../scim-schemas.js';

/** OpenAPI shapes of the SCIM answers (RFC 7643, 7644); the bodies are built by the SCIM mappers. */

/** The `schemas` member of a resource. */
const Schemas = () => ApiProperty({ type: 'array', items: { type: 'string', maxLength: 200 }, maxItems: 10, example: [URN.user] });

export class ScimMetaDto {
  @ApiProperty({ example: 'User', maxLength: 30 }) resourceType!: string;
  @ApiPropertyOptional({ format: 'date-time', maxLength: 24, example: '2026-12-01T10:00:00.000Z' }) created?: string;
  @ApiPropertyOptional({ format: 'date-time', maxLength: 24, example: '2026-12-01T10:00:00.000Z' }) lastModified?: string;
  @ApiProperty({ example: 'https://organigram.example.com/scim/v2/Users/2819c223-7f76-453a-919d-413861904646', maxLength: 2048 })
  location!: string;
  @ApiPropertyOptional({ example: '"a1B2c3D4e5F6g7H8i9J0kL"', maxLength: 64, description: 'Equals the ETag header.' })
  version?: string;
}

export class ScimAuthenticationSchemeDto {
  @ApiProperty({ example: 'oauthbearertoken', maxLength: 50 }) type!: string;
  @ApiProperty({ example: 'OAuth Bearer Token', maxLength: 100 }) name!: string;
  @ApiProperty({ maxLength: 500 }) description!: string;
  @ApiProperty() primary!: boolean;
}

export class ScimServiceProviderConfigDto {
  @Schemas() schemas!: string[];
  @ApiProperty({ maxLength: 2048 }) documentationUri!: string;
  @ApiProperty({ type: Object, example: { supported: true } }) patch!: object;
  @ApiProperty({ type: Object, example: { supported: false, maxOperations: 0, maxPayloadSize: 0 } }) bulk!: object;
  @ApiProperty({ type: Object, example: { supported: true, maxResults: 1000 } }) filter!: object;
  @ApiProperty({ type: Object, example: { supported: false } }) changePassword!: object;
  @ApiProperty({ type: Object, example: { supported: true } }) sort!: object;
  @ApiProperty({ type: Object, example: { supported: true } }) etag!: object;
  @ApiProperty({ type: [ScimAuthenticationSchemeDto], maxItems: 5 }) authenticationSchemes!: ScimAuthenticationSchemeDto[];
  @ApiProperty({ type: Object, description: 'RFC 9865.' }) pagination!: object;
  @ApiProperty({ type: ScimMetaDto }) meta!: ScimMetaDto;
}

export class ScimSchemaExtensionDto {
  @ApiProperty({ maxLength: 200, example: URN.enterpriseUser }) schema!: string;
  @ApiProperty() required!: boolean;
}

export class ScimResourceTypeDto {
  @Schemas() schemas!: string[];
  @ApiProperty({ example: 'User', maxLength: 30 }) id!: string;
  @ApiProperty({ example: 'User', maxLength: 30 }) name!: string;
  @ApiProperty({ example: '/Users', maxLength: 30 }) endpoint!: string;
  @ApiProperty({ maxLength: 200 }) description!: string;
  @ApiProperty({ maxLength: 200, example: URN.user }) schema!: string;
  @ApiProperty({ type: [ScimSchemaExtensionDto], maxItems: 5 }) schemaExtensions!: ScimSchemaExtensionDto[];
  @ApiProperty({ type: ScimMetaDto }) meta!: ScimMetaDto;
}

export class ScimSchemaDto {
  @Schemas() schemas!: string[];
  @ApiProperty({ maxLength: 200, example: URN.user }) id!: string;
  @ApiProperty({ maxLength: 50, example: 'User' }) name!: string;
  @ApiProperty({ maxLength: 200 }) description!: string;
  @ApiProperty({
    type: 'array',
    items: { type: 'object' },
    maxItems: 50,
    description:
      'RFC 7643 section 7 attribute definitions (name, type, multiValued, required, caseExact, mutability, returned, uniqueness, subAttributes).',
  })
  attributes!: object[];
  @ApiProperty({ type: ScimMetaDto }) meta!: ScimMetaDto;
}

class ListBase {
  @ApiProperty({ type: 'array', items: { type: 'string', maxLength: 200 }, maxItems: 1, example: [URN.listResponse] }) schemas!: string[];
  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, maximum: 2_147_483_647, example: 1 }) totalResults!: number;
  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, maximum: 1000, example: 1 }) itemsPerPage!: number;
  @ApiPropertyOptional({
    type: 'integer',
    format: 'int32',
    minimum: 1,
    maximum: 2_147_483_647,
    example: 1,
    description: 'Index paging only.',
  })
  startIndex?: number;
  @ApiPropertyOptional({ maxLength: 500, description: 'Cursor paging (RFC 9865): the cursor of the next page; absent on the last.' })
  nextCursor?: string;
}

export class ScimResourceTypeListDto extends ListBase {
  @ApiProperty({ type: [ScimResourceTypeDto], maxItems: 2 }) Resources!: ScimResourceTypeDto[];
}

export class ScimSchemaListDto extends ListBase {
  @ApiProperty({ type: [ScimSchemaDto], maxItems: 5 }) Resources!: ScimSchemaDto[];
}

export class ScimNameDto {
  @ApiPropertyOptional({ maxLength: 100, example: 'Ada' }) givenName?: string;
  @ApiPropertyOptional({ maxLength: 100, example: 'Lovelace' }) familyName?: string;
}

export class ScimEmailDto {
  @ApiPropertyOptional({ maxLength: 254, example: 'ada.lovelace@example.com' }) value?: string;
  @ApiPropertyOptional({ enum: ['work'] }) type?: string;
  @ApiPropertyOptional() primary?: boolean;
}

export class ScimEnterpriseUserDto {
  @ApiPropertyOptional({ maxLength: 200, example: 'Example Corp' }) organization?: string;
  @ApiPropertyOptional({ maxLength: 200, example: 'Engineering' }) division?: string;
  @ApiPropertyOptional({ maxLength: 200, example: 'Platform' }) department?: string;
  // A member named `$ref` cannot be an OpenAPI property (it reads as a reference): described, as Group members are.
  @ApiPropertyOptional({
    type: Object,
    description: "The person's manager (contract sections 11, 13.2): {value (the manager's person id), $ref (its User URL)}.",
  })
  manager?: object;
}

export class ScimOrganigramUserDto {
  @ApiPropertyOptional({ maxLength: 200, example: 'Runtime' }) group?: string;
  @ApiPropertyOptional({ maxLength: 200, example: 'Compilers' }) team?: string;
}

/** A SCIM User (contract section 13.2): members absent when unassigned or not asked for (attributes). */
export class ScimUserDto {
  @Schemas() schemas!: string[];
  @ApiProperty({ format: 'uuid', maxLength: 36, example: '2819c223-7f76-453a-919d-413861904646' }) id!: string;
  @ApiPropertyOptional({ maxLength: 200, example: 'E-1001' }) externalId?: string;
  @ApiPropertyOptional({ maxLength: 254, example: 'Ada.Lovelace@example.com' }) userName?: string;
  @ApiPropertyOptional({ type: ScimNameDto }) name?: ScimNameDto;
  @ApiPropertyOptional({ maxLength: 200, example: 'Ada Lovelace' }) displayName?: string;
  @ApiPropertyOptional({ description: 'Whether the person is active now.' }) active?: boolean;
  @ApiPropertyOptional({ type: [ScimEmailDto], maxItems: 1 }) emails?: ScimEmailDto[];
  @ApiPropertyOptional({ name: URN.enterpriseUser, type: ScimEnterpriseUserDto }) enterprise?: ScimEnterpriseUserDto;
  @ApiPropertyOptional({ name: URN.organigramUser, type: ScimOrganigramUserDto }) organigram?: ScimOrganigramUserDto;
  @ApiPropertyOptional({ type: ScimMetaDto }) meta?: ScimMetaDto;
}

export class ScimUserListDto extends ListBase {
  @ApiProperty({ type: [ScimUserDto], maxItems: 1000 }) Resources!: ScimUserDto[];
}

/** `attributes` / `excludedAttributes` of an answer carrying resources. */
export class ScimProjectionQueryDto {
  @ApiPropertyOptional({ maxLength: 2000, example: 'userName,active', description: 'Only these attributes (plus schemas and id).' })
  @IsOptional()
  @IsString()
  @FreeText()
  @MaxLength(2000)
  attributes?: string;

  @ApiPropertyOptional({ maxLength: 2000, example: 'emails', description: 'Every attribute but these.' })
  @IsOptional()
  @IsString()
  @FreeText()
  @MaxLength(2000)
  excludedAttributes?: string;
}

/** Query of GET /Users and GET /Groups (contract section 13.4). */
export class ScimListQueryDto extends ScimProjectionQueryDto {
  @ApiPropertyOptional({ maxLength: 4096, example: 'userName eq "ada.lovelace@example.com"', description: 'RFC 7644 section 3.4.2.2.' })
  @IsOptional()
  @IsString()
  @FreeText()
  @MaxLength(1_000_000)
  filter?: string;

  @ApiPropertyOptional({ maxLength: 200, example: 'userName' }) @IsOptional() @IsString() @FreeText() @MaxLength(200) sortBy?: string;
  @ApiPropertyOptional({ enum: ['ascending', 'descending'] }) @IsOptional() @IsString() @FreeText() @MaxLength(20) sortOrder?: string;
  @ApiPropertyOptional({ maxLength: 20, example: '1', description: 'From 1 (below: 1).' })
  @IsOptional()
  @IsString()
  @FreeText()
  @MaxLength(20)
  startIndex?: string;
  @ApiPropertyOptional({ maxLength: 20, example: '100', description: '0-1000 (negative: 0; above 1000: 1000); default 100.' })
  @IsOptional()
  @IsString()
  @FreeText()
  @MaxLength(20)
  count?: string;

  @ApiPropertyOptional({ maxLength: 500, description: 'Cursor paging (RFC 9865): empty for the first page, then nextCursor.' })
  @IsOptional()
  @IsString()
  @FreeText()
  @MaxLength(500)
  cursor?: string;
}

export class ScimOrganigramGroupDto {
  @ApiPropertyOptional({ maxLength: 100, example: 'ENG' }) code?: string;
  @ApiPropertyOptional({ maxLength: 2000 }) description?: string;
  @ApiPropertyOptional({ format: 'uuid', maxLength: 36 }) parentId?: string;
}

/** A SCIM Group (contract section 13.3). */
export class ScimGroupDto {
  @Schemas() schemas!: string[];
  @ApiProperty({ format: 'uuid', maxLength: 36 }) id!: string;
  @ApiPropertyOptional({ maxLength: 255 }) externalId?: string;
  @ApiPropertyOptional({ maxLength: 200, example: 'Engineering' }) displayName?: string;
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object' },
    maxItems: 1_000_000,
    description: 'Each person once: {value (person id), type "User", $ref (the User URL), display}.',
  })
  members?: object[];
  @ApiPropertyOptional({ name: URN.organigramGroup, type: ScimOrganigramGroupDto }) organigram?: ScimOrganigramGroupDto;
  @ApiPropertyOptional({ type: ScimMetaDto }) meta?: ScimMetaDto;
}

export class ScimGroupListDto extends ListBase {
  @ApiProperty({ type: [ScimGroupDto], maxItems: 1000 }) Resources!: ScimGroupDto[];
}
