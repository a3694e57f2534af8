import { actingToken, redactUrl } from './logger.js';

describe('redactUrl', () => {
  it.each([
    ['/v2/org-unit/view?access-token=ogm_secret', '/v2/org-unit/view?access-token=[redacted]'],
    ['/api/v2/data/people?page=2&access_token=ogm_secret&q=ada', '/api/v2/data/people?page=2&access_token=[redacted]&q=ada'],
    ['/x?token=ogm_secret#frag', '/x?token=[redacted]#frag'],
    ['/x?ACCESS-TOKEN=ogm_secret', '/x?ACCESS-TOKEN=[redacted]'],
  ])('removes the credential from %p', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('removes every occurrence of a repeated credential parameter', () => {
    const redacted = redactUrl('/x?access-token=ogm_a&access-token=ogm_b');
    expect(redacted).not.toContain('ogm_a');
    expect(redacted).not.toContain('ogm_b');
  });

  it.each([
    ['/v2/org-unit/view?access%2Dtoken=ogm_secret', '/v2/org-unit/view?access%2Dtoken=[redacted]'],
    ['/v2/org-unit/view?access%2dtoken=ogm%5Fsecret&x=1', '/v2/org-unit/view?access%2dtoken=[redacted]&x=1'],
    ['/x?q=ogm_secret', '/x?q=[redacted]'],
    ['/x?q=a%20OGM_secret', '/x?q=[redacted]'],
    ['/x?ogm_secret', '/x?[redacted]'],
    ['/x?ogm_secret=1&b=2', '/x?[redacted]=1&b=2'],
    ['/api/v2/tokens/ogm_secret', '/api/v2/tokens/[redacted]'],
    ['/x;ogm_secret', '/x;[redacted]'],
    ['/x?q=ogm%255Fsecret', '/x?q=[redacted]'],
    ['/x#ogm_secret', '/x#[redacted]'],
    ['/api/v2/data/people/a%40b.example.com/og%6D%5Fsecret', '/api/v2/data/people/a%40b.example.com/[redacted]'],
  ])('removes a token value wherever it is: %p', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('keeps URLs without credentials as they are', () => {
    expect(redactUrl('/api/v2/data/people?page=2&sort=-lastName')).toBe('/api/v2/data/people?page=2&sort=-lastName');
    expect(redactUrl('/x?mytoken=visible')).toBe('/x?mytoken=visible');
    expect(redactUrl('/x?q=ogm&q=og_m%5')).toBe('/x?q=ogm&q=og_m%5');
    expect(redactUrl('/api/v2/data/people/Ada.Lovelace%40example.com')).toBe('/api/v2/data/people/Ada.Lovelace%40example.com');
    expect(redactUrl('/x/og%6D/%5Fa?q=%25')).toBe('/x/og%6D/%5Fa?q=%25');
    expect(redactUrl(undefined)).toBeUndefined();
  });
});

describe('actingToken', () => {
  it('names the authenticated token by id and name only', () => {
    const user = { tokenId: 'a5c1', name: 'ci', role: 'Viewer', scopes: ['api'] };
    expect(actingToken({ user })).toEqual({ tokenId: 'a5c1', tokenName: 'ci' });
  });

  it('gives nulls without an authenticated token', () => {
    expect(actingToken({})).toEqual({ tokenId: null, tokenName: null });
    expect(actingToken({ user: false })).toEqual({ tokenId: null, tokenName: null });
  });
});
