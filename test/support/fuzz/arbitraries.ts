import fc from 'fast-check';
import { RawJson, type FuzzJson } from './json.js';

/**
 * Generators of hostile and almost-valid input: strings, numbers, JSON values, ids, emails, dates,
 * query strings and header values. Everything here is pure data; the harness turns it into requests.
 */

/** SQL-looking text, classic injections included. */
export const SQL_INJECTIONS = [
  "' OR '1'='1",
  "' OR 1=1 --",
  '1; DROP TABLE person; --',
  "Robert'); DROP TABLE org_unit;--",
  "' UNION SELECT id, token_hash FROM api_token --",
  'select * from person',
  'insert into person values (1)',
  'delete from org_person',
  'update person set email = null',
  '1 AND (SELECT pg_sleep(2)) IS NULL',
  "'; select pg_sleep(2); --",
  '$1',
  '?',
  '%',
  '_',
  '\\',
  "\\'",
  '"',
  "''",
  '`',
  '/*',
  '*/',
  '--',
  ';',
  '$$',
  "E'\\x00'",
  'name desc; drop table person',
  '(select 1)',
  'id asc nulls first',
] as const;

/** Strings that have broken parsers, validators or databases before. */
export const NASTY_STRINGS = [
  '',
  ' ',
  '   ',
  '\t',
  '\n',
  '\r\n',
  '\u0000',
  'a\u0000b',
  '\u0000@example.com',
  '\u00a0',
  '\u200b',
  '\u200e\u202e',
  '\r\u001b[2K',
  'a\u0085b',
  '\u2066x\u2069',
  '\u007f',
  '\ufeff',
  '\ud800',
  '\udfff',
  'a\ud83d',
  '😀',
  '👩‍👩‍👧‍👦',
  'Ω≈ç√∫',
  'ﷺ',
  'Z̤͔ͧ̑̓ä͖̭̈̇l͖͎g̞̥͈͒ͯo',
  '日本語のテキスト',
  'עברית',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  'true',
  'false',
  '0',
  '-1',
  '1e309',
  '0x1F',
  '{}',
  '[]',
  '{"a":1}',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '../../../../etc/passwd',
  '..',
  '.',
  '/',
  '//',
  '%00',
  '%',
  '%25',
  '%2F',
  '%ZZ',
  '+',
  '&',
  '=',
  '#',
  '?',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  'ogm_',
  'Bearer',
  ...SQL_INJECTIONS,
] as const;

// Up to just past the longest column (2000). Request lines and headers past Node's 16 KiB limit are
// fuzzed on their own (fuzz-auth-headers), or every family would stop at that first finding.
const LENGTHS = [
  63, 64, 65, 99, 100, 101, 127, 128, 129, 199, 200, 201, 253, 254, 255, 256, 499, 500, 501, 999, 1000, 1001, 1999, 2000, 2001,
];

/** Strings exactly around the column and validator limits (ASCII and multi-byte). */
export const boundaryString = fc
  .tuple(fc.constantFrom(...LENGTHS), fc.constantFrom('x', 'é', '日', '😀', ' ', 'a '))
  .map(([n, unit]) => unit.repeat(Math.max(1, Math.floor(n / unit.length))).slice(0, unit === '😀' ? n * 2 : n));

const loneSurrogates = fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 3 });

/** Any string, biased towards the nasty ones. */
export const anyString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 24 }), weight: 4 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 16 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 16 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 16 }), weight: 1 },
  { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 4 },
  { arbitrary: boundaryString, weight: 2 },
  { arbitrary: loneSurrogates, weight: 1 },
  { arbitrary: fc.tuple(fc.string({ maxLength: 6 }), fc.constantFrom(...NASTY_STRINGS)).map(([a, b]) => a + b), weight: 1 },
);

/** Short human text: mostly valid names, sometimes nasty. */
export const text: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ minLength: 1, maxLength: 30 }), weight: 4 },
  { arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }), weight: 2 },
  { arbitrary: anyString, weight: 3 },
);

