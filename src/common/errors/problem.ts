import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** One invalid input: which field (dotted path) and what is wrong with it. */
export class FieldError {
  @ApiProperty({ example: 'email' }) field!: string;
  @ApiProperty({ example: 'must be a valid email address' }) message!: string;
}

/** One entity a forced delete would remove. */
export class RelatedEntity {
  @ApiProperty({ example: 'org-person' }) type!: string;
  @ApiProperty({ example: '5f0c3b7e-4f43-4e0b-9a52-1f3f1c2d9a10' }) id!: string;
  @ApiProperty({ example: 'Ada Lovelace in Engineering' }) label!: string;
}

export class RelatedSummary {
  @ApiProperty({ example: { 'org-person': 2 }, description: 'How many related entities of each type.' })
  counts!: Record<string, number>;
  @ApiProperty({ type: [RelatedEntity], maxItems: 100, description: 'The first 100 related entities.' })
  items!: RelatedEntity[];
}

/** RFC 9457 problem details: the one error shape of every route (content type application/problem+json). */
export class ProblemDetails {
  @ApiProperty({ example: 'https://organigram.dev/problems/validation-error' }) type!: string;
  @ApiProperty({ example: 'Validation failed' }) title!: string;
  @ApiProperty({ example: 400 }) status!: number;
  @ApiProperty({ example: 'email: must be a valid email address', maxLength: 2000 }) detail!: string;
  @ApiProperty({ example: '/api/v2/data/people' }) instance!: string;
  @ApiProperty({ example: '8e3b6f0e-2a4b-4b55-9d8f-3f6f1f2b7c11', description: 'The X-Request-Id of the failed request.' })
  requestId!: string;
  @ApiPropertyOptional({
    type: [FieldError],
    maxItems: 100,
    description: 'Present on validation errors: one entry per invalid field (at most 100).',
  })
  errors?: FieldError[];
  @ApiPropertyOptional({ type: RelatedSummary, description: 'Present when a delete is refused because related entities exist.' })
  related?: RelatedSummary;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const PROBLEM_TYPE_BASE = 'https://organigram.dev/problems/';
