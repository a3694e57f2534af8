import fc from 'fast-check';
import type { Response } from 'supertest';
import { generateToken } from '../../../src/common/auth/token-format.js';
import { SiteRole } from '../../../src/common/auth/site-roles.js';
import type { TestApp } from '../test-app.js';
import { headerSafe } from './arbitraries.js';
import { stringsOf, toJsonText, type FuzzJson } from './json.js';
import { reseed, stateChanges, tableState, type TableState } from './seed.js';
import { arrayListProblems, entityProblems, envelopeListProblems, hierarchyProblems, type EntityShape } from './shapes.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type OrgResource = 'org-unit' | 'org-role' | 'org-person';
export type RoleKey = 'opseraAdmin' | 'admin' | 'powerUser' | 'viewer';

export type RouteKind =
  | 'people.list'
  | 'people.create'
  | 'people.get'
  | 'people.update'
  | 'people.delete'
  | 'people.reports'
  | 'people.managers'
  | 'org.index'
  | 'org.view'
  | 'org.create'
  | 'org.update'
  | 'org.delete'
  | 'org.historicize'
  | 'org.ancestors'
  | 'org.descendants'
  | 'tokens.create'
  | 'tokens.list'
  | 'tokens.get'
  | 'tokens.revoke'
  | 'changes.list'
  | 'webhooks.create'
  | 'webhooks.list'
  | 'webhooks.get'
  | 'webhooks.delete'
  | 'webhooks.deliveries';

/** How a request authenticates. Only `token` is a valid credential (and `no-scope` a valid token without scope api). */
export type AuthVariant =
  | { kind: 'none' }
  | { kind: 'token'; role: RoleKey; form: ValidForm }
  | { kind: 'mangled'; role: RoleKey; how: Mangle }
  | { kind: 'special'; which: 'revoked' | 'expired' | 'unknown' | 'no-scope' }
  | { kind: 'raw'; value: string };

/** Spellings of a correct `Authorization: Bearer <token>` (RFC 6750: the scheme is case-insensitive, 1*SP). */
export const VALID_FORMS = ['Bearer ', 'bearer ', 'BEARER ', 'Bearer    ', 'trailing-space'] as const;
export type ValidForm = (typeof VALID_FORMS)[number];

/** Ways to spoil a real token: each must be refused. */
export const MANGLES = [
  'bare',
  'basic',
  'token-scheme',
  'tab',
  'twice',
  'comma',
  'quoted',
  'flip-random',
  'flip-checksum',
  'drop-last',
  'append',
  'upper',
  'lower',
  'prefix-only',
  'no-prefix',
  'nbsp',
] as const;
export type Mangle = (typeof MANGLES)[number];

export type FuzzBody = { kind: 'json'; value: FuzzJson } | { kind: 'text'; text: string } | { kind: 'big'; bytes: number };

/** One generated request, printed as the counterexample when a property fails. */
export interface FuzzCase {
  route: RouteKind;
  resource?: OrgResource;
  method: Method;
  /** Path and query as the client sends them (already percent-encoded where intended). */
  path: string;
  auth: AuthVariant;
  requestId?: string;
  /** undefined: application/json when there is a body; null: no Content-Type header at all. */
  contentType?: string | null;
  accept?: string;
  body?: FuzzBody;
  /** Extra request headers (If-Match, If-None-Match, Idempotency-Key), sent as they are. */
  headers?: Record<string, string>;
}

export interface Credentials {
  tokens: Record<RoleKey, string>;
  revoked: string;
  expired: string;
  noScope: string;
  /** Tokens the token routes may revoke (never the ones the fuzzers authenticate with). */
  victims: { id: string; token: string; role: SiteRole }[];
}

const RANK: Record<RoleKey, number> = { viewer: 1, powerUser: 2, admin: 3, opseraAdmin: 4 };
const FROM_RANK: Record<number, RoleKey> = { 1: 'viewer', 2: 'powerUser', 3: 'admin', 4: 'opseraAdmin' };

