// 1-nearest-neighbour on raw pixel values (Euclidean, ties to the lower index): trains instantly,
// memorizes every training example, and is exact, which makes the estimator testable at large t.
// Each query's K nearest training examples are found once per run; a trial then takes the first of
// them that is in its subset, and scans the whole subset only when none is (probability ~0.3^K).

const NEIGHBOURS_KEPT = 16;

/** Squared Euclidean distance between rows a and b of two uint8 matrices with rows of length d (exact). */
function squaredDistance(left: Uint8Array, a: number, right: Uint8Array, b: number, d: number): number {
  let sum = 0;
  const offsetA = a * d;
  const offsetB = b * d;
  for (let k = 0; k < d; k++) {
    const diff = left[offsetA + k]! - right[offsetB + k]!;
    sum += diff * diff;
  }
  return sum;
}

/** Nearest-neighbour predictor over a fixed reference set (the full training set) and fixed queries. */
export class NearestNeighbourIndex {
  /** neighbours[q * K + r]: the r-th nearest reference of query q, by (distance, index). */
  private readonly neighbours: Int32Array;
  private readonly kept: number;

  constructor(
    private readonly reference: Uint8Array, // [n, d]
    private readonly referenceLabels: Int32Array, // [n]
    private readonly queries: Uint8Array, // [q, d]
    private readonly d: number,
  ) {
    const n = referenceLabels.length;
    const q = queries.length / d;
    this.kept = Math.min(NEIGHBOURS_KEPT, n);
    this.neighbours = new Int32Array(q * this.kept);
    const bestDistance = new Float64Array(this.kept);
    const bestIndex = new Int32Array(this.kept);
    for (let query = 0; query < q; query++) {
      bestDistance.fill(Infinity);
      for (let ref = 0; ref < n; ref++) {
        const distance = squaredDistance(queries, query, reference, ref, d);
        // Strict < keeps the earlier (lower) index first among equal distances.
        if (distance >= bestDistance[this.kept - 1]!) continue;
        let slot = this.kept - 1;
        while (slot > 0 && distance < bestDistance[slot - 1]!) {
          bestDistance[slot] = bestDistance[slot - 1]!;
          bestIndex[slot] = bestIndex[slot - 1]!;
          slot--;
        }
        bestDistance[slot] = distance;
        bestIndex[slot] = ref;
      }
      this.neighbours.set(bestIndex, query * this.kept);
    }
  }

  /** Predicted label of every query when the reference set is restricted to `inSubset` (1 = member). */
  predict(inSubset: Uint8Array, subset: Int32Array): Int32Array {
    const q = this.neighbours.length / this.kept;
    const predictions = new Int32Array(q);
    for (let query = 0; query < q; query++) {
      let nearest = -1;
      for (let r = 0; r < this.kept && nearest < 0; r++) {
        const candidate = this.neighbours[query * this.kept + r]!;
        if (inSubset[candidate]) nearest = candidate;
      }
      if (nearest < 0) nearest = this.scanSubset(query, subset);
      predictions[query] = this.referenceLabels[nearest]!;
    }
    return predictions;
  }

  private scanSubset(query: number, subset: Int32Array): number {
    let best = -1;
    let bestDistance = Infinity;
    for (const ref of subset) {
      const distance = squaredDistance(this.queries, query, this.reference, ref, this.d);
      if (distance < bestDistance || (distance === bestDistance && ref < best)) {
        bestDistance = distance;
        best = ref;
      }
    }
    return best;
  }
}
