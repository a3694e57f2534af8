import { pairedEstimate } from './paired.js';

describe('pairedEstimate (bench: median of paired ratios, sign-test interval)', () => {
  it('gives the median and the order statistics the binomial table gives for 20 rounds', () => {
    // Shuffled 0.81..1.00: sorted, x(10) = 0.90 and x(11) = 0.91; for n = 20, k = 6:
    // P(B <= 5) = (1 + 20 + 190 + 1140 + 4845 + 15504) / 2^20 = 21700 / 1048576, coverage 0.9586.
    const ratios = [0.95, 0.81, 1.0, 0.88, 0.9, 0.84, 0.97, 0.86, 0.92, 0.83, 0.99, 0.85, 0.91, 0.82, 0.94, 0.87, 0.96, 0.89, 0.93, 0.98];
    expect(pairedEstimate(ratios)).toEqual({ pairs: 20, median: 0.91, low: 0.86, high: 0.95, confidence: 0.959 });
  });

  it('takes the widest interval, the extremes, for 6 rounds and none for 5', () => {
    expect(pairedEstimate([1.1, 0.9, 1.0, 0.8, 0.7, 1.2])).toEqual({ pairs: 6, median: 0.95, low: 0.7, high: 1.2, confidence: 0.969 });
    expect(pairedEstimate([1.1, 0.9, 1.0, 0.8, 0.7])).toEqual({ pairs: 5, median: 0.9, low: null, high: null, confidence: null });
  });

  it('narrows the interval as rounds are added (k = 14 of 40 at 95%)', () => {
    // 0.70..0.89, then 0.91..1.10: the median halfway, 0.90.
    const ratios = Array.from({ length: 40 }, (_, i) => (70 + i + (i >= 20 ? 1 : 0)) / 100);
    // P(B <= 13) = 0.0192 for n = 40 (coverage 0.962), P(B <= 14) = 0.0403 (0.919, too little):
    // x(14) = 0.83, x(27) = 0.97.
    expect(pairedEstimate(ratios)).toEqual({ pairs: 40, median: 0.9, low: 0.83, high: 0.97, confidence: 0.962 });
  });

  it('leaves out rounds without a ratio and has nothing to say about none', () => {
    expect(pairedEstimate([Number.NaN, Number.POSITIVE_INFINITY, 0.9])).toEqual({
      pairs: 1,
      median: 0.9,
      low: null,
      high: null,
      confidence: null,
    });
    expect(pairedEstimate([])).toBeNull();
  });
});
