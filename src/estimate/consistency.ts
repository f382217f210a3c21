// Consistency of two sets of estimates over the same items (supplement C, eq. 4): at a threshold, the
// Jaccard similarity of the two selected sets and the mean absolute difference of the estimates over
// their union; and Pearson correlations. Pure functions over typed arrays.

type Values = ArrayLike<number>;

export interface Agreement {
  jaccard: number; // |A ∩ B| / |A ∪ B|; NaN when both sets are empty
  meanAbsDifference: number; // mean over A ∪ B of |a - b|; NaN when both sets are empty
  countA: number; // |A|
  countB: number; // |B|
}

/** J and D of eq. 4 for the sets A = {r : selectedA[r]} and B = {r : selectedB[r]} over the same items. */
export function agreement(a: Values, b: Values, selectedA: Uint8Array, selectedB: Uint8Array): Agreement {
  let both = 0;
  let union = 0;
  let countA = 0;
  let countB = 0;
  let difference = 0;
  for (let r = 0; r < selectedA.length; r++) {
    const inA = selectedA[r]!;
    const inB = selectedB[r]!;
    countA += inA;
    countB += inB;
    if (inA || inB) {
      union++;
      both += inA & inB;
      difference += Math.abs(a[r]! - b[r]!);
    }
  }
  return { jaccard: union > 0 ? both / union : NaN, meanAbsDifference: union > 0 ? difference / union : NaN, countA, countB };
}

/** Pearson correlation of x and y over the items with keep[r] = 1 (all items without `keep`); NaN when
 * fewer than two items are kept or either is constant. */
export function pearson(x: Values, y: Values, keep?: Uint8Array): number {
  let count = 0;
  let sumX = 0;
  let sumY = 0;
  for (let r = 0; r < x.length; r++) {
    if (keep && !keep[r]) continue;
    count++;
    sumX += x[r]!;
    sumY += y[r]!;
  }
  if (count < 2) return NaN;
  const meanX = sumX / count;
  const meanY = sumY / count;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let r = 0; r < x.length; r++) {
    if (keep && !keep[r]) continue;
    const dx = x[r]! - meanX;
    const dy = y[r]! - meanY;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

/** The thresholds of the supplement's consistency plots: 0 to 1 in steps of 0.05. */
export function consistencyThresholds(): number[] {
  return Array.from({ length: 21 }, (_, k) => Math.round(k * 5) / 100);
}
