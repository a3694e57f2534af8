import { Semaphore } from './semaphore.js';

describe('Semaphore', () => {
  it('grants up to its permits at once, then queues in order and hands permits over on release', async () => {
    const semaphore = new Semaphore(2);
    const a = await semaphore.acquire(1_000);
    const b = await semaphore.acquire(1_000);
    expect(semaphore.inUse).toBe(2);
    const order: string[] = [];
    const c = semaphore.acquire(1_000).then((r) => (order.push('c'), r));
    const d = semaphore.acquire(1_000).then((r) => (order.push('d'), r));
    expect(semaphore.waiting).toBe(2);
    a!();
    a!(); // a second call gives nothing back twice
    const releaseC = await c;
    expect(order).toEqual(['c']);
    expect(semaphore.inUse).toBe(2);
    b!();
    const releaseD = await d;
    expect(order).toEqual(['c', 'd']);
    releaseC!();
    releaseD!();
    expect(semaphore.inUse).toBe(0);
    expect(semaphore.waiting).toBe(0);
  });

  it('gives up after the timeout without taking a permit', async () => {
    const semaphore = new Semaphore(1);
    const held = await semaphore.acquire(1_000);
    const started = Date.now();
    expect(await semaphore.acquire(50)).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(semaphore.waiting).toBe(0);
    held!();
    expect(semaphore.inUse).toBe(0);
    const again = await semaphore.acquire(50);
    expect(semaphore.inUse).toBe(1);
    again!();
  });

  it('refuses a semaphore without permits', () => {
    expect(() => new Semaphore(0)).toThrow('a semaphore needs at least one permit, got 0');
  });
});
