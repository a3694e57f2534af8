import { matchesEvent } from './webhook-patterns.js';

describe('webhook event patterns', () => {
  it('match everything, an entity, or one operation of an entity', () => {
    expect(matchesEvent(['*'], 'person', 'create')).toBe(true);
    expect(matchesEvent(['org-unit.*'], 'org-unit', 'delete')).toBe(true);
    expect(matchesEvent(['org-unit.*'], 'org-person', 'delete')).toBe(false);
    expect(matchesEvent(['person.update', 'org-role.create'], 'person', 'update')).toBe(true);
    expect(matchesEvent(['person.update'], 'person', 'historicize')).toBe(false);
    expect(matchesEvent([], 'person', 'create')).toBe(false);
  });
});

describe('delivery job ids', () => {
  it('sort like the log for one webhook and differ between webhooks', async () => {
    const { deliveryJobId } = await import('./webhook-deliveries.service.js');
    const hook = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
    const ids = [
      [1n, 1n],
      [1n, 2n],
      [2n, 3n],
      [15n, 4n],
      [16n, 5n],
      [300n, 10n],
    ].map(([p, s]) => deliveryJobId(p, s, hook));
    expect([...ids].sort()).toEqual(ids);
    expect(ids[0]).toBe('00000000-0000-0100-0000-00010f1e2d3c');
    expect(deliveryJobId(1n, 1n, 'aaaaaaaa-0000-4000-8000-000000000000')).not.toBe(ids[0]);
  });
});
