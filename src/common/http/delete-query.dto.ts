import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';
import { ToBoolean } from '../validation/validation.js';

/** `force` and `historicize` of every delete route (both dialects); true/false/1/0. */
export class DeleteQueryDto {
  @ApiPropertyOptional({ type: Boolean, example: false, description: 'Also delete every related entity (Administrator or higher).' })
  @IsOptional()
  @ToBoolean()
  @IsBoolean({ message: 'must be true, false, 1 or 0' })
  force?: boolean;

  @ApiPropertyOptional({ type: Boolean, example: false, description: 'Do not delete: end the validity now (sets valid_to / validTo).' })
  @IsOptional()
  @ToBoolean()
  @IsBoolean({ message: 'must be true, false, 1 or 0' })
  historicize?: boolean;
}
