// High-influence pair selection (paper section 2): same class, mem >= theta_mem, infl >= theta_infl,
// and the paper's summary counts (supplement C: CIFAR-100 774/101/13 test examples influenced by
// exactly 1/2/3 training examples).
import type { InfluenceTable } from './estimator.js';

export interface Thresholds {
  thetaMem: number;
  thetaInfl: number;
}

const passes = (mem: Float64Array, influence: InfluenceTable, thresholds: Thresholds, r: number): boolean =>
  influence.infl[r]! >= thresholds.thetaInfl && mem[influence.trainIndex[r]!]! >= thresholds.thetaMem;

/** Rows of the (same-class) influence table that pass both thresholds with a defined estimate: a pair whose
 * standard error is NaN (its train example in every subset or in none) is never selected. */
export function selectPairs(mem: Float64Array, influence: InfluenceTable, thresholds: Thresholds): Int32Array {
  const rows: number[] = [];
  for (let r = 0; r < influence.infl.length; r++) if (passes(mem, influence, thresholds, r) && Number.isFinite(influence.se[r]!)) rows.push(r);
  return Int32Array.from(rows);
}

/** Pairs that pass both thresholds only through an undefined estimate (NaN standard error): left out. */
export function countUndefinedPairs(mem: Float64Array, influence: InfluenceTable, thresholds: Thresholds): number {
  let count = 0;
  for (let r = 0; r < influence.infl.length; r++) if (passes(mem, influence, thresholds, r) && !Number.isFinite(influence.se[r]!)) count++;
  return count;
}

export interface PairSummary {
  pairs: number;
  uniqueTrain: number;
  uniqueTest: number;
  /** testInfluencedBy[k] = number of test examples in exactly k selected pairs, k = 1, 2, ... */
  testInfluencedBy: Record<string, number>;
}

export function summarizePairs(influence: InfluenceTable, rows: Int32Array): PairSummary {
  const train = new Set<number>();
  const pairsPerTest = new Map<number, number>();
  for (const r of rows) {
    train.add(influence.trainIndex[r]!);
    const j = influence.testIndex[r]!;
    pairsPerTest.set(j, (pairsPerTest.get(j) ?? 0) + 1);
  }
  const testInfluencedBy: Record<string, number> = {};
  for (const k of [...pairsPerTest.values()].sort((a, b) => a - b)) testInfluencedBy[k] = (testInfluencedBy[k] ?? 0) + 1;
  return { pairs: rows.length, uniqueTrain: train.size, uniqueTest: pairsPerTest.size, testInfluencedBy };
}