/** Numbers at and past every limit, and literals JavaScript cannot represent. */
export const anyNumber: fc.Arbitrary<number | RawJson> = fc.oneof(
  fc.integer(),
  fc.integer({ min: -2, max: 1002 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    0.5,
    1.5,
    999,
    1000,
    1001,
    999_999,
    1_000_000,
    1_000_001,
    2 ** 31 - 1,
    2 ** 31,
    -(2 ** 31),
    2 ** 32,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    Number.MIN_SAFE_INTEGER,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    -Number.MAX_VALUE,
    1e21,
  ),
  fc
    .constantFrom(
      '1e400',
      '-1e400',
      '1e-400',
      '-0',
      '-0.0',
      '1.0',
      '1e2',
      '1E+2',
      '2e0',
      '100.000',
      '123456789012345678901234567890',
      '0.1e1',
    )
    .map((t) => new RawJson(t)),
);

const scalar: fc.Arbitrary<FuzzJson> = fc.oneof(
  { arbitrary: fc.constant(null), weight: 2 },
  { arbitrary: fc.boolean(), weight: 2 },
  { arbitrary: anyNumber, weight: 3 },
  { arbitrary: anyString, weight: 5 },
);

/** Keys of objects: known-dangerous names, short random ones, nasty ones. */
export const anyKey: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ minLength: 1, maxLength: 10 }), weight: 3 },
  {
    arbitrary: fc.constantFrom(
      'id',
      'toString',
      'valueOf',
      'hasOwnProperty',
      'access_token',
      'filter',
      'sort',
      'where',
      '$where',
      '$gt',
      '0',
      '-1',
      'a.b',
      'a[0]',
    ),
    weight: 2,
  },
  { arbitrary: anyString.filter((s) => s !== '__proto__'), weight: 1 },
);

/** Any JSON value up to a small depth (objects, arrays, every scalar). */
export const anyJson: fc.Arbitrary<FuzzJson> = fc.letrec<{ value: FuzzJson }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true, maxDepth: 3 },
    { arbitrary: scalar, weight: 6 },
    { arbitrary: fc.array(tie('value'), { maxLength: 4 }), weight: 1 },
    { arbitrary: fc.dictionary(anyKey, tie('value'), { maxKeys: 4 }), weight: 1 },
  ),
})).value;

/** Nesting around the 16-level limit of the input guard, as arrays or objects. */
export const deepJson: fc.Arbitrary<FuzzJson> = fc
  .tuple(fc.integer({ min: 12, max: 200 }), fc.boolean(), fc.constantFrom<FuzzJson>(null, 1, 'x', {}, []))
  .map(([depth, asArray, leaf]) => {
    let v: FuzzJson = leaf;
    for (let i = 0; i < depth; i++) v = asArray ? [v] : { a: v };
    return v;
  });

/** JSON objects that need raw text: repeated keys and prototype keys. */
export const rawObject: fc.Arbitrary<RawJson> = fc
  .oneof(
    fc.constantFrom(
      '{"__proto__":{"isAdmin":true}}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      '{"name":"a","name":"b"}',
      '{"filter":{},"filter":[]}',
    ),
    fc
      .tuple(anyKey, anyJsonTextFragment(), anyJsonTextFragment())
      .map(([k, a, b]) => `{${JSON.stringify(k)}:${a},${JSON.stringify(k)}:${b}}`),
  )
  .map((s) => new RawJson(s));

function anyJsonTextFragment(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom('1', 'null', '"x"', '[]', '{}', 'true', '1e400'),
    fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s)),
  );
}

/** Body text that is not valid JSON, or only barely. */
export const brokenJsonText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '{',
    '}',
    '[',
    '{"a":}',
    '{"a":1,}',
    "{'a':1}",
    '{a:1}',
    '{"a":1}{"b":2}',
    '{"a":1} x',
    'nul',
    'NaN',
    'Infinity',
    'undefined',
    '\ufeff{}',
    '{"a":"\\u0000"}',
    '{"a":"\\ud800"}',
    '{"a":"\\x41"}',
    '{"a":01}',
    '{"a":.5}',
    '{"a":+1}',
    '{"a":0x10}',
    '"\\u0000"',
    '{"a":"b\n"}',
    '/* c */ {}',
    '{"a":1 // c\n}',
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

const UUID_RE_CHARS = '0123456789abcdefABCDEF';

/** A v4-like UUID in canonical form (lower case). */
export const uuid: fc.Arbitrary<string> = fc.uuid();

