import { RequestContext, type EntityManager } from '@mikro-orm/core';
import { currentEntityManager, runInRequestContext } from './request-context.js';

function fakeGlobal() {
  const forks: object[] = [];
  const em = {
    name: 'default',
    global: true,
    fork: (options: object) => {
      // The new fork's constructor asks the request context for its EntityManager: none while forking.
      expect(RequestContext.getEntityManager('default')).toBeUndefined();
      const fork = { name: 'default', global: false, options };
      forks.push(fork);
      return fork;
    },
  };
  return { em: em as unknown as EntityManager, forks };
}

describe('runInRequestContext', () => {
  it('forks the EntityManager on first use only, once per request, as MikroORM would', async () => {
    const { em, forks } = fakeGlobal();
    await runInRequestContext(em, async () => {
      expect(currentEntityManager(em)).toBeUndefined();
      expect(forks).toHaveLength(0);
      const first = RequestContext.getEntityManager('default');
      await Promise.resolve();
      expect(RequestContext.getEntityManager('default')).toBe(first);
      expect(currentEntityManager(em)).toBe(first);
      expect(forks).toEqual([{ name: 'default', global: false, options: { useContext: true, disableContextResolution: true } }]);
    });
    runInRequestContext(em, () => {
      expect(currentEntityManager(em)).toBeUndefined();
      expect(RequestContext.getEntityManager('default')).not.toBe(forks[0]);
    });
    expect(forks).toHaveLength(2);
  });

  it('takes any EntityManager but the global one for itself', () => {
    const { em } = fakeGlobal();
    const fork = { global: false, name: 'default' } as unknown as EntityManager;
    runInRequestContext(em, () => expect(currentEntityManager(fork)).toBe(fork));
    expect(currentEntityManager(em)).toBeUndefined();
  });
});
