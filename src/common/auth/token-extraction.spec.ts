import { COMPAT_QUERY_PARAM, extractToken, type TokenSource } from './token-extraction.js';

const TOKEN = 'ogm_abcdefghijklmnopqrstuvwxyz0123456789';

const req = (authorization?: string | string[], query?: Record<string, unknown>): TokenSource => ({
  headers: { authorization },
  query,
});

describe('extractToken', () => {
  describe.each([false, true])('with compat=%p', (compat) => {
    it('reads Authorization: Bearer <token>', () => {
      expect(extractToken(req(`Bearer ${TOKEN}`), compat)).toBe(TOKEN);
    });

    it('accepts the scheme in any case and extra spaces around the token', () => {
      expect(extractToken(req(`bearer ${TOKEN}`), compat)).toBe(TOKEN);
      expect(extractToken(req(`BEARER   ${TOKEN}  `), compat)).toBe(TOKEN);
    });

    it('ignores other schemes', () => {
      expect(extractToken(req(`Basic ${Buffer.from('user:pass').toString('base64')}`), compat)).toBeUndefined();
      expect(extractToken(req(`Token ${TOKEN}`), compat)).toBeUndefined();
    });

    it('refuses a Bearer header with two values', () => {
      expect(extractToken(req(`Bearer ${TOKEN} ${TOKEN}`), compat)).toBeUndefined();
    });

    it('finds nothing without a header or query', () => {
      expect(extractToken(req(), compat)).toBeUndefined();
      expect(extractToken(req(''), compat)).toBeUndefined();
      expect(extractToken(req('   '), compat)).toBeUndefined();
    });

    it('never reads passport-http-bearer\u2019s access_token query parameter', () => {
      expect(extractToken(req(undefined, { access_token: TOKEN }), compat)).toBeUndefined();
    });

    it('uses the first value when the header is repeated', () => {
      expect(extractToken(req([`Bearer ${TOKEN}`, 'Bearer other']), compat)).toBe(TOKEN);
    });
  });

  describe('with compat off (the default)', () => {
    it('ignores the bare Authorization: <token> form', () => {
      expect(extractToken(req(TOKEN), false)).toBeUndefined();
    });

    it('ignores the access-token query parameter', () => {
      expect(COMPAT_QUERY_PARAM).toBe('access-token');
      expect(extractToken(req(undefined, { 'access-token': TOKEN }), false)).toBeUndefined();
    });
  });

  describe('with compat on', () => {
    it('accepts the bare Authorization: <token> form (Opsera wiki)', () => {
      expect(extractToken(req(TOKEN), true)).toBe(TOKEN);
      expect(extractToken(req(`  ${TOKEN} `), true)).toBe(TOKEN);
    });

    it('accepts the access-token query parameter (4HSE clients)', () => {
      expect(extractToken(req(undefined, { 'access-token': TOKEN }), true)).toBe(TOKEN);
    });

    it('prefers the header over the query parameter', () => {
      expect(extractToken(req(`Bearer ${TOKEN}`, { 'access-token': 'ogm_other' }), true)).toBe(TOKEN);
    });

    it('ignores an empty or repeated access-token parameter', () => {
      expect(extractToken(req(undefined, { 'access-token': '' }), true)).toBeUndefined();
      expect(extractToken(req(undefined, { 'access-token': [TOKEN, TOKEN] }), true)).toBeUndefined();
    });

    it('still refuses a Basic header and does not fall back to the query', () => {
      expect(extractToken(req('Basic dXNlcjpwYXNz', { 'access-token': TOKEN }), true)).toBeUndefined();
    });
  });
});
