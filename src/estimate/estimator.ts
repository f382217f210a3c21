// Algorithm 1 of Feldman & Zhang (2020): memorization and influence as differences of conditional
// accuracies over trials, from bit-packed masks, class block by class block; the n x n' matrix of
// influences is never held. Pure functions over typed arrays.
import { differenceInterval } from './intervals.js';
import { TrialBits } from './trial-bits.js';

/** The t trials of a run, example-major. */
export interface TrialMatrix {
  trials: number; // t
  subset: TrialBits; // [n] bit k: i in I_k
  trainCorrect: TrialBits; // [n] bit k: h_k(x_i) = y_i
  testCorrect: TrialBits; // [n'] bit k: h_k(x'_j) = y'_j
}

/** A difference of two conditional Bernoulli means with its standard error. */
export interface Difference {
  value: number; // p_in - p_out
  se: number; // sqrt(p_in(1-p_in)/n_in + p_out(1-p_out)/n_out); NaN when n_in or n_out is 0
}

/** p_in - p_out from counts; a condition that holds in no trial gives 1/2 (supplement A). */
export function conditionalDifference(correctIn: number, nIn: number, correctOut: number, nOut: number): Difference {
  const pIn = nIn > 0 ? correctIn / nIn : 0.5;
  const pOut = nOut > 0 ? correctOut / nOut : 0.5;
  const se = nIn > 0 && nOut > 0 ? Math.sqrt((pIn * (1 - pIn)) / nIn + (pOut * (1 - pOut)) / nOut) : NaN;
  return { value: pIn - pOut, se };
}

export interface Memorization {
  mem: Float64Array; // [n]
  se: Float64Array;
  low: Float64Array; // 95% interval (Newcombe-Wilson), never a point
  high: Float64Array;
  nIn: Int32Array; // trials with i in the subset
  nOut: Int32Array; // trials without i
}

/** mem(i) = P[h(x_i) = y_i | i in I] - P[h(x_i) = y_i | i not in I], for every training example. */
export function estimateMemorization(matrix: TrialMatrix): Memorization {
  const n = matrix.subset.rows;
  const result: Memorization = { mem: new Float64Array(n), se: new Float64Array(n), low: new Float64Array(n), high: new Float64Array(n), nIn: new Int32Array(n), nOut: new Int32Array(n) };
  for (let i = 0; i < n; i++) {
    const nIn = matrix.subset.countRow(i);
    const correctIn = matrix.subset.countBoth(i, matrix.trainCorrect, i);
    const correctOut = matrix.trainCorrect.countRow(i) - correctIn;
    const d = conditionalDifference(correctIn, nIn, correctOut, matrix.trials - nIn);
    result.mem[i] = d.value;
    result.se[i] = d.se;
    const interval = differenceInterval(correctIn, nIn, correctOut, matrix.trials - nIn);
    result.low[i] = interval.low;
    result.high[i] = interval.high;
    result.nIn[i] = nIn;
    result.nOut[i] = matrix.trials - nIn;
  }
  return result;
}

/** Influence estimates of same-class (train i, test j) pairs, as parallel columns. */
export interface InfluenceTable {
  trainIndex: Int32Array;
  testIndex: Int32Array;
  infl: Float32Array;
  se: Float32Array;
  low: Float32Array; // 95% interval (Newcombe-Wilson), never a point
  high: Float32Array;
}

export interface InfluenceOptions {
  /** Keep only pairs with infl >= floor (-Infinity keeps every same-class pair). */
  floor: number;
  /** Only the training examples i with trainRows[i] = 1 (default: every one). */
  trainRows?: Uint8Array;
}

/** Indices of each class, in ascending order. */
export function indicesByClass(labels: Int32Array, numClasses: number): Int32Array[] {
  const counts = new Int32Array(numClasses);
  for (const label of labels) counts[label]!++;
  const groups = Array.from(counts, (count) => new Int32Array(count));
  const filled = new Int32Array(numClasses);
  labels.forEach((label, i) => (groups[label]![filled[label]!++] = i));
  return groups;
}

/** Growable parallel columns, so the output never needs an upper bound in advance. */
class InfluenceBuilder {
  private length = 0;
  private table: InfluenceTable = { trainIndex: new Int32Array(1024), testIndex: new Int32Array(1024), infl: new Float32Array(1024), se: new Float32Array(1024), low: new Float32Array(1024), high: new Float32Array(1024) };

