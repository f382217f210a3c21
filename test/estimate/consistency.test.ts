// Supplement C's consistency metrics (eq. 4) and Pearson's r against brute force over Sets, and the
// comparison of two runs' estimates: every threshold's J and D recomputed from the definition, with
// undefined (NaN standard error) estimates never selected.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agreement, consistencyThresholds, pearson } from '../../src/estimate/consistency.js';
import type { InfluenceTable, Memorization } from '../../src/estimate/estimator.js';
import { compareEstimates, pairAgreement, type RunEstimates } from '../../src/estimate/run-consistency.js';
import { seeded } from '../helpers.js';

function bruteJaccardAndDifference(a: number[], b: number[], setA: Set<number>, setB: Set<number>): { jaccard: number; difference: number } {
  const union = new Set([...setA, ...setB]);
  const intersection = [...setA].filter((r) => setB.has(r));
  const difference = [...union].reduce((sum, r) => sum + Math.abs(a[r]! - b[r]!), 0) / union.size;
  return { jaccard: intersection.length / union.size, difference };
}

function brutePearson(x: number[], y: number[]): number {
  const mean = (v: number[]) => v.reduce((s, e) => s + e, 0) / v.length;
  const mx = mean(x);
  const my = mean(y);
  const cov = x.reduce((s, _, r) => s + (x[r]! - mx) * (y[r]! - my), 0);
  const vx = x.reduce((s, e) => s + (e - mx) ** 2, 0);
  const vy = y.reduce((s, e) => s + (e - my) ** 2, 0);
  return cov / Math.sqrt(vx * vy);
}

test('Jaccard and mean absolute difference over the union equal their definitions', () => {
  const random = seeded('agreement');
  const a = Array.from({ length: 200 }, () => random());
  const b = a.map((v) => v + (random() - 0.5) * 0.2);
  const selectedA = Uint8Array.from(a, (v) => (v >= 0.6 ? 1 : 0));
  const selectedB = Uint8Array.from(b, (v) => (v >= 0.6 ? 1 : 0));
  const result = agreement(a, b, selectedA, selectedB);
  const setOf = (s: Uint8Array) => new Set([...s.keys()].filter((r) => s[r]));
  const expected = bruteJaccardAndDifference(a, b, setOf(selectedA), setOf(selectedB));
  assert.ok(Math.abs(result.jaccard - expected.jaccard) < 1e-12 && Math.abs(result.meanAbsDifference - expected.difference) < 1e-12);
  assert.equal(result.countA, setOf(selectedA).size);
  assert.ok(result.jaccard > 0.5 && result.jaccard < 1, 'noisy copies overlap partly');
  const none = agreement(a, b, new Uint8Array(200), new Uint8Array(200));
  assert.ok(Number.isNaN(none.jaccard) && Number.isNaN(none.meanAbsDifference), 'two empty sets: undefined');
});

test("Pearson's r equals the textbook formula, over all items and over a kept subset", () => {
  const random = seeded('pearson');
  const x = Array.from({ length: 50 }, () => random());
  const y = x.map((v) => v * 0.5 + random());
  assert.ok(Math.abs(pearson(x, y) - brutePearson(x, y)) < 1e-12);
  const keep = Uint8Array.from(x, (_, r) => (r % 3 === 0 ? 1 : 0));
  const kept = [...keep.keys()].filter((r) => keep[r]);
  assert.ok(Math.abs(pearson(x, y, keep) - brutePearson(kept.map((r) => x[r]!), kept.map((r) => y[r]!))) < 1e-12);
  assert.ok(Math.abs(pearson(x, x) - 1) < 1e-12);
  assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])), 'a constant has no correlation');
});

/** Random estimates of a run over n train and nTest test examples (every pair "same class"), some undefined, from
 * random counts with n_in = 97 and n_out = 89: no value lands on a threshold k/20 but 0 and +-1, where float64 is
 * exact, so the brute force below may compare the float values. */
