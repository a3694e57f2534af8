import { bearer, type TestApp } from './test-app.js';

export interface FeedEvent {
  id: string;
  at: string;
  actor: { token_id: string | null; token_name: string | null; role: string | null };
  request_id: string | null;
  entity: string;
  entity_id: string;
  op: string;
  changed: string[];
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** Empties the change log (positions keep growing: the sequence is not reset). */
export const truncateChangeLog = (t: TestApp) => t.sql('truncate change_event, change_tx');

/** Follows `next` from `after` until an answer comes back empty: every event after it, and the final cursor. */
export async function drain(
  t: TestApp,
  after?: string,
  query: Record<string, string> = {},
): Promise<{ events: FeedEvent[]; next: string }> {
  const events: FeedEvent[] = [];
  let cursor = after;
  for (;;) {
    const res = await t
      .http()
      .get('/api/v2/changes')
      .query({ ...query, ...(cursor === undefined ? {} : { after: cursor }), limit: '1000' })
      .set(bearer(t.tokens.admin));
    if (res.status !== 200) throw new Error(`GET /api/v2/changes answered ${res.status}: ${JSON.stringify(res.body)}`);
    const body = res.body as { data: FeedEvent[]; next: string };
    events.push(...body.data);
    if (body.data.length === 0) return { events, next: body.next };
    cursor = body.next;
  }
}

/** The id of a test token by name (createTestApp names them `test <role>`). */
export async function tokenIdByName(t: TestApp, name: string): Promise<string> {
  const [row] = await t.sql<{ id: string }>('select id from api_token where name = ? order by created_at limit 1', [name]);
  return row.id;
}
