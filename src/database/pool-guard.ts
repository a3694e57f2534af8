/** The parts of node-postgres' Pool and Client this guard uses (all public: events and release). */
interface PooledClient {
  once(event: 'end' | 'error', listener: () => void): unknown;
  release?: (error?: Error) => void;
}
interface GuardedPool {
  on(event: 'connect' | 'acquire' | 'remove', listener: (client: PooledClient) => void): unknown;
  on(event: 'release', listener: (error: Error | undefined, client: PooledClient) => void): unknown;
}

/**
 * Works around a connection leak of MikroORM 7 (via Kysely's controlled transactions): when the
 * backend of a connection dies inside a transaction (pg_terminate_backend, a database restart), the
 * ROLLBACK fails and the pooled client is never released. Each such event would take one pool slot
 * for good, until every request waits for a connection that never comes.
 *
 * The guard watches checked-out clients; when one's connection ends and nobody has released it after
 * `graceMs`, it releases it with an error, which makes the pool discard it. Normal paths release a
 * failed client within milliseconds, so they never race the guard. Proven by test/fault/.
 */
export function guardPool(pool: GuardedPool, graceMs = 2_000): void {
  const checkedOut = new Set<PooledClient>();
  pool.on('acquire', (client) => checkedOut.add(client));
  pool.on('release', (_error, client) => checkedOut.delete(client));
  pool.on('remove', (client) => checkedOut.delete(client));
  pool.on('connect', (client) => {
    let scheduled = false;
    const lost = () => {
      if (scheduled) return;
      scheduled = true;
      setTimeout(() => {
        if (!checkedOut.has(client)) return;
        checkedOut.delete(client);
        client.release?.(new Error('connection lost while checked out'));
      }, graceMs).unref();
    };
    client.once('end', lost);
    client.once('error', lost);
  });
}
