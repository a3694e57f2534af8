import { Webhook } from 'standardwebhooks';
import { bearer, createTestApp, ISO, problem, UUID, type TestApp } from '../support/test-app.js';
import { errorFields, orgFactories, type OrgFactories } from '../support/org-factories.js';
import { drain, type FeedEvent } from '../support/changes.js';
import { WebhookReceiver, type Received } from '../support/webhook-receiver.js';

const SECRET = expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/);

function verified(secret: string, r: Received): { type: string; timestamp: string; data: FeedEvent } {
  const headers = {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  };
  return new Webhook(secret).verify(r.body, headers) as { type: string; timestamp: string; data: FeedEvent };
}

/** Webhooks (contract 10.3): management, Standard Webhooks signatures, order, retries. */
describe('Webhooks', () => {
  let t: TestApp;
  let f: OrgFactories;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    t = await createTestApp({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_RETRY_BASE_MS: '1000', WEBHOOK_TIMEOUT_MS: '2000' });
    f = orgFactories(t);
    await t.sql('truncate webhook cascade');
  });
  beforeEach(async () => {
    receiver = await WebhookReceiver.start();
  });
  afterEach(async () => {
    await t.sql('truncate webhook cascade');
    await receiver.close();
  });
  afterAll(() => t.close());

  const create = (body: object, token = t.tokens.admin) => t.http().post('/api/v2/webhooks').set(bearer(token)).send(body);

  it('creates, lists, shows and deletes a webhook; the secret is in the creation answer only', async () => {
    const res = await create({ url: receiver.url, events: ['person.*', 'org-unit.delete'], description: 'HR' });
    expect(res.status).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const hook = res.body as { id: string; secret: string };
    expect(res.headers.location).toBe(`/api/v2/webhooks/${hook.id}`);
    expect(res.body).toEqual({
      id: UUID,
      url: receiver.url,
      events: ['person.*', 'org-unit.delete'],
      description: 'HR',
      secret: SECRET,
      createdAt: ISO,
    });
    expect(Buffer.from(hook.secret.slice(6), 'base64')).toHaveLength(32);
    const view = {
      id: hook.id,
      url: receiver.url,
      events: ['person.*', 'org-unit.delete'],
      description: 'HR',
      createdAt: (res.body as { createdAt: string }).createdAt,
    };
    const list = await t.http().get('/api/v2/webhooks').set(bearer(t.tokens.admin));
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ data: [view] });
    const one = await t
      .http()
      .get(`/api/v2/webhooks/${hook.id.replace(/-/g, '')}`)
      .set(bearer(t.tokens.opseraAdmin));
    expect(one.body).toEqual(view);
    const defaults = await create({ url: receiver.url });
    expect((defaults.body as { events: string[]; description: null }).events).toEqual(['*']);
    expect((await t.http().delete(`/api/v2/webhooks/${hook.id}`).set(bearer(t.tokens.admin))).status).toBe(204);
    const gone = await t.http().get(`/api/v2/webhooks/${hook.id}`).set(bearer(t.tokens.admin));
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual(problem(404, 'not-found'));
    expect((await t.http().delete(`/api/v2/webhooks/${hook.id}`).set(bearer(t.tokens.admin))).status).toBe(404);
    expect((await t.http().get(`/api/v2/webhooks/${hook.id}/deliveries`).set(bearer(t.tokens.admin))).status).toBe(404);
    expect((await t.http().get('/api/v2/webhooks/nope').set(bearer(t.tokens.admin))).status).toBe(400);
  });

  it('honours Idempotency-Key on creation: a repeat answers the first webhook again and creates no other', async () => {
    const send = (body: object) =>
      t.http().post('/api/v2/webhooks').set(bearer(t.tokens.admin)).set('Idempotency-Key', 'hook-1').send(body);
    const first = await send({ url: receiver.url, description: 'once' });
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await send({ url: receiver.url, description: 'once' });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.body).toEqual(first.body);
    const other = await send({ url: receiver.url, description: 'another body' });
    expect(other.status).toBe(422);
    expect(await t.sql<{ n: number }>('select count(*)::int as n from webhook')).toEqual([{ n: 1 }]);
  });

  it('is for Administrators and above only', async () => {
    for (const token of [t.tokens.viewer, t.tokens.powerUser]) {
      expect((await create({ url: receiver.url }, token)).status).toBe(403);
      expect((await t.http().get('/api/v2/webhooks').set(bearer(token))).status).toBe(403);
    }
    expect(await t.sql('select id from webhook')).toEqual([]);
  });

  it.each([
    [{}, 'url'],
    [{ url: 'ftp://example.com/x' }, 'url'],
    [{ url: 'not a url' }, 'url'],
    [{ url: 'http://no-such-host.invalid/' }, 'url'],
    [{ url: 'https://example.com/'.padEnd(2049, 'x') }, 'url'],
    [{ url: 'https://example.com/', events: ['person.rename'] }, 'events'],
    [{ url: 'https://example.com/', events: [] }, 'events'],
    [{ url: 'https://example.com/', events: 'person.*' }, 'events'],
    [{ url: 'https://example.com/', events: ['*', '*'] }, 'events'],
    [{ url: 'https://example.com/', secret: 'mine' }, 'secret'],
  ])('refuses %j with a 400 naming %s', async (body, field) => {
    const res = await create(body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(problem(400, 'validation-error', { errors: expect.any(Array) }));
    expect(errorFields(res)).toEqual([field]);
  });

  it('POSTs matching events in log order, signed in the Standard Webhooks format', async () => {
    const res = await create({ url: receiver.url, events: ['person.*', 'org-role.create'] });
    const hook = res.body as { id: string; secret: string };
    const before = await drain(t);
    const person = await f.person({ email: 'hook@example.com' });
    await f.unit({ name: 'Not delivered' });
    expect((await t.http().put('/api/v2/data/people/hook@example.com').set(bearer(t.tokens.admin)).send({ team: 'Blue' })).status).toBe(
      200,
    );
    const role = await f.role({ name: 'Delivered' });
    await receiver.until((r) => r.length >= 3);
    const { events } = await drain(t, before.next);
    const wanted = events.filter((e) => e.entity !== 'org-unit');
    expect(wanted.map((e) => [e.entity_id, e.op])).toEqual([
      [person, 'create'],
      [person, 'update'],
      [role, 'create'],
    ]);
    expect(receiver.received).toHaveLength(3);
    receiver.received.forEach((r, i) => {
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['webhook-id']).toBe(wanted[i].id);
      expect(Number(r.headers['webhook-timestamp'])).toBeGreaterThan(Date.now() / 1000 - 60);
      expect(r.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      expect(verified(hook.secret, r)).toEqual({
        type: `${wanted[i].entity}.${wanted[i].op}`,
        timestamp: wanted[i].at,
        data: wanted[i],
      });
    });
    expect(() => verified(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, receiver.received[0])).toThrow();
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(receiver.received).toHaveLength(3);
    const log = await t.http().get(`/api/v2/webhooks/${hook.id}/deliveries`).set(bearer(t.tokens.admin));
    expect(log.status).toBe(200);
    expect(log.body).toEqual({
      data: [...wanted].reverse().map((e) => ({ eventId: e.id, attempt: 1, statusCode: 200, error: null, at: ISO })),
    });
  });

  it('retries a failed delivery with backoff, the same webhook-id each time, holding back the later events', async () => {
    const hook = (await create({ url: receiver.url, events: ['org-role.*'] })).body as { id: string; secret: string };
    let failures = 2;
    receiver.respond = (r) => (verified(hook.secret, r).type === 'org-role.create' && failures-- > 0 ? 500 : 204);
    const role = await f.role({ name: 'Retried' });
    expect((await t.http().put(`/v2/org-role/update/${role}`).set(bearer(t.tokens.admin)).send({ name: 'Later' })).status).toBe(200);
    await receiver.until((r) => r.length >= 4, 40_000);
    const seen = receiver.received.map((r) => [verified(hook.secret, r).type, r.headers['webhook-id']]);
    const createId = seen[0][1];
    expect(seen).toEqual([
      ['org-role.create', createId],
      ['org-role.create', createId],
      ['org-role.create', createId],
      ['org-role.update', expect.any(String)],
    ]);
    const log = await t.http().get(`/api/v2/webhooks/${hook.id}/deliveries`).set(bearer(t.tokens.admin));
    const attempts = (log.body as { data: { eventId: string; attempt: number; statusCode: number }[] }).data.reverse();
    expect(attempts.map((a) => [a.eventId === createId, a.attempt, a.statusCode])).toEqual([
      [true, 1, 500],
      [true, 2, 500],
      [true, 3, 204],
      [false, 1, 204],
    ]);
  }, 60_000);

  it('records an attempt that got no answer', async () => {
    const hook = (await create({ url: receiver.url, events: ['org-role.create'] })).body as { id: string };
    await receiver.close();
    await f.role({ name: 'Nobody listens' });
    const deadline = Date.now() + 10_000;
    let data: { attempt: number; statusCode: number | null; error: string | null }[] = [];
    while (data.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      data = (await t.http().get(`/api/v2/webhooks/${hook.id}/deliveries`).set(bearer(t.tokens.admin))).body.data;
    }
    expect(data[0]).toEqual({
      eventId: expect.any(String),
      attempt: 1,
      statusCode: null,
      error: expect.stringContaining('ECONNREFUSED'),
      at: ISO,
    });
    receiver = await WebhookReceiver.start();
  });
});

describe('Webhook targets (SSRF rules)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it.each([
    'http://127.0.0.1:8080/hook',
    'http://localhost/hook',
    'http://[::1]/hook',
    'http://169.254.169.254/latest/meta-data',
    'http://10.0.0.1/',
    'http://192.168.1.20/',
    'http://2130706433/',
    'http://[::ffff:127.0.0.1]/',
  ])('refuses %s unless WEBHOOK_ALLOW_PRIVATE_TARGETS', async (url) => {
    const res = await t.http().post('/api/v2/webhooks').set(bearer(t.tokens.admin)).send({ url });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(
      problem(400, 'validation-error', { errors: [{ field: 'url', message: 'resolves to a loopback, private or link-local address' }] }),
    );
    expect(await t.sql('select id from webhook where url = ?', [url])).toEqual([]);
  });
});