/** Ids as a client might mistype or an attacker might craft them. */
export function idString(known: readonly string[] = []): fc.Arbitrary<string> {
  const knownArb = known.length ? fc.constantFrom(...known) : uuid;
  const nearUuid = fc
    .tuple(
      fc.oneof(knownArb, uuid),
      fc.integer({ min: 0, max: 35 }),
      fc.constantFrom(...'0g-Z {}%'.split('')),
      fc.integer({ min: 0, max: 5 }),
    )
    .map(([id, at, ch, how]) => {
      switch (how) {
        case 0:
          return id.slice(0, at) + ch + id.slice(at + 1); // one character replaced
        case 1:
          return id.slice(0, at) + id.slice(at + 1); // one character dropped
        case 2:
          return id.slice(0, at) + ch + id.slice(at); // one character added
        case 3:
          return `{${id}}`;
        case 4:
          return `urn:uuid:${id}`;
        default:
          return ` ${id}\t`;
      }
    });
  return fc.oneof(
    { arbitrary: knownArb, weight: 4 },
    { arbitrary: knownArb.map((id) => id.replace(/-/g, '')), weight: 2 },
    { arbitrary: knownArb.map((id) => id.toUpperCase()), weight: 1 },
    { arbitrary: knownArb.map((id) => id.replace(/-/g, '').toUpperCase()), weight: 1 },
    { arbitrary: uuid, weight: 2 },
    { arbitrary: uuid.map((id) => id.replace(/-/g, '')), weight: 1 },
    { arbitrary: fc.string({ unit: fc.constantFrom(...UUID_RE_CHARS.split('')), minLength: 31, maxLength: 33 }), weight: 1 },
    {
      arbitrary: fc.constantFrom(
        '00000000-0000-0000-0000-000000000000',
        'ffffffff-ffff-ffff-ffff-ffffffffffff',
        '0'.repeat(32),
        'f'.repeat(32),
      ),
      weight: 1,
    },
    { arbitrary: nearUuid, weight: 3 },
    { arbitrary: fc.constantFrom(...SQL_INJECTIONS), weight: 2 },
    { arbitrary: fc.tuple(knownArb, fc.constantFrom(...SQL_INJECTIONS)).map(([id, s]) => id + s), weight: 1 },
    { arbitrary: fc.integer({ min: 33, max: 3000 }).map((n) => 'a'.repeat(n)), weight: 1 },
    { arbitrary: fc.integer({ min: 2, max: 60 }).chain((n) => knownArb.map((id) => id.repeat(n))), weight: 1 },
    { arbitrary: anyString, weight: 3 },
  );
}

/** How an id is written into a URL path segment. */
export type SegmentEncoding = 'encoded' | 'double-encoded' | 'raw';

/** Puts a value into a path segment: percent-encoded, double-encoded, or raw (malformed escapes, slashes and all). */
export function segment(value: string, how: SegmentEncoding): string {
  if (how === 'encoded') return encodeURIComponent(safeForUrl(value));
  if (how === 'double-encoded') return encodeURIComponent(encodeURIComponent(safeForUrl(value)));
  // Raw: printable ASCII stays as typed (a stray % or / included); the URL parser of the client escapes the rest.
  return value;
}

/** encodeURIComponent throws on lone surrogates: replace them as a browser would. */
export function safeForUrl(value: string): string {
  return wellFormed(value);
}

/** Replaces lone UTF-16 surrogates with U+FFFD (String.prototype.toWellFormed, which ES2023 typings lack). */
export function wellFormed(value: string): string {
  return value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

export const segmentEncoding: fc.Arbitrary<SegmentEncoding> = fc.oneof(
  { arbitrary: fc.constant<SegmentEncoding>('encoded'), weight: 6 },
  { arbitrary: fc.constant<SegmentEncoding>('raw'), weight: 3 },
  { arbitrary: fc.constant<SegmentEncoding>('double-encoded'), weight: 1 },
);

/** Raw path segments that exercise the URL decoder itself. */
export const rawSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '%',
    '%zz',
    '%E0%A4%A',
    '%ED%A0%80',
    '%C0%AF',
    '%FF',
    '%00',
    '%2e%2e',
    '..%2F..%2F',
    '%u0041',
    '%%',
    'a%2',
    '%c3%28',
    '%F0%9F%98',
  ),
  fc.tuple(fc.string({ maxLength: 6 }), fc.constantFrom('%', '%z', '%G1', '%E2%82')).map(([a, b]) => encodeURIComponent(a) + b),
);

