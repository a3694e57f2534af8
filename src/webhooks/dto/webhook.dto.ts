import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { FreeText } from '../../common/validation/free-text.js';

export const MAX_PATTERNS = 20;
/** `*`, `<entity>.*` or `<entity>.<op>`. */
export const EVENT_PATTERN = /^(\*|(person|org-unit|org-role|org-person)\.(\*|create|update|historicize|delete))$/;
export const URL_MAX_LENGTH = 2048;

/** Body of POST /api/v2/webhooks. */
export class CreateWebhookDto {
  @ApiProperty({
    description: 'http or https URL the events are POSTed to.',
    maxLength: URL_MAX_LENGTH,
    example: 'https://hooks.example.com/organigram',
  })
  @IsString()
  @FreeText()
  @MaxLength(URL_MAX_LENGTH)
  url!: string;

  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_PATTERNS,
    minItems: 1,
    default: ['*'],
    example: ['person.*', 'org-unit.delete'],
    description:
      'Event types to deliver: `*`, `<entity>.*` or `<entity>.<op>` (entity person, org-unit, org-role, org-person; op create, update, historicize, delete).',
    items: { type: 'string', maxLength: 30, pattern: EVENT_PATTERN.source },
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_PATTERNS)
  @ArrayUnique()
  @IsString({ each: true })
  @FreeText({ each: true })
  @MaxLength(30, { each: true })
  @Matches(EVENT_PATTERN, { each: true, message: 'each value must be *, <entity>.* or <entity>.<op>' })
  events?: string[];

  @ApiPropertyOptional({ type: String, maxLength: 500, nullable: true, example: 'HR system' })
  @IsOptional()
  @IsString()
  @FreeText()
  @MaxLength(500)
  description?: string | null;
}

export class WebhookDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ maxLength: URL_MAX_LENGTH, example: 'https://hooks.example.com/organigram' }) url!: string;
  @ApiProperty({ type: [String], maxItems: MAX_PATTERNS, example: ['*'] }) events!: string[];
  @ApiProperty({ type: String, nullable: true, example: 'HR system' }) description!: string | null;
  @ApiProperty({ format: 'date-time', example: '2026-12-01T10:00:00.000Z' }) createdAt!: string;
}

export class CreatedWebhookDto extends WebhookDto {
  @ApiProperty({
    description: 'Signing secret (`whsec_` + base64 of 32 random bytes). Shown only in this answer.',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  secret!: string;
}

export class WebhookDeliveryDto {
  @ApiProperty({ description: 'The event id (also the webhook-id header).' }) eventId!: string;
  @ApiProperty({ description: 'Attempt number, from 1.', example: 1 }) attempt!: number;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'HTTP status the receiver answered; null when it did not answer.',
    example: 200,
  })
  statusCode!: number | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Why the attempt failed without an answer (timeout, refused connection, refused target).',
  })
  error!: string | null;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class WebhookDeliveryListDto {
  @ApiProperty({ type: [WebhookDeliveryDto], maxItems: 100, description: 'The latest attempts, newest first (at most 100).' })
  data!: WebhookDeliveryDto[];
}

export class WebhookListDto {
  @ApiProperty({ type: [WebhookDto], maxItems: 1000 }) data!: WebhookDto[];
}
