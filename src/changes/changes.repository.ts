import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { rows } from '../database/sql.js';
import type { FeedPosition } from './change-cursor.js';
import type { ChangeEntity, ChangeOp } from './dto/change.dto.js';

/** One event as stored, with its feed position (bigints travel as text). */
export interface ChangeRow {
  position: string;
  seq: string;
  at: string;
  actor: { token_id: string | null; token_name: string | null; role: string | null };
  request_id: string | null;
  entity: ChangeEntity;
  entity_id: string;
  op: ChangeOp;
  changed: string[];
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export interface ChangeFilter {
  readonly entity?: ChangeEntity;
  readonly entityId?: string;
  /** Read no transaction past this position: the settled horizon, or less (bounds a sparse filter). */
  readonly untilPosition: bigint;
}

/**
 * The change log (migration change_log): events appended by the triggers, positions handed out at
 * commit. Only committed transactions have a position; positions up to the settled horizon
 * ({@link settled}) are all visible or never will be (docs/decisions.md, "Change log"), so "after
 * (position, seq) up to the horizon" never skips an event.
 */
@Injectable()
export class ChangesRepository {
  constructor(private readonly em: EntityManager) {}

  /** The same queries on another EntityManager (a fork or a transaction), for background work. */
  on(em: EntityManager): ChangesRepository {
    return new ChangesRepository(em);
  }

  /** Up to `limit` events after `after`, in feed order. */
  async after(after: FeedPosition, limit: number, filter: ChangeFilter): Promise<ChangeRow[]> {
    const p = after.position.toString();
    const s = after.seq.toString();
    const entity = filter.entity ? sql`and e.entity = ${filter.entity}` : sql``;
    const until = sql`and t.position <= ${filter.untilPosition.toString()}::bigint`;
    if (filter.entityId) {
      // Few events per entity: read them through the entity index, then order them.
      return rows(
        this.em,
        sql<ChangeRow>`
          select t.position::text as position, e.seq::text as seq, change_iso(t.committed_at) as at, e.actor, e.request_id,
                 e.entity, e.entity_id, e.op, e.changed, e.before, e.after
          from change_event e join change_tx t on t.xid = e.xid
          where e.entity_id = ${filter.entityId} and t.position is not null
            and (t.position > ${p}::bigint or (t.position = ${p}::bigint and e.seq > ${s}::bigint)) ${entity} ${until}
          order by t.position, e.seq
          limit ${limit}`,
      );
    }
    // The rest of the cursor's own transaction, then the transactions after it, in position order.
    return rows(
      this.em,
      sql<ChangeRow>`
        select * from (
          (select t.position::text as position, e.seq::text as seq, change_iso(t.committed_at) as at, e.actor, e.request_id,
                  e.entity, e.entity_id, e.op, e.changed, e.before, e.after
           from change_tx t join change_event e on e.xid = t.xid
           where t.position = ${p}::bigint and e.seq > ${s}::bigint ${entity} ${until}
           order by e.seq
           limit ${limit})
          union all
          (select t.position::text, e.seq::text, change_iso(t.committed_at), e.actor, e.request_id,
                  e.entity, e.entity_id, e.op, e.changed, e.before, e.after
           from change_tx t join change_event e on e.xid = t.xid
           where t.position > ${p}::bigint ${entity} ${until}
           order by t.position, e.seq
           limit ${limit})
        ) page
        order by position::bigint, seq::bigint
        limit ${limit}`,
    );
  }

  /**
   * The settled horizon: S, the last position handed out so far, once every position up to S is
   * committed and visible to the next statement or aborted for good (migration commit_positions:
   * when S is above `known`, one exclusive take-and-release of the writers' shared lock waits for the
   * commits in flight). Read only positions up to it, in a statement after this one. Outside any
   * transaction only (the barrier's lock lasts until the end of the caller's transaction).
   */
  async settled(known: bigint): Promise<bigint> {
    // Inside a transaction the exclusive lock would stay held, and every logged commit wait, until it ends.
    if (this.em.isInTransaction()) throw new Error('ChangesRepository.settled must run outside a transaction');
    const [row] = await rows(this.em, sql<{ s: string }>`select change_log_settled(${known.toString()}::bigint)::text as s`);
    const s = BigInt(row?.s ?? '0');
    return s > known ? s : known;
  }

  /** Everything at or before this position may have been trimmed. */
  async trimmedThrough(): Promise<bigint> {
    const [row] = await rows(this.em, sql<{ p: string }>`select trimmed_through::text as p from change_log_state where id = 1`);
    return BigInt(row?.p ?? '0');
  }

  /**
   * One trimming batch (run inside a transaction): deletes up to `maxEvents` events of the oldest
   * transactions committed before `cutoff`, then those transactions once empty, and moves the
   * horizon. Returns the number of events deleted, or null when another instance is trimming.
   * Deletes only old rows no writer touches, so writes never wait for it.
   */
  async trimBatch(cutoff: Date, maxEvents: number): Promise<number | null> {
    const [lock] = await rows(this.em, sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(4242012) as ok`);
    if (!lock?.ok) return null;
    const [victims] = await rows(
      this.em,
      sql<{ last: string | null }>`
        select max(position)::text as last from (
          select position from change_tx where position is not null and committed_at < ${cutoff} order by position limit 1000
        ) v`,
    );
    if (!victims?.last) return 0;
    const last = victims.last;
    await rows(this.em, sql`update change_log_state set trimmed_through = greatest(trimmed_through, ${last}::bigint) where id = 1`);
    const [deleted] = await rows(
      this.em,
      sql<{ n: number }>`
        with doomed as (
          select e.xid, e.seq from change_tx t join change_event e on e.xid = t.xid
          where t.position is not null and t.position <= ${last}::bigint
          order by t.position, e.seq
          limit ${maxEvents}
        ), gone as (
          delete from change_event e using doomed d where e.xid = d.xid and e.seq = d.seq returning 1
        )
        select count(*)::int as n from gone`,
    );
    await rows(
      this.em,
      sql`
        delete from change_tx t
        where t.position is not null and t.position <= ${last}::bigint
          and not exists (select 1 from change_event e where e.xid = t.xid)`,
    );
    return deleted?.n ?? 0;
  }
}
