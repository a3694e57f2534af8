import { COMPAT_QUERY_PARAM, extractToken, presentedToken, UNREADABLE_CREDENTIAL, type TokenSource } from './token-extraction.js';
import { isWellFormedToken } from './token-format.js';

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

describe('presentedToken', () => {
  describe.each([false, true])('with compat=%p', (compat) => {
    it('hands over a readable token as is', () => {
      expect(presentedToken(req(`Bearer ${TOKEN}`), compat)).toBe(TOKEN);
    });

    it('is undefined only when no Authorization header (and no compat parameter) was sent', () => {
      expect(presentedToken(req(), compat)).toBeUndefined();
      expect(presentedToken(req(undefined, { access_token: TOKEN }), compat)).toBeUndefined();
    });

    it.each(['Bearer', 'Bearer ', 'Bearer a b', 'Basic dXNlcjpwYXNz', 'Token abc def', '', '   ', 'Bearer\ta\tb'])(
      'turns the unreadable header %p into a presented credential that never validates',
      (header) => {
        // With compat on, `Bearer` alone reads as the bare token "Bearer": refused all the same.
        const token = presentedToken(req(header), compat);
        expect(token).toBeDefined();
        expect(isWellFormedToken(token!)).toBe(false);
        if (!compat) expect(token).toBe(UNREADABLE_CREDENTIAL);
      },
    );
  });

  it('turns a bare token into an unreadable credential while the switch is off', () => {
    expect(presentedToken(req(TOKEN), false)).toBe(UNREADABLE_CREDENTIAL);
    expect(presentedToken(req(TOKEN), true)).toBe(TOKEN);
  });

  it('uses a placeholder that can never be a well-formed token', () => {
    expect(isWellFormedToken(UNREADABLE_CREDENTIAL)).toBe(false);
  });
});
