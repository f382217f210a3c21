// Exact threshold tests on estimates that are differences of two proportions: p_in - p_out >= theta decided
// on the counts, with theta as the exact fraction of its decimal form (0.05 = 1/20 is 5/100, not the float64
// just below it), so a pair whose value is exactly the threshold is kept.

/** theta = p / q, q > 0: the value of a threshold's shortest decimal form. */
export interface Fraction {
  p: bigint;
  q: bigint;
}

/** The decimal `String(theta)` prints (the shortest that reads back as theta: 0.15, 1e-7), as a fraction. */
export function decimalFraction(theta: number): Fraction {
  if (!Number.isFinite(theta)) throw new Error(`decimalFraction: ${theta} is not a finite threshold`);
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(theta));
  if (!match) throw new Error(`decimalFraction: cannot read ${String(theta)}`);
  const [, sign, whole, decimals = '', exponentText = '0'] = match;
  const exponent = Number(exponentText) - decimals.length;
  const digits = BigInt(`${sign}${whole}${decimals}`);
  return exponent >= 0 ? { p: digits * 10n ** BigInt(exponent), q: 1n } : { p: digits, q: 10n ** BigInt(-exponent) };
}

/** A test `p_in - p_out >= theta` on counts; a side with no trial counts as 1/2 (supplement A). */
export type DifferenceTest = (correctIn: number, nIn: number, correctOut: number, nOut: number) => boolean;

/** `p_in - p_out >= theta` for one n_in and n_out, on the counts of correct trials in and out. */
export type RowTest = (correctIn: number, correctOut: number) => boolean;

/** The exact test for theta, made for each (n_in, n_out) once: a row of pairs shares its terms. Integer arithmetic
 * in float64 while every product stays below 2^53 (t^2 q < 2^51), BigInt beyond. */
export function atLeastForRow(theta: number): (nIn: number, nOut: number) => RowTest {
  if (theta === -Infinity) return () => () => true;
  const { p, q } = decimalFraction(theta);
  const pn = Number(p);
  const qn = Number(q);
  return (nIn, nOut) => {
    // p_in = a / b, p_out = c / d with b, d > 0: a/b - c/d >= p/q  <=>  a d q - c b q >= p b d.
    const b = nIn > 0 ? nIn : 2;
    const d = nOut > 0 ? nOut : 2;
    const safe = b * d * (qn + Math.abs(pn)) < 2 ** 51;
    const [dq, bq, pbd] = [d * qn, b * qn, pn * b * d];
    if (safe && nIn > 0 && nOut > 0) return (correctIn, correctOut) => correctIn * dq - correctOut * bq >= pbd;
    return (correctIn, correctOut) => {
      const a = nIn > 0 ? correctIn : 1;
      const c = nOut > 0 ? correctOut : 1;
      if (safe) return a * dq - c * bq >= pbd;
      return (BigInt(a) * BigInt(d) - BigInt(c) * BigInt(b)) * q >= p * BigInt(b) * BigInt(d);
    };
  };
}

/** The exact test for theta (-Infinity passes everything). */
export function atLeast(theta: number): DifferenceTest {
  const forRow = atLeastForRow(theta);
  return (correctIn, nIn, correctOut, nOut) => forRow(nIn, nOut)(correctIn, correctOut);
}