function randomRun(seed: string, n: number, nTest: number, base?: RunEstimates): RunEstimates {
  const random = seeded(seed);
  const [nIn, nOut] = [97, 89];
  const count = (of: number, near?: number) => Math.max(0, Math.min(of, near === undefined ? Math.floor(random() * (of + 1)) : near + Math.floor((random() - 0.5) * 20)));
  const memIn = Int32Array.from({ length: n }, (_, i) => count(nIn, base?.memo.correctIn[i]));
  const memOut = Int32Array.from({ length: n }, (_, i) => count(nOut, base?.memo.correctOut[i]));
  const mem = Float64Array.from(memIn, (c, i) => c / nIn - memOut[i]! / nOut);
  const se = Float64Array.from({ length: n }, (_, i) => (i % 11 === 0 ? NaN : 0.05));
  const memo: Memorization = { mem, se, low: mem.map((v) => v - 0.1), high: mem.map((v) => v + 0.1), nIn: new Int32Array(n).fill(nIn), nOut: new Int32Array(n).fill(nOut), correctIn: memIn, correctOut: memOut };
  const rows = n * nTest;
  const trainIndex = Int32Array.from({ length: rows }, (_, r) => Math.floor(r / nTest));
  const testIndex = Int32Array.from({ length: rows }, (_, r) => r % nTest);
  // infl in about [0, 0.4]: correct_out around 40, correct_in up to 0.4 * 97 more.
  const correctOut = Int32Array.from({ length: rows }, (_, r) => count(nOut, base?.influence.correctOut[r] ?? 40));
  const correctIn = Int32Array.from({ length: rows }, (_, r) => count(nIn, base?.influence.correctIn[r] ?? Math.round(((correctOut[r]! / nOut) + random() * 0.4) * nIn)));
  const infl = Float32Array.from(correctIn, (c, r) => c / nIn - correctOut[r]! / nOut);
  const influence: InfluenceTable = { trainIndex, testIndex, infl, se: Float32Array.from(trainIndex, (i) => se[i]!), low: infl.map((v) => v - 0.1), high: infl.map((v) => v + 0.1), correctIn, correctOut };
  return { memo, influence };
}

test('compareEstimates: J and D of mem and infl at every threshold, from the sets of eq. 4', () => {
  const a = randomRun('run-a', 60, 25);
  const b = randomRun('run-b', 60, 25, a);
  const defined = (run: RunEstimates, i: number) => Number.isFinite(run.memo.se[i]!);
  for (const memCondition of [0.25, null]) {
    const result = compareEstimates(a, b, memCondition);
    assert.deepEqual(result.rows.map((r) => r.threshold), consistencyThresholds());
    for (const row of result.rows) {
      const memSet = (run: RunEstimates) => new Set([...run.memo.mem.keys()].filter((i) => defined(run, i) && run.memo.mem[i]! >= row.threshold));
      const memExpected = bruteJaccardAndDifference([...a.memo.mem], [...b.memo.mem], memSet(a), memSet(b));
      if (memSet(a).size + memSet(b).size > 0) assert.ok(Math.abs(row.mem.jaccard - memExpected.jaccard) < 1e-12 && Math.abs(row.mem.meanAbsDifference - memExpected.difference) < 1e-12, `mem at ${row.threshold}`);
      const pairSet = (run: RunEstimates) =>
        new Set([...run.influence.infl.keys()].filter((r) => {
          const i = run.influence.trainIndex[r]!;
          return defined(run, i) && run.influence.infl[r]! >= row.threshold && (memCondition === null || run.memo.mem[i]! >= memCondition);
        }));
      const inflExpected = bruteJaccardAndDifference([...a.influence.infl], [...b.influence.infl], pairSet(a), pairSet(b));
      assert.equal(row.infl.countA, pairSet(a).size);
      if (pairSet(a).size + pairSet(b).size > 0) assert.ok(Math.abs(row.infl.jaccard - inflExpected.jaccard) < 1e-9 && Math.abs(row.infl.meanAbsDifference - inflExpected.difference) < 1e-6, `infl at ${row.threshold}`);
    }
  }
  const withCondition = compareEstimates(a, b, 0.25).rows[3]!.infl;
  assert.deepEqual(pairAgreement(a, b, { thetaMem: 0.25, thetaInfl: 0.15 }), withCondition, 'pairs uses the same J_infl');
  assert.ok(compareEstimates(a, b, null).rows[3]!.infl.countA > withCondition.countA, 'dropping the mem condition selects more pairs');
});

test('compareEstimates: correlations skip undefined estimates; a run against itself agrees perfectly', () => {
  const a = randomRun('self', 40, 10);
  const self = compareEstimates(a, a, 0.25);
  for (const row of self.rows) if (row.mem.countA > 0) assert.equal(row.mem.jaccard, 1);
  assert.ok(Math.abs(self.correlations.memAll - 1) < 1e-12 && Math.abs(self.correlations.inflAll - 1) < 1e-12, 'NaN-SE examples are left out, not NaN');
  const b = randomRun('other', 40, 10, a);
  const keep = Uint8Array.from(a.memo.se, (s) => (Number.isFinite(s) ? 1 : 0));
  const kept = [...keep.keys()].filter((i) => keep[i]);
  assert.ok(Math.abs(compareEstimates(a, b, 0.25).correlations.memAll - brutePearson(kept.map((i) => a.memo.mem[i]!), kept.map((i) => b.memo.mem[i]!))) < 1e-12);
});
