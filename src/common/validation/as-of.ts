import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsDate, IsOptional } from 'class-validator';
import { DATE_INPUT_DOC, DATE_TIME_INPUT_FORMS, ToDate } from './validation.js';

/** What the as-of field documents (contract section 10.2). */
const AS_OF_DESCRIPTION =
  'Point-in-time read: the data as recorded at this instant (values, tree shape and existence then), validity flags evaluated ' +
  'then; an instant in the future reads today’s values with validity evaluated then. Absent: now.';

/**
 * The instant of a point-in-time read (`asOf` in the Opsera query string, `as_of` in 4HSE bodies and
 * query strings; contract section 10.2), in every date-time form of section 4.1. A bad value is a 400
 * naming the field. In a JSON body (`nullable`), null means now, as absent does.
 */
export function AsOfField(nullable = false) {
  return (target: object, key: string) => {
    ApiPropertyOptional({
      ...DATE_INPUT_DOC,
      nullable,
      description: `${AS_OF_DESCRIPTION} ${DATE_TIME_INPUT_FORMS}`,
      example: '2026-01-31T00:00:00.000Z',
    })(target, key);
    IsOptional()(target, key);
    ToDate()(target, key);
    IsDate({ message: 'must be an ISO 8601 date-time such as 2026-01-31T00:00:00.000Z, or 2026-01-31 00:00:00 or 2026-01-31 (UTC)' })(
      target,
      key,
    );
  };
}
