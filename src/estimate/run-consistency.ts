// Two runs' estimates on the same data compared as in supplement C (Fig. C.2, eq. 4): J and D of mem and of
// infl at thresholds 0 to 1 (decided exactly on the counts), and Pearson correlations. Only defined estimates (finite standard error) are
// ever selected or correlated. Pure.
import { agreement, consistencyThresholds, pearson, type Agreement } from './consistency.js';
import { selectDefined, selectMemorized, type InfluenceTable, type Memorization } from './estimator.js';
import { selectedPairMask, type Thresholds } from './pairs.js';

/** One run's estimates, as the estimator returns them. */
export interface RunEstimates {
  memo: Memorization;
  influence: InfluenceTable; // every same-class pair, in the estimator's order
}

export interface ConsistencyRow {
  threshold: number;
  mem: Agreement; // I_mem(theta) = {i : mem_i >= theta}
  infl: Agreement; // I_infl(theta) = {(i, j) : infl >= theta and mem_i >= memCondition}
}

export interface Correlations {
  memAll: number; // over every example with defined estimates in both runs
  memMemorized: number; // ... and mem >= memCondition (0.25 when dropped) in either run
  inflAll: number; // over every same-class pair with defined estimates in both runs
  inflMemorized: number; // ... whose train example has mem >= memCondition (0.25 when dropped) in either run
}

export interface Consistency {
  rows: ConsistencyRow[];
  correlations: Correlations;
}

/** The mem threshold of eq. 4's I_infl, used for "memorized" in the correlations when the condition is dropped. */
export const MEMORIZED = 0.25;

const either = (a: Uint8Array, b: Uint8Array): Uint8Array => a.map((v, r) => v | b[r]!);
const both = (a: Uint8Array, b: Uint8Array): Uint8Array => a.map((v, r) => v & b[r]!);

function checkSamePairs(a: InfluenceTable, b: InfluenceTable): void {
  if (a.trainIndex.length !== b.trainIndex.length || a.trainIndex.some((i, r) => i !== b.trainIndex[r] || a.testIndex[r] !== b.testIndex[r])) {
    throw new Error('the two influence tables hold different pairs');
  }
}

/** J_infl and D_infl of the two runs' selected pairs (eq. 4 with thetaMem as I_infl's mem condition). */
export function pairAgreement(a: RunEstimates, b: RunEstimates, thresholds: Thresholds): Agreement {
  checkSamePairs(a.influence, b.influence);
  return agreement(a.influence.infl, b.influence.infl, selectedPairMask(a.memo, a.influence, thresholds), selectedPairMask(b.memo, b.influence, thresholds));
}

/** Supplement C's consistency of run A against run B. `memCondition` is eq. 4's mem >= 0.25 condition of
 * I_infl, or null to drop it (as for Fig. C.3). Both runs must hold the same pairs in the same order. */
export function compareEstimates(a: RunEstimates, b: RunEstimates, memCondition: number | null): Consistency {
  const pairsA = a.influence;
  const pairsB = b.influence;
  const rows = consistencyThresholds().map((threshold) => ({
    threshold,
    mem: agreement(a.memo.mem, b.memo.mem, selectMemorized(a.memo, threshold), selectMemorized(b.memo, threshold)),
    infl: pairAgreement(a, b, { thetaMem: memCondition ?? -Infinity, thetaInfl: threshold }),
  }));
  const definedMem = both(selectDefined(a.memo.mem, a.memo.se, -Infinity), selectDefined(b.memo.mem, b.memo.se, -Infinity));
  const memorized = either(selectMemorized(a.memo, memCondition ?? MEMORIZED), selectMemorized(b.memo, memCondition ?? MEMORIZED));
  const definedPairs = both(selectDefined(pairsA.infl, pairsA.se, -Infinity), selectDefined(pairsB.infl, pairsB.se, -Infinity));
  const memorizedPairs = both(definedPairs, Uint8Array.from(pairsA.trainIndex, (i) => memorized[i]!));
  return {
    rows,
    correlations: {
      memAll: pearson(a.memo.mem, b.memo.mem, definedMem),
      memMemorized: pearson(a.memo.mem, b.memo.mem, both(definedMem, memorized)),
      inflAll: pearson(pairsA.infl, pairsB.infl, definedPairs),
      inflMemorized: pearson(pairsA.infl, pairsB.infl, memorizedPairs),
    },
  };
}