/** Emails: valid, seeded (any case), invalid, injected, too long, unicode. */
export function emailString(known: readonly string[] = []): fc.Arbitrary<string> {
  const knownArb = known.length ? fc.constantFrom(...known) : fc.emailAddress();
  return fc.oneof(
    { arbitrary: knownArb, weight: 4 },
    { arbitrary: fc.mixedCase(knownArb), weight: 2 },
    { arbitrary: fc.emailAddress(), weight: 4 },
    {
      arbitrary: fc.constantFrom(
        'plain',
        '@example.com',
        'a@',
        'a@b',
        'a@@b.com',
        'a b@example.com',
        '"a b"@example.com',
        '"a\\"b"@example.com',
        'a@[127.0.0.1]',
        'a@localhost',
        'ü@exämple.de',
        'δοκιμή@παράδειγμα.δοκιμή',
        '用户@例子.广告',
        "o'brien@example.com",
        'a+b@example.com',
        'a%40b@example.com',
        'a/b@example.com',
        'a..b@example.com',
        '.a@example.com',
        'a.@example.com',
        'a@example..com',
        'a@-example.com',
        'a@example.com.',
        ' a@example.com',
        'a@example.com ',
        'A@EXAMPLE.COM',
        "x@y.com' OR '1'='1",
        "'; drop table person; --@x.com",
        'a@b.c\u0000d',
        'a\u0000@example.com',
        'a@example.com\n',
      ),
      weight: 3,
    },
    {
      arbitrary: fc
        .integer({ min: 60, max: 300 })
        .map((n) => `${'a'.repeat(Math.min(n, 64))}@${'b'.repeat(Math.max(1, n - 70))}.example.com`),
      weight: 1,
    },
    {
      arbitrary: fc
        .integer({ min: 240, max: 270 })
        .map((n) => `a@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(Math.max(1, n - 196))}.com`),
      weight: 1,
    },
    { arbitrary: anyString, weight: 2 },
  );
}

/** ISO 8601 and 4HSE (YYYY-MM-DD HH:MM:SS) dates the API accepts, dates it must refuse, and things that are not dates at all. */
export const dateValue: fc.Arbitrary<FuzzJson> = fc.oneof(
  {
    arbitrary: fc
      .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true })
      .map((d) => d.toISOString()),
    weight: 4,
  },
  {
    arbitrary: fc
      .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10)),
    weight: 1,
  },
  {
    arbitrary: fc.constantFrom<FuzzJson>(
      null,
      '2020-01-01',
      '2020-01-01T00:00:00Z',
      '2020-01-01T00:00:00+02:00',
      '2020-01-01T00:00:00.123456+0530',
      '2020-01-01T00:00:00',
      '2020-01-01T00:00Z',
      '2020-01-01 00:00:00+00',
      '2026-12-02 03:29:45',
      '2024-02-29 23:59:59',
      '2026-02-30 12:00:00',
      '2026-12-02 24:00:00',
      '2026-12-02 03:29',
      '2026-12-02 03:29:45.123',
      '2020-01-01t00:00:00z',
      '2020-02-30',
      '2021-02-29',
      '2024-02-29T12:00:00Z',
      '2020-13-01',
      '2020-00-10',
      '0000-01-01',
      '0001-01-01T00:00:00Z',
      '0099-12-31',
      '0100-01-01T00:00:00Z',
      '1000-01-01T00:00:00+14:00',
      '9999-12-31T23:59:59.999Z',
      '9999-12-31T23:59:59.999-14:00',
      '+275760-09-13T00:00:00.000Z',
      '-000001-01-01T00:00:00Z',
      '1970-01-01T00:00:00.000Z',
      '2020-01-01T24:00:00Z',
      '2020-01-01T23:59:60Z',
      '2020-01-01T25:00:00Z',
      '2020-01-01T00:00:00+99:99',
      '2020-01-01T00:00:00Zjunk',
      '2100-01-01T00:00:00Z',
      '2999-01-01T00:00:00Z',
      'now',
      'today',
      '',
      ' ',
      '1e10',
      'Mon, 01 Jan 2024 00:00:00 GMT',
      0,
      1_700_000_000_000,
      -1,
      true,
      [],
      {},
    ),
    weight: 4,
  },
  { arbitrary: anyString, weight: 1 },
);

export const boolValue: fc.Arbitrary<FuzzJson> = fc.oneof(
  { arbitrary: fc.boolean(), weight: 3 },
  { arbitrary: fc.constantFrom<FuzzJson>('true', 'false', 1, 0, '1', '0', 'yes', null, [], {}, 'TRUE'), weight: 2 },
);

/** Values for a `force` / `historicize` / `history` query parameter. */
export const boolParam: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom('true', 'false', '1', '0'), weight: 4 },
  {
    arbitrary: fc.constantFrom(
      'TRUE',
      'False',
      ' true ',
      'yes',
      'no',
      'on',
      'off',
      '2',
      '-1',
      '',
      'null',
      'undefined',
      'tru',
      'true,false',
      '1.0',
      '01',
      't',
    ),
    weight: 3,
  },
  { arbitrary: anyString, weight: 1 },
);

/** Values for page / per-page query parameters. */
export const intParam: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.integer({ min: -2, max: 1002 }).map(String), weight: 3 },
  {
    arbitrary: fc.constantFrom(
      '1',
      '1000',
      '1001',
      '0',
      '-0',
      '1000000',
      '1000001',
      '999999999999999',
      '9999999999999999',
      '1e3',
      '1.0',
      '1.5',
      ' 2 ',
      '0x10',
      '+1',
      '',
      'abc',
      'NaN',
      'Infinity',
    ),
    weight: 3,
  },
  { arbitrary: anyString, weight: 1 },
);

