// Pair selection and the paper's summary counts on a hand-made influence table, and the ground-truth checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InfluenceTable } from '../../src/estimate/estimator.js';
import { memorizationBySubpopulationSize, pairPrecision } from '../../src/estimate/ground-truth.js';
import { countUndefinedPairs, selectPairs, summarizePairs } from '../../src/estimate/pairs.js';

// Rows: (train i, test j, infl).
const rows: [number, number, number][] = [
  [0, 0, 0.9], // selected
  [0, 1, 0.15], // selected: infl exactly at the threshold
  [1, 1, 0.5], // selected: test 1 is influenced by two train examples
  [2, 2, 0.8], // not selected: mem of train 2 below 0.25
  [3, 3, 0.149], // not selected: infl below 0.15
  [3, 4, 0.3], // selected
];
const influence: InfluenceTable = {
  trainIndex: Int32Array.from(rows, (r) => r[0]),
  testIndex: Int32Array.from(rows, (r) => r[1]),
  infl: Float32Array.from(rows, (r) => r[2]),
  se: new Float32Array(rows.length),
  low: new Float32Array(rows.length),
  high: new Float32Array(rows.length),
};
const mem = Float64Array.of(0.3, 0.25, 0.2, 0.9);

test('selects same-class pairs with mem >= theta_mem and infl >= theta_infl', () => {
  const selected = selectPairs(mem, influence, { thetaMem: 0.25, thetaInfl: 0.15 });
  assert.deepEqual([...selected], [0, 1, 2, 5]);
});

test('a pair past both thresholds with a NaN standard error is never selected, and is counted as left out', () => {
  const undefinedSe = { ...influence, se: Float32Array.from(rows, (_, r) => (r === 2 ? NaN : 0.05)) };
  assert.deepEqual([...selectPairs(mem, undefinedSe, { thetaMem: 0.25, thetaInfl: 0.15 })], [0, 1, 5]);
  assert.equal(countUndefinedPairs(mem, undefinedSe, { thetaMem: 0.25, thetaInfl: 0.15 }), 1);
  assert.equal(countUndefinedPairs(mem, influence, { thetaMem: 0.25, thetaInfl: 0.15 }), 0);
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
