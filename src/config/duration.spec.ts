import { formatDuration, parseDuration } from './duration.js';

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

describe('formatDuration', () => {
  it.each([
    [31_536_000_000, '365d'],
    [7_776_000_000, '90d'],
    [86_400_000, '1d'],
    [1_209_600_000, '2w'],
    [3_600_000, '1h'],
    [90_000, '90s'],
  ])('spells %p as %p, which parses back', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});
