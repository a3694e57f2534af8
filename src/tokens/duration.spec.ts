import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['12h', 43_200_000],
    ['30d', 2_592_000_000],
    ['2w', 1_209_600_000],
    [' 1d ', 86_400_000],
  ])('parses %p', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['', '0d', '30', 'd', '30 days', '1.5h', '-1d', '30D', '1234567d', '1y'])('refuses %p', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});
