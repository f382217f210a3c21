// 95% intervals that never collapse to a point, beside the paper's Wald standard error: Wilson's score
// interval for one proportion, and Newcombe's hybrid score interval (his method 10) for a difference of two.

/** z of a two-sided 95% normal interval. */
export const Z95 = 1.959963984540054;

/** Wilson's score interval for proportions of n trials, with the terms of n computed once (the pairs of one
 * training row share n): set(x) leaves the interval of x successes in low and high, allocating nothing. */
export class WilsonOfN {
  low = 0;
  high = 1;
  private readonly shift: number;
  private readonly scale: number;
  private readonly halfScale: number;
  private readonly spread: number;

  constructor(
    private readonly n: number,
    z = Z95,
  ) {
    const z2 = z * z;
    this.shift = z2 / (2 * n);
    this.scale = 1 + z2 / n;
    this.halfScale = z / (1 + z2 / n);
    this.spread = z2 / (4 * n * n);
  }

  /** {p : (x/n - p)^2 <= z^2 p (1 - p) / n}; with n = 0 nothing is known: [0, 1]. */
  set(successes: number): void {
    const n = this.n;
    if (n === 0) {
      this.low = 0;
      this.high = 1;
      return;
    }
    const p = successes / n;
    const center = (p + this.shift) / this.scale;
    const half = this.halfScale * Math.sqrt((p * (1 - p)) / n + this.spread);
    this.low = Math.max(0, center - half);
    this.high = Math.min(1, center + half);
  }
}

/** Newcombe's interval for p_in - p_out from the two Wilson intervals (Newcombe 1998, method 10), for the many
 * pairs of one n_in and n_out: set(correctIn, correctOut) leaves it in low and high. A side with no trial counts
 * as 1/2 (supplement A) with the interval [0, 1], so the difference is never a point. */
export class DifferenceIntervals {
  low = -1;
  high = 1;
  private readonly in: WilsonOfN;
  private readonly out: WilsonOfN;

  constructor(
    private readonly nIn: number,
    private readonly nOut: number,
    z = Z95,
  ) {
    this.in = new WilsonOfN(nIn, z);
    this.out = new WilsonOfN(nOut, z);
  }

  set(correctIn: number, correctOut: number): void {
    const pIn = this.nIn > 0 ? correctIn / this.nIn : 0.5;
    const pOut = this.nOut > 0 ? correctOut / this.nOut : 0.5;
    const a = this.in;
    const b = this.out;
    a.set(correctIn);
    b.set(correctOut);
    const d = pIn - pOut;
    // Within [-1, 1] exactly; the clamp only removes rounding. sqrt(x^2 + y^2), not Math.hypot (5x slower; the
    // terms are in [0, 1], so nothing overflows).
    const lowSide = Math.sqrt((pIn - a.low) ** 2 + (b.high - pOut) ** 2);
    const highSide = Math.sqrt((a.high - pIn) ** 2 + (pOut - b.low) ** 2);
    this.low = Math.max(-1, d - lowSide);
    this.high = Math.min(1, d + highSide);
  }
}
