import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { rows } from '../database/sql.js';
import type { WebhookDeliveryDto, WebhookDto } from './dto/webhook.dto.js';

export interface WebhookTarget {
  id: string;
  url: string;
  events: string[];
  secret: string;
  /** ISO, milliseconds. */
  created_at: string;
}

const VIEW = sql`id, url, events, description, change_iso(created_at) as "createdAt"`;

/** Webhooks, their deliveries log and the dispatcher's position in the change log. */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly em: EntityManager) {}

  on(em: EntityManager): WebhooksRepository {
    return new WebhooksRepository(em);
  }

  async insert(row: { id: string; url: string; events: string[]; description: string | null; secret: string; createdBy: string | null }) {
    const [created] = await rows(
      this.em,
      sql<WebhookDto>`
        insert into webhook (id, url, events, description, secret, created_by)
        values (${row.id}, ${row.url}, ${row.events}::text[], ${row.description}, ${row.secret}, ${row.createdBy})
        returning ${VIEW}`,
    );
    return created;
  }

  list(): Promise<WebhookDto[]> {
    return rows(this.em, sql<WebhookDto>`select ${VIEW} from webhook order by created_at, id limit 1000`);
  }

  async find(id: string): Promise<WebhookDto | undefined> {
    const [found] = await rows(this.em, sql<WebhookDto>`select ${VIEW} from webhook where id = ${id}`);
    return found;
  }

  async count(): Promise<number> {
    const [row] = await rows(this.em, sql<{ n: number }>`select count(*)::int as n from webhook`);
    return row?.n ?? 0;
  }

  async remove(id: string): Promise<boolean> {
    const gone = await rows(this.em, sql`delete from webhook where id = ${id} returning id`);
    return gone.length > 0;
  }

  targets(): Promise<WebhookTarget[]> {
    return rows(this.em, sql<WebhookTarget>`select id, url, events, secret, change_iso(created_at) as created_at from webhook order by id`);
  }

  async target(id: string): Promise<WebhookTarget | undefined> {
    const [found] = await rows(
      this.em,
      sql<WebhookTarget>`select id, url, events, secret, change_iso(created_at) as created_at from webhook where id = ${id}`,
    );
    return found;
  }

  deliveries(id: string): Promise<WebhookDeliveryDto[]> {
    return rows(
      this.em,
      sql<WebhookDeliveryDto>`
        select event_id as "eventId", attempt, status_code as "statusCode", error, change_iso(at) as at
        from webhook_delivery where webhook_id = ${id} order by id desc limit 100`,
    );
  }

  /** Records one attempt; nothing when the webhook was deleted meanwhile. */
  async recordAttempt(a: { webhookId: string; eventId: string; attempt: number; statusCode: number | null; error: string | null }) {
    await rows(
      this.em,
      sql`
        insert into webhook_delivery (webhook_id, event_id, attempt, status_code, error)
        select id, ${a.eventId}, ${a.attempt}, ${a.statusCode}, ${a.error} from webhook where id = ${a.webhookId}`,
    );
  }

  /** Keeps the deliveries log of a webhook bounded: the latest 1,000 attempts. */
  async pruneDeliveries(id: string): Promise<void> {
    await rows(
      this.em,
      sql`
        delete from webhook_delivery where webhook_id = ${id}
          and id < (select id from webhook_delivery where webhook_id = ${id} order by id desc offset 999 limit 1)`,
    );
  }

  /** The dispatcher's cursor, locked for this transaction; undefined while another instance holds it. */
  async lockDispatch(): Promise<{ position: string; seq: string } | undefined> {
    const [row] = await rows(
      this.em,
      sql<{ position: string; seq: string }>`
        select position::text as position, seq::text as seq from webhook_dispatch where id = 1 for update skip locked`,
    );
    return row;
  }

  async moveDispatch(position: bigint, seq: bigint): Promise<void> {
    await rows(
      this.em,
      sql`update webhook_dispatch set position = ${position.toString()}::bigint, seq = ${seq.toString()}::bigint where id = 1`,
    );
  }
}