  push(i: number, j: number, infl: number, se: number, low: number, high: number): void {
    if (this.length === this.table.trainIndex.length) this.grow();
    const k = this.length++;
    this.table.trainIndex[k] = i;
    this.table.testIndex[k] = j;
    this.table.infl[k] = infl;
    this.table.se[k] = se;
    this.table.low[k] = low;
    this.table.high[k] = high;
  }

  private grow(): void {
    const size = this.table.trainIndex.length * 2;
    const grown = <T extends Int32Array | Float32Array>(old: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(old);
      return next;
    };
    this.table = {
      trainIndex: grown(this.table.trainIndex, (s) => new Int32Array(s)),
      testIndex: grown(this.table.testIndex, (s) => new Int32Array(s)),
      infl: grown(this.table.infl, (s) => new Float32Array(s)),
      se: grown(this.table.se, (s) => new Float32Array(s)),
      low: grown(this.table.low, (s) => new Float32Array(s)),
      high: grown(this.table.high, (s) => new Float32Array(s)),
    };
  }

  finish(): InfluenceTable {
    const k = this.length;
    const t = this.table;
    return { trainIndex: t.trainIndex.slice(0, k), testIndex: t.testIndex.slice(0, k), infl: t.infl.slice(0, k), se: t.se.slice(0, k), low: t.low.slice(0, k), high: t.high.slice(0, k) };
  }
}

/** infl(i, j) for every pair with y_i = y'_j (and infl >= floor), one class block at a time:
 * the in-subset correct count of (i, j) is popcount(subset_i AND testCorrect_j). */
export function estimateInfluence(matrix: TrialMatrix, trainLabels: Int32Array, testLabels: Int32Array, numClasses: number, options: InfluenceOptions): InfluenceTable {
  const trainByClass = indicesByClass(trainLabels, numClasses);
  const testByClass = indicesByClass(testLabels, numClasses);
  const testCorrectTotal = Int32Array.from({ length: matrix.testCorrect.rows }, (_, j) => matrix.testCorrect.countRow(j));
  const builder = new InfluenceBuilder();
  for (let c = 0; c < numClasses; c++) {
    for (const i of trainByClass[c]!) {
      if (options.trainRows && !options.trainRows[i]) continue;
      const nIn = matrix.subset.countRow(i);
      const nOut = matrix.trials - nIn;
      for (const j of testByClass[c]!) {
        const correctIn = matrix.subset.countBoth(i, matrix.testCorrect, j);
        const correctOut = testCorrectTotal[j]! - correctIn;
        const d = conditionalDifference(correctIn, nIn, correctOut, nOut);
        if (d.value < options.floor) continue;
        const interval = differenceInterval(correctIn, nIn, correctOut, nOut);
        builder.push(i, j, d.value, d.se, interval.low, interval.high);
      }
    }
  }
  return builder.finish();
}

/** Why some estimates are undefined: examples in every trial's subset (n_out = 0) or in none (n_in = 0).
 * Their standard error is NaN; they are never counted as memorized nor selected. */
export interface UndefinedEstimates {
  neverLeftOut: number; // n_out = 0
  neverIncluded: number; // n_in = 0 (excluded from training, or t too small)
}

export function countUndefined(memo: Pick<Memorization, 'nIn' | 'nOut'>): UndefinedEstimates {
  let neverLeftOut = 0;
  let neverIncluded = 0;
  for (let i = 0; i < memo.nIn.length; i++) {
    if (memo.nOut[i] === 0) neverLeftOut++;
    else if (memo.nIn[i] === 0) neverIncluded++;
  }
  return { neverLeftOut, neverIncluded };
}

/** 1 where an estimate is defined (finite standard error, both sides observed) and at least `theta`. */
export function selectDefined(values: ArrayLike<number>, se: ArrayLike<number>, theta: number): Uint8Array {
  return Uint8Array.from({ length: values.length }, (_, r) => (values[r]! >= theta && Number.isFinite(se[r]!) ? 1 : 0));
}

/** Number of same-class (train, test) pairs: the size of the full influence table. */
export function countSameClassPairs(trainLabels: Int32Array, testLabels: Int32Array, numClasses: number): number {
  const train = indicesByClass(trainLabels, numClasses);
  const test = indicesByClass(testLabels, numClasses);
  return train.reduce((sum, group, c) => sum + group.length * test[c]!.length, 0);
}
