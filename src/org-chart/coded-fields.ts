import { InvalidInputError } from '../common/errors/domain-errors.js';
import { patched } from './validity.js';

/** The fields units and roles share: an optional code unique within the project, a name, a description, the project. */
export interface CodedFieldsDto {
  code?: string | null;
  name?: string | null;
  description?: string | null;
  project_id?: string | null;
}

/** The same, as the entities hold them. */
export interface CodedFields {
  code?: string | null;
  name: string;
  description?: string | null;
  projectId?: string | null;
}

/** The coded fields of a new unit or role. */
export function createdCoded(dto: CodedFieldsDto & { name: string }) {
  return { code: dto.code ?? null, name: dto.name, description: dto.description ?? null, projectId: dto.project_id ?? null };
}

/** The coded fields after a partial update; the required name cannot be cleared. */
export function patchedCoded(sent: CodedFieldsDto, current: CodedFields) {
  if (sent.name === null) throw InvalidInputError.field('name', 'must not be null');
  return {
    code: patched(sent.code, current.code),
    name: sent.name ?? current.name,
    description: patched(sent.description, current.description),
    projectId: patched(sent.project_id, current.projectId),
  };
}