/** Creates the extra tokens the fuzzers need: revoked, expired, without scope, and victims to revoke. */
export async function prepareCredentials(t: TestApp): Promise<Credentials> {
  const revoked = await t.createToken(SiteRole.Viewer, { name: 'fuzz revoked' });
  const expired = await t.createToken(SiteRole.Administrator, { name: 'fuzz expired' });
  const noScope = await t.createToken(SiteRole.OpseraAdministrator, { name: 'fuzz no scope', scopes: [] });
  await t.sql(`update api_token set revoked_at = now() where id = '${revoked.id}'`);
  await t.sql(`update api_token set expires_at = now() - interval '1 day' where id = '${expired.id}'`);
  const victims = [];
  for (const role of [SiteRole.Viewer, SiteRole.PowerUser, SiteRole.Administrator, SiteRole.OpseraAdministrator]) {
    victims.push({ ...(await t.createToken(role, { name: `fuzz victim ${role}` })), role });
  }
  return { tokens: t.tokens, revoked: revoked.token, expired: expired.token, noScope: noScope.token, victims };
}

type Credential = { kind: 'valid'; role: RoleKey } | { kind: 'no-scope' } | { kind: 'invalid' } | { kind: 'none' };

function flip(s: string, at: number): string {
  const c = s[at];
  return s.slice(0, at) + (c === 'A' ? 'B' : 'A') + s.slice(at + 1);
}

/** The Authorization header value of a variant, what credential it really is, and the secret it carries. */
export function authorization(auth: AuthVariant, creds: Credentials): { header?: string; credential: Credential; secret?: string } {
  switch (auth.kind) {
    case 'none':
      return { credential: { kind: 'none' } };
    case 'token': {
      const token = creds.tokens[auth.role];
      const header = auth.form === 'trailing-space' ? `Bearer ${token}  ` : `${auth.form}${token}`;
      return { header, credential: { kind: 'valid', role: auth.role }, secret: token };
    }
    case 'special': {
      const token = { revoked: creds.revoked, expired: creds.expired, 'no-scope': creds.noScope, unknown: generateToken() }[auth.which];
      return {
        header: `Bearer ${token}`,
        credential: auth.which === 'no-scope' ? { kind: 'no-scope' } : { kind: 'invalid' },
        secret: token,
      };
    }
    case 'raw': {
      // The credential part (after a Bearer scheme, if any), when long enough to be told from ordinary words.
      const header = headerSafe(auth.value);
      const presented = /^\s*bearer\s+(.*)$/i.exec(header)?.[1] ?? header;
      return {
        header,
        credential: { kind: 'invalid' },
        secret: presented.trim().length >= 12 ? presented.trim() : undefined,
      };
    }
    case 'mangled': {
      const token = creds.tokens[auth.role];
      const bad: Record<Mangle, string> = {
        bare: token,
        basic: `Basic ${Buffer.from(`user:${token}`).toString('base64')}`,
        'token-scheme': `Token ${token}`,
        tab: `Bearer\t${token}`,
        twice: `Bearer ${token} ${token}`,
        comma: `Bearer ${token},${token}`,
        quoted: `Bearer "${token}"`,
        'flip-random': `Bearer ${flip(token, 10)}`,
        'flip-checksum': `Bearer ${flip(token, token.length - 1)}`,
        'drop-last': `Bearer ${token.slice(0, -1)}`,
        append: `Bearer ${token}0`,
        upper: `Bearer ${token.toUpperCase()}`,
        lower: `Bearer ${token.toLowerCase()}`,
        'prefix-only': 'Bearer ogm_',
        'no-prefix': `Bearer ${token.slice(4)}`,
        nbsp: headerSafe(`Bearer\u00a0${token}`),
      };
      return { header: bad[auth.how], credential: { kind: 'invalid' }, secret: token };
    }
  }
}

function parseBool(value: string | null): boolean | undefined {
  if (value === null) return undefined;
  const v = value.trim().toLowerCase();
  return v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : undefined;
}

function queryOf(path: string): URLSearchParams {
  const q = path.indexOf('?');
  return new URLSearchParams(q === -1 ? '' : path.slice(q + 1));
}

