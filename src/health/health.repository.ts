import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';

@Injectable()
export class HealthRepository {
  constructor(private readonly em: EntityManager) {}

  /** One round trip to the database on a pooled connection (connecting first if need be); throws when it does not answer. */
  async ping(): Promise<void> {
    await this.em.getConnection().execute('select 1');
  }
}
