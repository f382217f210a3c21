// Checks of the estimates against the truth, where the data set knows its subpopulations
// (synthetic-longtail): pair precision, and memorization by how rare an example's subpopulation is.
import type { InfluenceTable } from './estimator.js';

/** Fraction of selected pairs whose train and test example share a subpopulation. */
export function pairPrecision(influence: InfluenceTable, rows: Int32Array, trainSubpopulation: Int32Array, testSubpopulation: Int32Array): number {
  let shared = 0;
  for (const r of rows) if (trainSubpopulation[influence.trainIndex[r]!] === testSubpopulation[influence.testIndex[r]!]) shared++;
  return rows.length > 0 ? shared / rows.length : NaN;
}

export interface FrequencyBucket {
  label: string; // training examples in the subpopulation, e.g. "1" or "2-3"
  examples: number;
  meanMem: number;
}

const BUCKETS: [number, number][] = [[1, 1], [2, 3], [4, 10], [11, Infinity]];

/** Mean memorization of training examples grouped by the training size of their subpopulation. */
export function memorizationBySubpopulationSize(mem: Float64Array, trainSubpopulation: Int32Array): FrequencyBucket[] {
  const size = new Map<number, number>();
  for (const s of trainSubpopulation) size.set(s, (size.get(s) ?? 0) + 1);
  return BUCKETS.map(([lo, hi]) => {
    let sum = 0;
    let examples = 0;
    trainSubpopulation.forEach((s, i) => {
      const k = size.get(s)!;
      if (k >= lo && k <= hi) {
        sum += mem[i]!;
        examples++;
      }
    });
    const label = lo === hi ? `${lo}` : hi === Infinity ? `${lo}+` : `${lo}-${hi}`;
    return { label, examples, meanMem: examples > 0 ? sum / examples : NaN };
  });
}