/** Least site role a request needs (contract section 7), force=true escalating deletes. */
export function requiredRole(c: FuzzCase): RoleKey {
  switch (c.route) {
    case 'people.list':
    case 'people.get':
    case 'people.reports':
    case 'people.managers':
    case 'org.index':
    case 'org.view':
    case 'org.ancestors':
    case 'org.descendants':
      return 'viewer';
    case 'people.create':
    case 'people.update':
    case 'org.create':
    case 'org.update':
    case 'org.historicize':
      return 'powerUser';
    case 'people.delete':
    case 'org.delete': {
      const force = queryOf(c.path).getAll('force');
      return force.length === 1 && parseBool(force[0]) === true ? 'admin' : 'powerUser';
    }
    case 'tokens.create':
    case 'tokens.list':
    case 'tokens.get':
    case 'tokens.revoke':
    case 'changes.list':
    case 'webhooks.create':
    case 'webhooks.list':
    case 'webhooks.get':
    case 'webhooks.delete':
    case 'webhooks.deliveries':
      return 'admin';
  }
}

const SUCCESS: Record<RouteKind, number> = {
  'people.list': 200,
  'people.create': 201,
  'people.get': 200,
  'people.update': 200,
  'people.delete': 204,
  'people.reports': 200,
  'people.managers': 200,
  'org.index': 200,
  'org.view': 200,
  'org.create': 201,
  'org.update': 200,
  'org.delete': 204,
  'org.historicize': 200,
  'org.ancestors': 200,
  'org.descendants': 200,
  'tokens.create': 201,
  'tokens.list': 200,
  'tokens.get': 200,
  'tokens.revoke': 204,
  'changes.list': 200,
  'webhooks.create': 201,
  'webhooks.list': 200,
  'webhooks.get': 200,
  'webhooks.delete': 204,
  'webhooks.deliveries': 200,
};

/** Routes whose success may have changed the seeded rows (so the dataset is restored afterwards). */
const CHANGES_SEED = new Set<RouteKind>(['people.update', 'people.delete', 'org.update', 'org.delete', 'org.historicize', 'tokens.revoke']);

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A trailing slash where the last path parameter goes (elsewhere a trailing slash may belong to the parameter). */
const EMPTY_LAST_PARAMETER = /^(\/v2\/org-[a-z]+\/(view|update|delete|historicize)|\/api\/v2\/(data\/people|tokens|webhooks))\/$/;

/**
 * Whether the path leaves a route parameter empty: `//` or a trailing `/` where an id or email goes
 * (`PUT /v2/org-unit/update/`, `GET /api/v2/data/people//managers`). No route answers it: the 404 of
 * an unknown route, whatever the Content-Type, body or credential (not a 415 about the body).
 */
function leavesParameterEmpty(path: string): boolean {
  const pathname = path.split('?', 1)[0];
  return pathname.includes('//') || EMPTY_LAST_PARAMETER.test(pathname);
}
/** Answers given before routing: the request line or headers past the server's limits. */
const BEFORE_ROUTING = new Set([414, 431]);
/** The media types superagent treats as JSON (and would serialize a Buffer for). */
const SUPERAGENT_JSON = /[/+]json($|[^-\w])/i;

/**
 * What must never reach a client in an error body (contract section 6). A match is excused only when
 * the matched text is part of the request's own input (an echoed field name or email, for example).
 */
