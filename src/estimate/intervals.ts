// 95% intervals that never collapse to a point, beside the paper's Wald standard error: Wilson's score
// interval for one proportion, and Newcombe's hybrid score interval (his method 10) for a difference of two.

/** z of a two-sided 95% normal interval. */
export const Z95 = 1.959963984540054;

export interface Interval {
  low: number;
  high: number;
}

/** Wilson score interval of a proportion with `successes` of `n` trials: every p whose score test does not
 * reject, {p : (x/n - p)^2 <= z^2 p (1 - p) / n}. With n = 0 nothing is known: [0, 1]. */
export function wilsonInterval(successes: number, n: number, z = Z95): Interval {
  if (n === 0) return { low: 0, high: 1 };
  const p = successes / n;
  const z2 = z * z;
  const center = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

/** Newcombe's interval for p_in - p_out from the two Wilson intervals (Newcombe 1998, method 10). A side
 * with no trial counts as 1/2 (supplement A) with the interval [0, 1], so the difference is never a point. */
export function differenceInterval(correctIn: number, nIn: number, correctOut: number, nOut: number, z = Z95): Interval {
  const pIn = nIn > 0 ? correctIn / nIn : 0.5;
  const pOut = nOut > 0 ? correctOut / nOut : 0.5;
  const a = wilsonInterval(correctIn, nIn, z);
  const b = wilsonInterval(correctOut, nOut, z);
  const d = pIn - pOut;
  // Within [-1, 1] exactly; the clamp only removes rounding. sqrt(x^2 + y^2), not Math.hypot (5x slower; the
  // terms are in [0, 1], so nothing overflows).
  const lowSide = Math.sqrt((pIn - a.low) ** 2 + (b.high - pOut) ** 2);
  const highSide = Math.sqrt((a.high - pIn) ** 2 + (pOut - b.low) ** 2);
  return { low: Math.max(-1, d - lowSide), high: Math.min(1, d + highSide) };
}
