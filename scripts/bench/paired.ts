/**
 * The paired estimate of a ratio between two arms measured in alternated rounds (issue 11 point 9:
 * log on / log off throughput), and its distribution-free confidence interval.
 *
 * Why paired: on a shared machine the speed of the same code drifts by tens of percent from one
 * minute to the next, so the median of one arm's rounds and the median of the other's can come from
 * different minutes. Each round runs both arms back to back (in alternated order), so its ratio
 * compares two runs of the same minute; the median of the rounds' ratios is what this returns.
 *
 * Why this interval: the rounds' ratios are neither normal nor free of outliers (a checkpoint, a
 * neighbour's burst), so no t-interval. The median's interval from the sign test's order statistics
 * (e.g. Conover, Practical Nonparametric Statistics, 3.2) assumes only independent rounds: with n
 * ratios in increasing order x(1)..x(n), [x(k), x(n+1-k)] holds the true median with probability
 * 1 - 2 P(B <= k - 1), B ~ Binomial(n, 1/2); k is the largest for which that is at least `level`.
 */
export interface PairedEstimate {
  /** Rounds that measured both arms. */
  readonly pairs: number;
  /** Median of the rounds' ratios (2 decimals). */
  readonly median: number;
  /** The interval's ends (2 decimals), or null when there are too few rounds for `level`. */
  readonly low: number | null;
  readonly high: number | null;
  /** The interval's exact coverage (at least `level`), or null. */
  readonly confidence: number | null;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/** P(B <= j) for j = 0..n, B ~ Binomial(n, 1/2), computed in logs (no underflow for large n). */
function binomialHalfCdf(n: number): number[] {
  const cdf: number[] = [];
  let logPmf = -n * Math.LN2;
  let sum = 0;
  for (let j = 0; j <= n; j++) {
    sum += Math.exp(logPmf);
    cdf.push(Math.min(1, sum));
    logPmf += Math.log(n - j) - Math.log(j + 1);
  }
  return cdf;
}

/** The median of `ratios` and its `level` confidence interval; null when there is no ratio. */
export function pairedEstimate(ratios: readonly number[], level = 0.95): PairedEstimate | null {
  const sorted = ratios.filter((r) => Number.isFinite(r)).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return null;
  const middle = Math.floor(n / 2);
  const median = n % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  const cdf = binomialHalfCdf(n);
  // The largest k (1-based) with 1 - 2 P(B <= k - 1) >= level.
  let k = 0;
  while (k + 1 <= Math.floor((n + 1) / 2) && 1 - 2 * cdf[k] >= level) k++;
  if (k === 0) return { pairs: n, median: round2(median), low: null, high: null, confidence: null };
  return {
    pairs: n,
    median: round2(median),
    low: round2(sorted[k - 1]),
    high: round2(sorted[n - k]),
    confidence: Math.round((1 - 2 * cdf[k - 1]) * 1000) / 1000,
  };
}
