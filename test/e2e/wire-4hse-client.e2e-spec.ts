import { orgFactories, type OrgFactories } from '../support/org-factories.js';
import { exactHeader, openApiViolations, portOf, rawRequest, type RawResponse } from '../support/raw-http.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * Replays, byte for byte, the requests 4HSE's own PHP client (FourHseApiClient: Laravel's HTTP client
 * over Guzzle 7) sends (issue 7, contract section 4.1): `Http::withToken()->acceptJson()->contentType('application/json')`
 * on every request, so DELETE and GET carry Content-Type without a body or Content-Length; bodies are
 * PHP's json_encode (slashes and non-ASCII escaped, an empty array as `[]`); ids go in `?id=` built
 * by http_build_query (PHP `true` is `1`). The client reads the pagination headers from the raw
 * response head with case-sensitive PHP array keys.
 */

const PROJECT = '7d3c8a9e-1b2f-4c5d-8e6f-0a1b2c3d4e5f';
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** 4HSE ids as a PHP caller may hold them: 32 hex digits, upper case. */
const phpId = (uuid: string) => uuid.replace(/-/g, '').toUpperCase();

describe("4HSE's PHP client (Laravel HTTP over Guzzle), replayed on the wire", () => {
  let t: TestApp;
  let f: OrgFactories;
  let port: number;

  /** One request exactly as Guzzle writes it: request line, then its headers in its order. */
  async function guzzle(method: string, target: string, body?: string): Promise<RawResponse> {
    const lines = [
      `${method} ${target} HTTP/1.1`,
      ...(body === undefined ? [] : [`Content-Length: ${Buffer.byteLength(body)}`]),
      'User-Agent: GuzzleHttp/7',
      `Host: 127.0.0.1:${port}`,
      `Authorization: Bearer ${t.tokens.admin}`,
      'Accept: application/json',
      'Content-Type: application/json',
    ];
    const res = await rawRequest(port, `${lines.join('\r\n')}\r\n\r\n${body ?? ''}`);
    expect(openApiViolations(t.app.getHttpServer(), method, target, res)).toEqual([]);
    return res;
  }

  /** FourHseApiClient::extractPaginationHeaders: `(int) ($headers['X-Pagination-Total-Count'][0] ?? 0)`. */
  function phpPagination(res: RawResponse) {
    const int = (name: string, fallback: number) => Number(exactHeader(res, name) ?? fallback);
    return {
      current_page: int('X-Pagination-Current-Page', 1),
      page_count: int('X-Pagination-Page-Count', 1),
      per_page: int('X-Pagination-Per-Page', 100),
      total_count: int('X-Pagination-Total-Count', 0),
    };
  }

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
    port = portOf(t.app.getHttpServer());
    f = orgFactories(t);
  });
  afterAll(() => t.close());
  beforeEach(() => t.sql('truncate org_person, org_unit, org_role, person cascade'));

  it('index: PHP-encoded filter, per-page and page; the total read from X-Pagination-Total-Count', async () => {
    const ids = [];
    for (const name of ['R&D / Labs', 'Società', 'Sales']) ids.push(await f.unit({ name, project_id: PROJECT }));
    await f.unit({ name: 'Elsewhere' });
    // json_encode(['filter' => ['project_id' => ...], 'per-page' => 2, 'page' => 1, 'sort' => 'name'])
    const res = await guzzle('POST', '/v2/org-unit/index', `{"filter":{"project_id":"${PROJECT}"},"per-page":2,"page":1,"sort":"name"}`);
    expect(res.statusLine).toBe('HTTP/1.1 200 OK');
    expect(phpPagination(res)).toEqual({ current_page: 1, page_count: 2, per_page: 2, total_count: 3 });
    expect((JSON.parse(res.body) as { name: string }[]).map((u) => u.name)).toEqual(['R&D / Labs', 'Sales']);
  });

  it('index: escaped slashes and \\u escapes of json_encode are read as the characters they stand for', async () => {
    await f.unit({ name: 'R&D / Labs', code: 'RD/1' });
    await f.unit({ name: 'Società' });
    const res = await guzzle('POST', '/v2/org-unit/index', '{"filter":{"name":"Societ\\u00e0"}}');
    expect(res.statusLine).toBe('HTTP/1.1 200 OK');
    expect(JSON.parse(res.body)).toEqual([expect.objectContaining({ name: 'Società', code: null })]);
    const slash = await guzzle('POST', '/v2/org-unit/index', '{"filter":{"code":"RD\\/1"}}');
    expect(JSON.parse(slash.body)).toEqual([expect.objectContaining({ name: 'R&D / Labs', code: 'RD/1' })]);
    expect(phpPagination(slash).total_count).toBe(1);
  });

  it('index with no parameters: PHP sends [] and gets the first page', async () => {
    const id = await f.unit({ name: 'Only' });
    const res = await guzzle('POST', '/v2/org-role/index', '[]');
    expect(res.statusLine).toBe('HTTP/1.1 200 OK');
    expect(JSON.parse(res.body)).toEqual([]);
    expect(phpPagination(res)).toEqual({ current_page: 1, page_count: 0, per_page: 100, total_count: 0 });
    const units = await guzzle('POST', '/v2/org-unit/index', '[]');
    expect(JSON.parse(units.body)).toEqual([expect.objectContaining({ org_unit_id: id })]);
    expect(phpPagination(units).total_count).toBe(1);
  });

  it('view by ?id= in upper-case hex, Content-Type and no body', async () => {
    const id = await f.unit({ name: 'Viewed', project_id: PROJECT });
    const res = await guzzle('GET', `/v2/org-unit/view?id=${phpId(id)}`);
    expect(res.statusLine).toBe('HTTP/1.1 200 OK');
    expect(JSON.parse(res.body)).toEqual({
      org_unit_id: id,
      code: null,
      name: 'Viewed',
      description: null,
      parent_org_unit_id: null,
      project_id: PROJECT,
      external_id: null,
      valid_from: null,
      valid_to: null,
      owned_active: true,
      parent_active: true,
    });
  });

  it('update with no fields: PHP sends [] and nothing changes', async () => {
    const id = await f.unit({ name: 'Unchanged', code: 'U1' });
    const before = await t.sql('select id, name, code, description, parent_id, valid_from, valid_to from org_unit');
    const res = await guzzle('PUT', `/v2/org-unit/update?id=${phpId(id)}`, '[]');
    expect(res.statusLine).toBe('HTTP/1.1 200 OK');
    expect(JSON.parse(res.body)).toEqual(expect.objectContaining({ org_unit_id: id, name: 'Unchanged', code: 'U1', valid_to: null }));
    expect(await t.sql('select id, name, code, description, parent_id, valid_from, valid_to from org_unit')).toEqual(before);
  });

  it('update with dates in 4HSE form: read as UTC, answered ISO with milliseconds and Z', async () => {
    const id = await f.unit({ name: 'Dated' });
    const res = await guzzle('PUT', `/v2/org-unit/update?id=${phpId(id)}`, '{"valid_from":"2026-01-01","valid_to":"2026-12-31 23:59:59"}');
    expect(res.statusLine).toBe('HTTP/1.1 200 OK');
    expect(JSON.parse(res.body)).toEqual(
      expect.objectContaining({ valid_from: '2026-01-01T00:00:00.000Z', valid_to: '2026-12-31T23:59:59.000Z' }),
    );
    const [row] = await t.sql<{ valid_from: string; valid_to: string }>('select valid_from, valid_to from org_unit');
    expect([new Date(row.valid_from).toISOString(), new Date(row.valid_to).toISOString()]).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-12-31T23:59:59.000Z',
    ]);
  });

  it('historicize without a date: PHP sends [] and valid_to becomes now', async () => {
    const id = await f.role({ name: 'Ending' });
    const before = Date.now();
    const res = await guzzle('POST', `/v2/org-role/historicize/${phpId(id)}`, '[]');
    expect(res.statusLine).toBe('HTTP/1.1 200 OK');
    const body = JSON.parse(res.body) as { valid_to: string; owned_active: boolean };
    expect(body.valid_to).toMatch(ISO_MS);
    expect(new Date(body.valid_to).getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(body.owned_active).toBe(false);
    const [row] = await t.sql<{ valid_to: string }>('select valid_to from org_role');
    expect(new Date(row.valid_to).toISOString()).toBe(body.valid_to);
  });

  it('historicize with {"date":"2026-12-02 03:29:45"}: valid_to is that instant in UTC', async () => {
    const id = await f.unit({ name: 'Until December' });
    const res = await guzzle('POST', `/v2/org-unit/historicize/${phpId(id)}`, '{"date":"2026-12-02 03:29:45"}');
    expect(res.statusLine).toBe('HTTP/1.1 200 OK');
    expect(JSON.parse(res.body)).toEqual(
      expect.objectContaining({ org_unit_id: id, name: 'Until December', valid_to: '2026-12-02T03:29:45.000Z' }),
    );
    const [row] = await t.sql<{ valid_to: string }>('select valid_to from org_unit');
    expect(new Date(row.valid_to).toISOString()).toBe('2026-12-02T03:29:45.000Z');
  });

  it('delete by ?id=, Content-Type and no body, no Content-Length: 204', async () => {
    const id = await f.role({ name: 'Deleted' });
    const res = await guzzle('DELETE', `/v2/org-role/delete?id=${phpId(id)}`);
    expect(res.statusLine).toBe('HTTP/1.1 204 No Content');
    expect(res.body).toBe('');
    expect(await t.sql('select count(*)::int as n from org_role')).toEqual([{ n: 0 }]);
  });

  it('delete with related entities: the 400 names them (never "Body cannot be empty"), and force=1 deletes them all', async () => {
    const parent = await f.unit({ name: 'Parent' });
    const child = await f.unit({ name: 'Child', parent_org_unit_id: parent });
    const refused = await guzzle('DELETE', `/v2/org-unit/delete?id=${phpId(parent)}`);
    expect(refused.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(JSON.parse(refused.body)).toEqual({
      type: 'https://organigram.dev/problems/related-entities',
      title: 'Related entities exist',
      status: 400,
      detail: 'Delete refused: related entities exist (1 org-unit). Delete them first or repeat with force=true.',
      instance: '/v2/org-unit/delete',
      requestId: exactHeader(refused, 'X-Request-Id'),
      related: { counts: { 'org-unit': 1 }, items: [{ type: 'org-unit', id: child, label: 'Child' }] },
    });
    expect(await t.sql('select count(*)::int as n from org_unit')).toEqual([{ n: 2 }]);

    const forced = await guzzle('DELETE', `/v2/org-unit/delete?id=${phpId(parent)}&force=1`);
    expect(forced.statusLine).toBe('HTTP/1.1 204 No Content');
    expect(await t.sql('select count(*)::int as n from org_unit')).toEqual([{ n: 0 }]);
  });

  it('ancestors by ?id= with with_counts=1, history=1 and as_of in 4HSE form, Content-Type and no body', async () => {
    const root = await f.unit({ name: 'Root', project_id: PROJECT });
    const child = await f.unit({ name: 'Child', parent_org_unit_id: root, project_id: PROJECT });
    const leaf = await f.unit({ name: 'Leaf', parent_org_unit_id: child, project_id: PROJECT });
    await f.assignment({ person_id: await f.person({ email: 'ann@example.com' }), org_unit_id: leaf });
    // http_build_query: a space as +, the colons percent-encoded.
    const res = await guzzle('GET', `/v2/org-unit/ancestors?id=${phpId(leaf)}&with_counts=1&history=1&as_of=2999-01-01+00%3A00%3A00`);
    expect(res.statusLine).toBe('HTTP/1.1 200 OK');
    const unit = (id: string, name: string, parent: string | null, depth: number) => ({
      org_unit_id: id,
      code: null,
      name,
      description: null,
      parent_org_unit_id: parent,
      project_id: PROJECT,
      external_id: null,
      valid_from: null,
      valid_to: null,
      owned_active: true,
      parent_active: true,
      depth,
      head_count: 0,
      total_head_count: 1,
    });
    expect(JSON.parse(res.body)).toEqual([unit(root, 'Root', null, 0), unit(child, 'Child', root, 1)]);
    // Before the units existed (a date alone is midnight UTC): none of them, so 404.
    expect((await guzzle('GET', `/v2/org-unit/ancestors?id=${phpId(leaf)}&as_of=2000-01-01`)).statusLine).toBe('HTTP/1.1 404 Not Found');
  });

  it('descendants: PHP-encoded body with the id in upper-case hex and as_of as a date; pagination headers as spelled', async () => {
    const root = await f.unit({ name: 'Root' });
    const child = await f.unit({ name: 'Child', parent_org_unit_id: root });
    await f.assignment({ person_id: await f.person({ email: 'ann@example.com' }), org_unit_id: child });
    const body = `{"org_unit_id":"${phpId(root)}","with_counts":true,"as_of":"2999-01-01","per-page":50,"page":1}`;
    const res = await guzzle('POST', '/v2/org-unit/descendants', body);
    expect(res.statusLine).toBe('HTTP/1.1 200 OK');
    expect(phpPagination(res)).toEqual({ current_page: 1, page_count: 1, per_page: 50, total_count: 1 });
    expect(JSON.parse(res.body)).toEqual([
      expect.objectContaining({ org_unit_id: child, depth: 1, path: [root], head_count: 1, total_head_count: 1 }),
    ]);
    const none = await guzzle('POST', '/v2/org-unit/descendants', '[]');
    expect(none.statusLine).toBe('HTTP/1.1 400 Bad Request');
    const errors = (JSON.parse(none.body) as { errors: { field: string; message: string }[] }).errors;
    expect(new Set(errors.map((e) => e.field))).toEqual(new Set(['org_unit_id']));
    expect(errors[0].message).toBe('is required');
  });

  it('delete with historicize=1: the unit is historicized, not deleted', async () => {
    const id = await f.unit({ name: 'Kept in history' });
    const res = await guzzle('DELETE', `/v2/org-unit/delete?id=${phpId(id)}&historicize=1`);
    expect(res.statusLine).toBe('HTTP/1.1 204 No Content');
    const rows = await t.sql<{ valid_to: string | null }>('select valid_to from org_unit');
    expect(rows).toHaveLength(1);
    expect(rows[0].valid_to).not.toBeNull();
  });
});