const LEAK_PATTERNS: readonly [string, RegExp][] = [
  ['SQL keyword', /\bselect\b|\binsert\s+into\b|\bdelete\s+from\b|\bupdate\s+"?\w+"?\s+set\b|\breturning\b/gi],
  [
    'database error text',
    /syntax error|at or near|invalid input syntax|violates [\w -]*constraint|duplicate key value|relation "|column "|sqlstate|\bpg_\w+|postgres|query ?failed|driverexception|mikro-?orm|kysely|knex/gi,
  ],
  ['stack trace', /\n\s+at\s|\bat [^\s]+ \(|\bat .+:\d+:\d+|\bstack\b/gi],
  [
    'JavaScript error',
    /\b(?:TypeError|RangeError|ReferenceError|SyntaxError|Cannot read propert\w*|is not a function|undefined is not)\b/g,
  ],
  ['source file', /\.(?:ts|js|mjs|cjs)\b/g],
  ['node_modules', /node_modules/g],
  ['server path', /\/(?:home|usr|tmp|work|opt|var|root|srv|app)\//g],
];

function leaksIn(strings: string[], inputs: string[]): string[] {
  const lowered = inputs.map((i) => i.toLowerCase());
  const found = new Set<string>();
  const cwd = process.cwd();
  for (const s of strings) {
    if (s.includes(cwd) && !inputs.some((i) => i.includes(cwd))) found.add(`server path ${JSON.stringify(cwd)}`);
    for (const [name, pattern] of LEAK_PATTERNS) {
      for (const match of s.matchAll(pattern)) {
        const text = match[0].toLowerCase();
        if (!lowered.some((i) => i.includes(text))) found.add(`${name} ${JSON.stringify(match[0])} in ${JSON.stringify(s.slice(0, 160))}`);
      }
    }
  }
  return [...found];
}

/** The strings of an error body a client reads: every JSON string (keys included), or the raw text when it is not JSON. */
function scannedStrings(res: Response): string[] {
  const text = res.text ?? '';
  try {
    return bodyStrings(JSON.parse(text));
  } catch {
    return text ? [text] : [];
  }
}

function bodyStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(bodyStrings);
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [k, ...bodyStrings(v)]);
  return [];
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Everything of the request a response may echo: path pieces (raw and decoded), query keys and values, body strings. */
function inputsOf(c: FuzzCase, bodyText: string | undefined): string[] {
  const inputs = [c.path, safeDecode(c.path), ...c.path.split(/[/?&=]/).flatMap((p) => [p, safeDecode(p), safeDecode(safeDecode(p))])];
  for (const [k, v] of queryOf(c.path)) inputs.push(k, v);
  if (c.body?.kind === 'json') inputs.push(...stringsOf(c.body.value));
  if (bodyText !== undefined && c.body?.kind !== 'big') inputs.push(bodyText);
  // A query string the client escaped differently is echoed in its escaped form: add that too.
  return inputs.flatMap((i) => [i, encodeURI(wellFormedForUri(i))]).filter((i) => i.length > 0);
}

function wellFormedForUri(s: string): string {
  return s.replace(/[\ud800-\udfff]/g, '\ufffd');
}

/**
 * Sends generated requests through the real application and checks the properties every answer must
 * have. Each check throws with every violated property, so fast-check prints and shrinks the case.
 */
export class Fuzzer {
  /** Generated cases sent (shrinking steps included). */
  sent = 0;
  /** How many answers had each status (0: no answer). */
  readonly statuses = new Map<number, number>();

  constructor(
    readonly t: TestApp,
    readonly creds: Credentials,
  ) {}

  /** fc.assert over `arb` with a fixed seed: every generated case must satisfy every property. */
  async assert(arb: fc.Arbitrary<FuzzCase>, params: { seed: number; numRuns: number }): Promise<void> {
    await fc.assert(
      fc.asyncProperty(arb, (c) => this.check(c)),
      { seed: params.seed, numRuns: params.numRuns, endOnFailure: false },
    );
  }

  async restore(): Promise<void> {
    await reseed(this.t);
    const ids = this.creds.victims.map((v) => `'${v.id}'`).join(', ');
    await this.t.sql(`update api_token set revoked_at = null where id in (${ids})`);
  }

  async check(c: FuzzCase): Promise<void> {
    const before = await tableState(this.t);
    const { res, error, bodyText, auth } = await this.send(c);
    this.sent++;
    this.statuses.set(res?.status ?? 0, (this.statuses.get(res?.status ?? 0) ?? 0) + 1);
    const after = await tableState(this.t);
    const violations = error ? [`no HTTP answer: ${error}`] : this.violations(c, res!, before, after, bodyText, auth);
    if (res && res.status >= 200 && res.status < 300 && CHANGES_SEED.has(c.route)) {
      await this.restore();
    }
    if (violations.length) {
      const snippet = res ? `${res.status} ${String(res.headers['content-type'])} ${(res.text ?? '').slice(0, 400)}` : '';
      throw new Error(`${c.method} ${c.path.slice(0, 300)} -> ${snippet}\n  - ${violations.join('\n  - ')}`);
    }
  }

  private async send(c: FuzzCase) {
    const auth = authorization(c.auth, this.creds);
    const headers: Record<string, string> = {};
    if (auth.header !== undefined) headers['Authorization'] = auth.header;
    if (c.requestId !== undefined) headers['X-Request-Id'] = c.requestId;
    if (c.accept !== undefined) headers['Accept'] = c.accept;
    for (const [name, value] of Object.entries(c.headers ?? {})) headers[name] = value;
    let bodyText: string | undefined;
    let payload: string | Buffer | undefined;
    if (c.body) {
      bodyText =
        c.body.kind === 'json' ? toJsonText(c.body.value) : c.body.kind === 'text' ? c.body.text : `{"name":"${'x'.repeat(c.body.bytes)}"}`;
      bodyText = this.withSecrets(bodyText);
      const type = c.contentType === undefined ? 'application/json' : c.contentType;
      if (type !== null) headers['Content-Type'] = type;
      // superagent JSON-serializes a Buffer sent as JSON, and gives a string without a Content-Type the
      // form type: so a string for JSON types, bytes otherwise, and the body goes out exactly as generated.
      payload = type !== null && SUPERAGENT_JSON.test(type.split(';')[0]) ? bodyText : Buffer.from(bodyText, 'utf8');
    } else if (typeof c.contentType === 'string') {
      headers['Content-Type'] = c.contentType;
    }
    const http = this.t.http();
    const path = this.withSecrets(c.path);
    let req =
      c.method === 'GET' ? http.get(path) : c.method === 'POST' ? http.post(path) : c.method === 'PUT' ? http.put(path) : http.delete(path);
    req = req.timeout(15_000);
    for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
    if (payload) req = req.send(payload);
    try {
      return { res: await req, bodyText, auth };
    } catch (e) {
      const err = e as { response?: Response; code?: string; message?: string };
      if (err.response) return { res: err.response, bodyText, auth };
      return { res: undefined, error: `${err.code ?? ''} ${err.message ?? String(e)}`, bodyText, auth };
    }
  }

  /** Replaces `{{token:role}}` placeholders with that role's real token (credentials smuggled into queries and bodies). */
  private withSecrets(text: string): string {
    return text.replace(/\{\{token:(\w+)\}\}/g, (_, role: string) => this.creds.tokens[role as RoleKey] ?? '');
  }

  /** Every property of contract sections 6-8 this answer breaks (empty when it keeps them all). */
  violations(
    c: FuzzCase,
    res: Response,
    before: TableState,
    after: TableState,
    bodyText: string | undefined,
    auth: ReturnType<typeof authorization>,
  ): string[] {
    const out: string[] = [];
    const status = res.status;
    const text = res.text ?? '';
    const headerText = Object.entries(res.headers)
      .map(([k, v]) => `${k}: ${String(v)}`)
      .join('\n');

    // 1. Never a 5xx for input a client sent.
    if (status >= 500) out.push(`server error ${status}`);
    if (leavesParameterEmpty(c.path) && status !== 404 && !BEFORE_ROUTING.has(status))
      out.push(`${status} for a path with an empty parameter; an unknown route is 404`);

    // X-Request-Id on every answer; a well-formed one from the client comes back unchanged.
    const rid = res.headers['x-request-id'] as string | undefined;
    if (!rid || !REQUEST_ID.test(rid)) out.push(`X-Request-Id missing or malformed: ${JSON.stringify(rid)}`);
    else if (c.requestId !== undefined && REQUEST_ID.test(c.requestId) && rid !== c.requestId)
      out.push(`X-Request-Id ${rid} != sent ${c.requestId}`);

    // Token secrets never echoed (the one exception: the new secret in a token creation's answer).
    const secrets = [
      ...Object.values(this.creds.tokens),
      this.creds.revoked,
      this.creds.expired,
      this.creds.noScope,
      ...this.creds.victims.map((v) => v.token),
    ];
    if (auth.secret) secrets.push(auth.secret);
    for (const secret of new Set(secrets)) {
      if (text.includes(secret) || headerText.includes(secret))
        out.push(`a token secret is echoed in the answer (${secret.slice(0, 8)}...)`);
    }
    const isCreatedToken = c.route === 'tokens.create' && status === 201;
    if (
      !isCreatedToken &&
      /ogm_[0-9A-Za-z]{36}/.test(text) &&
      !(bodyText ?? '').match(/ogm_[0-9A-Za-z]{36}/) &&
      !c.path.match(/ogm_[0-9A-Za-z]{36}/)
    ) {
      out.push('a token-shaped secret appears in the answer');
    }

    // Authentication and authorization: no success without a valid credential and a sufficient role.
    const success = status >= 200 && status < 300;
    const required = requiredRole(c);
    if (success) {
      if (auth.credential.kind !== 'valid') out.push(`success ${status} without a valid credential (${auth.credential.kind})`);
      else if (RANK[auth.credential.role] < RANK[required])
        out.push(`success ${status} for ${auth.credential.role}; the route needs ${required}`);
    }
    if (status === 401) {
      if (auth.credential.kind === 'valid') out.push('401 for a valid token');
      const challenge = res.headers['www-authenticate'] as string | undefined;
      if (!challenge || !challenge.startsWith('Bearer realm="organigram"'))
        out.push(`401 without WWW-Authenticate: Bearer realm="organigram" (${String(challenge)})`);
    }
    if (
      status === 403 &&
      auth.credential.kind === 'valid' &&
      RANK[auth.credential.role] >= RANK[required] &&
      !c.route.startsWith('tokens.')
    ) {
      out.push(`403 for ${auth.credential.role}, which the route allows (needs ${FROM_RANK[RANK[required]]})`);
    }

    if (status >= 400) {
      out.push(...this.problemViolations(res));
      out.push(...leaksIn(scannedStrings(res), inputsOf(c, bodyText)).map((l) => `leak: ${l}`));
      const changes = stateChanges(before, after);
      if (changes.length) out.push(`a refused request wrote: ${changes.join('; ')}`);
    } else if (success) {
      out.push(...this.successViolations(c, res));
    } else if (status === 304) {
      out.push(...notModifiedViolations(c, res));
    } else {
      out.push(`unexpected status ${status}`);
    }
    return out;
  }

  private problemViolations(res: Response): string[] {
    const out: string[] = [];
    const type = res.headers['content-type'] as string | undefined;
    if (!type || !/^application\/problem\+json/.test(type)) out.push(`error content-type is ${String(type)}, not application/problem+json`);
    const body = res.body as Record<string, unknown> | undefined;
    let parsed: unknown = body;
    if ((!body || Object.keys(body).length === 0) && res.text) {
      try {
        parsed = JSON.parse(res.text);
      } catch {
        parsed = undefined;
      }
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return [...out, 'error body is not a JSON object'];
    const p = parsed as Record<string, unknown>;
    for (const key of ['type', 'title', 'detail', 'instance', 'requestId']) {
      if (typeof p[key] !== 'string' || p[key].length === 0) out.push(`problem.${key} missing or not a string`);
    }
    if (p.status !== res.status) out.push(`problem.status ${JSON.stringify(p.status)} != HTTP ${res.status}`);
    if (typeof p.requestId === 'string' && p.requestId !== res.headers['x-request-id'])
      out.push('problem.requestId differs from the X-Request-Id header');
    if (typeof p.instance === 'string' && !p.instance.startsWith('/'))
      out.push(`problem.instance is not a path: ${p.instance.slice(0, 80)}`);
    if (p.errors !== undefined) {
      const ok =
        Array.isArray(p.errors) &&
        p.errors.length > 0 &&
        p.errors.every((e) => e && typeof e === 'object' && typeof e.field === 'string' && typeof e.message === 'string');
      if (!ok) out.push('problem.errors is not a non-empty list of {field, message}');
    } else if (typeof p.type === 'string' && p.type.endsWith('/validation-error')) {
      out.push('validation problem without errors[]');
    }
    return out;
  }

  private successViolations(c: FuzzCase, res: Response): string[] {
    const out: string[] = [];
    const expected = SUCCESS[c.route];
    if (res.status !== expected) out.push(`success status ${res.status}, documented ${expected}`);
    if (res.status === 204) {
      if (res.text) out.push(`204 with a body: ${res.text.slice(0, 80)}`);
      return out;
    }
    const type = res.headers['content-type'] as string | undefined;
    if (!type || !/^application\/json/.test(type)) out.push(`success content-type is ${String(type)}, not application/json`);
    if (ENTITY_TAGGED.has(c.route) && !STRONG_TAG.test(String(res.headers['etag'])))
      out.push(`a single-entity answer without a strong ETag (${String(res.headers['etag'])})`);
    const replayed = res.headers['idempotent-replayed'] as string | undefined;
    if (replayed !== undefined && (replayed !== 'true' || !(c.route === 'people.create' || c.route === 'org.create')))
      out.push(`Idempotent-Replayed: ${replayed} on ${c.route}`);
    const entity: EntityShape = c.route.startsWith('people.') ? 'person' : c.route.startsWith('tokens.') ? 'token' : c.resource!;
    switch (c.route) {
      case 'people.list':
      case 'tokens.list':
        out.push(...envelopeListProblems(res, entity));
        break;
      case 'org.index':
        out.push(...arrayListProblems(res, entity));
        break;
      case 'people.reports':
        out.push(...envelopeListProblems(res, 'person-in-line'));
        break;
      case 'people.managers': {
        const body = res.body as { count?: unknown; data?: unknown[] } | undefined;
        if (!Array.isArray(body?.data) || body.count !== body.data.length) out.push('managers: count is not the length of data[]');
        else body.data.forEach((item, i) => out.push(...entityProblems('person-in-line', item, `data[${i}]`)));
        break;
      }
      case 'org.ancestors':
        out.push(...hierarchyProblems(res, 'ancestor'));
        break;
      case 'org.descendants':
        out.push(...hierarchyProblems(res, 'descendant'));
        break;
      case 'tokens.create':
        out.push(...entityProblems('created-token', res.body));
        if (res.headers['cache-control'] !== 'no-store')
          out.push(`token creation without Cache-Control: no-store (${String(res.headers['cache-control'])})`);
        if (res.headers['location'] !== `/api/v2/tokens/${(res.body as { id?: string }).id}`)
          out.push(`Location ${String(res.headers['location'])}`);
        break;
      case 'people.create':
        out.push(...entityProblems(entity, res.body));
        if (res.headers['location'] !== `/api/v2/data/people/${encodeURIComponent(String((res.body as { email?: string }).email))}`) {
          out.push(`Location ${String(res.headers['location'])} does not name the new person`);
        }
        break;
      case 'people.get':
      case 'people.update':
      case 'people.delete':
      case 'org.view':
      case 'org.create':
      case 'org.update':
      case 'org.delete':
      case 'org.historicize':
      case 'tokens.get':
      case 'tokens.revoke':
        out.push(...entityProblems(entity, res.body));
        break;
      // The change feed and webhooks: every answer is one object; lists carry `data` (the feed also `next`).
      case 'changes.list':
      case 'webhooks.list':
      case 'webhooks.deliveries': {
        const body = res.body as { data?: unknown; next?: unknown } | undefined;
        if (!Array.isArray(body?.data)) out.push('list without data[]');
        if (c.route === 'changes.list' && typeof body?.next !== 'string') out.push('feed without next');
        break;
      }
      case 'webhooks.get':
      case 'webhooks.create':
      case 'webhooks.delete':
        if (typeof (res.body as { id?: unknown } | undefined)?.id !== 'string') out.push('webhook without id');
    }
    return out;
  }
}

/** Routes whose 2xx answers one entity, with its ETag (contract section 10.4). */
const ENTITY_TAGGED = new Set<RouteKind>([
  'people.create',
  'people.get',
  'people.update',
  'org.view',
  'org.create',
  'org.update',
  'org.historicize',
]);
const STRONG_TAG = /^"[A-Za-z0-9_-]{22}"$/;

/** A 304 only answers a read by id or email that sent If-None-Match: no body, no content type, the ETag. */
function notModifiedViolations(c: FuzzCase, res: Response): string[] {
  const out: string[] = [];
  const sent = Object.keys(c.headers ?? {}).some((h) => h.toLowerCase() === 'if-none-match');
  if (!(c.route === 'people.get' || c.route === 'org.view') || !sent) out.push(`304 on ${c.route} without If-None-Match`);
  if (res.text) out.push(`304 with a body: ${res.text.slice(0, 80)}`);
  if (res.headers['content-type'] !== undefined) out.push(`304 with a content type ${String(res.headers['content-type'])}`);
  if (!STRONG_TAG.test(String(res.headers['etag']))) out.push(`304 without a strong ETag (${String(res.headers['etag'])})`);
  return out;
}

/** Prints the number of generated cases a file sent (quoted in docs/reliability.md as "fuzz cases sent"). */
export function reportCases(file: string, fuzzers: Fuzzer[]): void {
  const total = fuzzers.reduce((n, f) => n + f.sent, 0);
  const statuses = new Map<number, number>();
  for (const f of fuzzers) for (const [status, n] of f.statuses) statuses.set(status, (statuses.get(status) ?? 0) + n);
  const byStatus = [...statuses.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${status}: ${n}`)
    .join(', ');
  console.log(`fuzz cases sent by ${file}: ${total} (answers by status: ${byStatus})`);
}