/** A sort expression: allowed fields, unknown ones, separators, SQL. */
export function sortValue(fields: readonly string[]): fc.Arbitrary<string> {
  const term = fc
    .tuple(
      fc.constantFrom('', '-', '+', '--', ' -', '- '),
      fc.oneof(fc.constantFrom(...fields), fc.constantFrom('id', 'ID', 'Name', 'created_at', 'password', '1', '')),
      fc.constantFrom('', ' ', ' desc'),
    )
    .map(([sign, field, tail]) => sign + field + tail);
  return fc.oneof(
    { arbitrary: fc.array(term, { minLength: 1, maxLength: 4 }).map((ts) => ts.join(',')), weight: 5 },
    { arbitrary: fc.array(term, { minLength: 1, maxLength: 3 }).map((ts) => `${ts.join(',')},`), weight: 1 },
    {
      arbitrary: fc.integer({ min: 9, max: 14 }).map((n) => Array.from({ length: n }, (_, i) => fields[i % fields.length]).join(',')),
      weight: 1,
    },
    { arbitrary: fc.constantFrom(...SQL_INJECTIONS), weight: 2 },
    { arbitrary: fc.constantFrom(...fields).map((f) => `${f}; drop table person`), weight: 1 },
    { arbitrary: anyString, weight: 2 },
  );
}

/** A query string from key/value pairs; keys may repeat, be bracketed, lack a value or be oddly encoded. */
export interface QueryPair {
  key: string;
  value: string | null;
  /** encoded: encodeURIComponent on both; raw: as typed (the client escapes only what it must). */
  raw: boolean;
}

export function queryPair(keys: fc.Arbitrary<string>, values: fc.Arbitrary<string>): fc.Arbitrary<QueryPair> {
  return fc.record({
    key: keys,
    value: fc.oneof({ arbitrary: values, weight: 9 }, { arbitrary: fc.constant(null), weight: 1 }),
    raw: fc.oneof({ arbitrary: fc.constant(false), weight: 5 }, { arbitrary: fc.constant(true), weight: 1 }),
  });
}

export function queryString(pairs: QueryPair[]): string {
  return pairs
    .map(({ key, value, raw }) => {
      const k = raw ? key : encodeURIComponent(safeForUrl(key));
      if (value === null) return k;
      return `${k}=${raw ? value : encodeURIComponent(safeForUrl(value))}`;
    })
    .join('&');
}

/** Header values as they travel: UTF-8 bytes read as Latin-1, no control characters (the client refuses those). */
export function headerSafe(value: string): string {
  return Buffer.from(wellFormed(value), 'utf8')
    .toString('latin1')
    .replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, '');
}

/** X-Request-Id header variants: absent, well-formed (echoed back), too long, malformed. */
export const requestIdHeader: fc.Arbitrary<string | undefined> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 4 },
  { arbitrary: fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/), weight: 3 },
  { arbitrary: fc.integer({ min: 129, max: 2000 }).map((n) => 'r'.repeat(n)), weight: 1 },
  { arbitrary: fc.constantFrom('', ' ', 'a b', 'a/b', 'a,b', '<script>', "'; drop table person; --", 'req\u00e9', 'x\ty'), weight: 2 },
  { arbitrary: anyString.map(headerSafe), weight: 2 },
);

/** Content-Type header variants for a request with a body. `null`: no Content-Type at all. */
export const contentTypeHeader: fc.Arbitrary<string | null> = fc.oneof(
  { arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8'), weight: 12 },
  {
    arbitrary: fc.constantFrom<string | null>(
      null,
      '',
      'APPLICATION/JSON',
      'application/json;charset=UTF-8',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'application/json; boundary=x',
      'application/problem+json',
      'application/vnd.api+json',
      'application/jsonx',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=----x',
      'text/plain',
      'text/json',
      'application/xml',
      'application/octet-stream',
      '*/*',
      ';;;',
      'application/json, text/plain',
      'application/json; charset="utf-8"',
    ),
    weight: 3,
  },
  { arbitrary: anyString.map(headerSafe), weight: 1 },
);

export const acceptHeader: fc.Arbitrary<string | undefined> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 6 },
  {
    arbitrary: fc.constantFrom(
      'application/json',
      'application/problem+json',
      '*/*',
      'text/html',
      'application/xml',
      '',
      'application/json;q=0',
    ),
    weight: 2,
  },
);
