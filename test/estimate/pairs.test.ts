// Pair selection and the paper's summary counts on a hand-made influence table, and the ground-truth checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InfluenceTable } from '../../src/estimate/estimator.js';
import { memorizationBySubpopulationSize, pairPrecision } from '../../src/estimate/ground-truth.js';
import { countUndefinedPairs, selectPairs, summarizePairs, type MemorizationCounts } from '../../src/estimate/pairs.js';

// Every train example is in 20 of 40 trials (n_in = n_out = 20), so each value is (correct_in - correct_out) / 20.
// Rows: (train i, test j, correct_in, correct_out).
const rows: [number, number, number, number][] = [
  [0, 0, 18, 0], // infl 0.9: selected
  [0, 1, 13, 10], // infl 0.15: selected, exactly at the threshold
  [1, 1, 15, 5], // infl 0.5: selected (test 1 is influenced by two train examples)
  [2, 2, 17, 1], // infl 0.8: not selected, mem of train 2 is 0.2
  [3, 3, 12, 10], // infl 0.1: not selected
  [3, 4, 16, 10], // infl 0.3: selected
];
const influence: InfluenceTable = {
  trainIndex: Int32Array.from(rows, (r) => r[0]),
  testIndex: Int32Array.from(rows, (r) => r[1]),
  infl: Float32Array.from(rows, (r) => (r[2] - r[3]) / 20),
  se: new Float32Array(rows.length),
  low: new Float32Array(rows.length),
  high: new Float32Array(rows.length),
  correctIn: Int32Array.from(rows, (r) => r[2]),
  correctOut: Int32Array.from(rows, (r) => r[3]),
};
// mem 0.3, 0.25 (exactly at theta_mem), 0.2, 0.9
const memo: MemorizationCounts = { se: new Float64Array(4), nIn: new Int32Array(4).fill(20), nOut: new Int32Array(4).fill(20), correctIn: Int32Array.of(16, 15, 14, 19), correctOut: Int32Array.of(10, 10, 10, 1) };

test('selects same-class pairs with mem >= theta_mem and infl >= theta_infl', () => {
  const selected = selectPairs(memo, influence, { thetaMem: 0.25, thetaInfl: 0.15 });
  assert.deepEqual([...selected], [0, 1, 2, 5]);
});

test('a pair past both thresholds with a NaN standard error is never selected, and is counted as left out', () => {
  const undefinedSe = { ...memo, se: Float64Array.of(0.05, NaN, 0.05, 0.05) };
  assert.deepEqual([...selectPairs(undefinedSe, influence, { thetaMem: 0.25, thetaInfl: 0.15 })], [0, 1, 5]);
  assert.equal(countUndefinedPairs(undefinedSe, influence, { thetaMem: 0.25, thetaInfl: 0.15 }), 1);
  assert.equal(countUndefinedPairs(memo, influence, { thetaMem: 0.25, thetaInfl: 0.15 }), 0);
});

test('ties at theta_mem and theta_infl are decided on the counts, where float64 rounds them below', () => {
  // mem = 2/3 - 5/12 = 1/4 and infl = 2/3 - 31/60 = 3/20, which float64 computes as 0.24999999999999994 and 0.1499999999999999.
  const difference = (pIn: number, pOut: number): number => pIn - pOut;
  assert.ok(difference(2 / 3, 5 / 12) < 0.25 && difference(2 / 3, 31 / 60) < 0.15);
  const tie: MemorizationCounts = { se: Float64Array.of(0.1), nIn: Int32Array.of(3), nOut: Int32Array.of(60), correctIn: Int32Array.of(2), correctOut: Int32Array.of(25) };
  const pair: InfluenceTable = { ...influence, trainIndex: Int32Array.of(0, 0), testIndex: Int32Array.of(0, 1), correctIn: Int32Array.of(2, 2), correctOut: Int32Array.of(31, 32) };
  assert.deepEqual([...selectPairs(tie, pair, { thetaMem: 0.25, thetaInfl: 0.15 })], [0], 'the pair at 3/20 is kept, the one at 2/3 - 32/60 is not');
  assert.deepEqual([...selectPairs({ ...tie, correctOut: Int32Array.of(26) }, pair, { thetaMem: 0.25, thetaInfl: 0.15 })], [], 'mem one count below 1/4');
});

test('summary counts: pairs, unique train and test examples, test examples influenced by exactly k', () => {
  const summary = summarizePairs(influence, Int32Array.of(0, 1, 2, 5));
  assert.deepEqual(summary, { pairs: 4, uniqueTrain: 3, uniqueTest: 3, testInfluencedBy: { 1: 2, 2: 1 } });
  assert.deepEqual(summarizePairs(influence, new Int32Array(0)), { pairs: 0, uniqueTrain: 0, uniqueTest: 0, testInfluencedBy: {} });
});

test('precision is the fraction of pairs sharing a subpopulation', () => {
  const trainSub = Int32Array.of(10, 11, 12, 13);
  const testSub = Int32Array.of(10, 99, 12, 13, 13);
  assert.equal(pairPrecision(influence, Int32Array.of(0, 1, 2, 5), trainSub, testSub), 2 / 4);
  assert.ok(Number.isNaN(pairPrecision(influence, new Int32Array(0), trainSub, testSub)));
});

test('memorization is averaged by the training size of each example\'s subpopulation', () => {
  // Subpopulation 7 has one example, 8 has two, 9 has twelve.
  const sub = Int32Array.from([7, 8, 8, ...Array<number>(12).fill(9)]);
  const values = Float64Array.from([1, 0.5, 0.3, ...Array<number>(12).fill(0)]);
  const buckets = memorizationBySubpopulationSize(values, sub);
  assert.deepEqual(buckets.map((b) => [b.label, b.examples]), [['1', 1], ['2-3', 2], ['4-10', 0], ['11+', 12]]);
  assert.equal(buckets[0]!.meanMem, 1);
  assert.ok(Math.abs(buckets[1]!.meanMem - 0.4) < 1e-12);
  assert.ok(Number.isNaN(buckets[2]!.meanMem));
});
