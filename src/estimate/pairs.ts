// High-influence pair selection (paper section 2): same class, mem >= theta_mem, infl >= theta_infl (exactly,
// on the counts),
// and the paper's summary counts (supplement C: CIFAR-100 774/101/13 test examples influenced by
// exactly 1/2/3 training examples).
import type { InfluenceTable, Memorization } from './estimator.js';
import { atLeast } from './rational.js';

export interface Thresholds {
  thetaMem: number;
  thetaInfl: number;
}

/** What pair selection needs of the memorization estimates: the counts behind mem(i) and its standard error. */
export type MemorizationCounts = Pick<Memorization, 'se' | 'nIn' | 'nOut' | 'correctIn' | 'correctOut'>;

/** 1 for each row of the influence table that passes both thresholds, decided exactly on the counts (a pair at
 * exactly theta is kept), and 2 for one that passes only through an undefined estimate (NaN standard error). */
function classifyPairs(memo: MemorizationCounts, influence: InfluenceTable, thresholds: Thresholds): Uint8Array {
  const memOk = atLeast(thresholds.thetaMem);
  const inflOk = atLeast(thresholds.thetaInfl);
  return Uint8Array.from(influence.trainIndex, (i, r) => {
    const nIn = memo.nIn[i]!;
    const nOut = memo.nOut[i]!;
    if (!inflOk(influence.correctIn[r]!, nIn, influence.correctOut[r]!, nOut) || !memOk(memo.correctIn[i]!, nIn, memo.correctOut[i]!, nOut)) return 0;
    return Number.isFinite(memo.se[i]!) ? 1 : 2;
  });
}

/** 1 for each pair selected: same class (every row is), mem >= theta_mem, infl >= theta_infl, defined. A pair whose
 * standard error is NaN (its train example in every subset or in none) is never selected. */
export function selectedPairMask(memo: MemorizationCounts, influence: InfluenceTable, thresholds: Thresholds): Uint8Array {
  return classifyPairs(memo, influence, thresholds).map((c) => (c === 1 ? 1 : 0));
}

/** Rows of the influence table selected, as selectedPairMask says. */
export function selectPairs(memo: MemorizationCounts, influence: InfluenceTable, thresholds: Thresholds): Int32Array {
  const rows: number[] = [];
  classifyPairs(memo, influence, thresholds).forEach((c, r) => c === 1 && rows.push(r));
  return Int32Array.from(rows);
}

/** Pairs that pass both thresholds only through an undefined estimate (NaN standard error): left out. */
export function countUndefinedPairs(memo: MemorizationCounts, influence: InfluenceTable, thresholds: Thresholds): number {
  return classifyPairs(memo, influence, thresholds).reduce((sum, c) => sum + (c === 2 ? 1 : 0), 0);
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
