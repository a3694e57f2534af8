import { DomainError } from '../common/errors/domain-errors.js';

/** An optional SCIM endpoint the service does not offer (/Bulk, /Me, /.search): 501. */
export class ScimNotImplementedError extends DomainError {
  readonly status = 501;
  readonly slug = 'not-implemented';
  readonly title = 'Not implemented';
  constructor(path: string) {
    super(`${path} is not offered by this service (see /scim/v2/ServiceProviderConfig).`);
  }
}
