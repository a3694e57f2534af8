import { ISO, UUID } from './test-app.js';

/** A few milliseconds, so that an instant taken between two writes is strictly between them (the history has millisecond resolution). */
const tick = () => new Promise((resolve) => setTimeout(resolve, 15));

/** An instant strictly after every write answered so far and before any later one (contract section 10.2 reads). */
export async function instant(): Promise<string> {
  await tick();
  const at = new Date().toISOString();
  await tick();
  return at;
}

/** A person's whole Opsera body with the defaults of the optional fields. */
export function personBody(fields: Record<string, unknown>) {
  return {
    id: UUID,
    displayName: null,
    externalId: null,
    organization: null,
    business: null,
    department: null,
    group: null,
    team: null,
    validFrom: null,
    validTo: null,
    managerId: null,
    managerEmail: null,
    active: true,
    createdAt: ISO,
    updatedAt: ISO,
    ...fields,
  };
}
