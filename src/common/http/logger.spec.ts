import { redactUrl } from './logger.js';

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

  it('keeps URLs without credentials as they are', () => {
    expect(redactUrl('/api/v2/data/people?page=2&sort=-lastName')).toBe('/api/v2/data/people?page=2&sort=-lastName');
    expect(redactUrl('/x?mytoken=visible')).toBe('/x?mytoken=visible');
    expect(redactUrl(undefined)).toBeUndefined();
  });
});
