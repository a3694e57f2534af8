import { ApiTokenSchema } from '../tokens/api-token.entity.js';
import { PersonSchema } from '../people/person.entity.js';

/** Every entity of the application, registered once with MikroORM. */
export const ENTITIES = [ApiTokenSchema, PersonSchema];
