// The estimator against a brute-force Algorithm 1 on random masks, the 1/2 rule, and the bit matrices.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conditionalDifference, countSameClassPairs, estimateInfluence, estimateMemorization, type TrialMatrix } from '../../src/estimate/estimator.js';
import { TrialBits, popcount32 } from '../../src/estimate/trial-bits.js';
import { packBits } from '../../src/store/trial-file.js';
import { bruteForceDifference, randomMask, seeded } from '../helpers.js';

/** Random trials: subsets with inclusion probability 0.7; correctness depends on membership for some examples. */
function randomTrials(t: number, n: number, nTest: number, seed: string) {
  const random = seeded(seed);
  const subset = Array.from({ length: t }, () => randomMask(n, 0.7, random));
  const trainCorrect = subset.map((s) => Uint8Array.from(s, (inside) => (random() < (inside ? 0.9 : 0.4) ? 1 : 0)));
  const testCorrect = subset.map((s) => Uint8Array.from({ length: nTest }, (_, j) => (random() < (s[j % n] ? 0.8 : 0.3) ? 1 : 0)));
  return { subset, trainCorrect, testCorrect };
}

function toMatrix(trials: { subset: Uint8Array[]; trainCorrect: Uint8Array[]; testCorrect: Uint8Array[] }, bitOffset = 0): TrialMatrix {
  const t = trials.subset.length;
  const view = (mask: Uint8Array) => {
    // Shift the mask by bitOffset inside a larger packed buffer, as Arrow slices may be.
    const padded = new Uint8Array(mask.length + bitOffset);
    padded.set(mask, bitOffset);
    return { bytes: packBits(padded), bitOffset, length: mask.length };
  };
  const matrix: TrialMatrix = {
    trials: t,
    subset: new TrialBits(trials.subset[0]!.length, t),
    trainCorrect: new TrialBits(trials.subset[0]!.length, t),
    testCorrect: new TrialBits(trials.testCorrect[0]!.length, t),
  };
  for (let k = 0; k < t; k++) {
    matrix.subset.setTrial(k, view(trials.subset[k]!));
    matrix.trainCorrect.setTrial(k, view(trials.trainCorrect[k]!));
    matrix.testCorrect.setTrial(k, view(trials.testCorrect[k]!));
  }
  return matrix;
}

test('popcount32 counts bits of every width', () => {
  for (const [x, expected] of [[0, 0], [1, 1], [0xffffffff, 32], [0x80000000, 1], [0x55555555, 16], [0x0f0f0f0f, 16], [-1, 32]] as const) {
    assert.equal(popcount32(x), expected, `popcount32(${x})`);
  }
});

for (const [t, bitOffset] of [[1, 0], [31, 3], [32, 0], [33, 5], [97, 0]] as const) {
  test(`memorization and influence equal brute-force Algorithm 1 (t = ${t}, bit offset ${bitOffset})`, () => {
    const n = 23;
    const nTest = 17;
    const trials = randomTrials(t, n, nTest, `est-${t}`);
    const matrix = toMatrix(trials, bitOffset);
    const memo = estimateMemorization(matrix);
    for (let i = 0; i < n; i++) {
      const expected = bruteForceDifference(trials.subset, trials.trainCorrect, i, i);
      assert.ok(Math.abs(memo.mem[i]! - expected.value) < 1e-12, `mem[${i}]`);
      assert.ok(Object.is(memo.se[i], expected.se) || Math.abs(memo.se[i]! - expected.se) < 1e-12, `se[${i}]`);
      assert.equal(memo.nIn[i]! + memo.nOut[i]!, t);
    }
    const trainLabels = Int32Array.from({ length: n }, (_, i) => i % 3);
    const testLabels = Int32Array.from({ length: nTest }, (_, j) => (j * 7) % 3);
    const influence = estimateInfluence(matrix, trainLabels, testLabels, 3, { floor: -Infinity });
    assert.equal(influence.infl.length, countSameClassPairs(trainLabels, testLabels, 3));
    const seen = new Set<string>();
    for (let r = 0; r < influence.infl.length; r++) {
      const i = influence.trainIndex[r]!;
      const j = influence.testIndex[r]!;
      assert.equal(trainLabels[i], testLabels[j], 'only same-class pairs');
      seen.add(`${i},${j}`);
      const expected = bruteForceDifference(trials.subset, trials.testCorrect, i, j);
      assert.ok(Math.abs(influence.infl[r]! - expected.value) < 1e-6, `infl(${i},${j})`);
      if (Number.isFinite(expected.se)) assert.ok(Math.abs(influence.se[r]! - expected.se) < 1e-6, `se(${i},${j})`);
      else assert.ok(Number.isNaN(influence.se[r]));
    }
    assert.equal(seen.size, influence.infl.length, 'no pair twice');
  });
}

test('a condition that holds in no trial counts as 1/2 (supplement A), with an undefined standard error', () => {
  // Example 0 is in every subset, example 1 in none; both always predicted right.
  const t = 40;
  const trials = {
    subset: Array.from({ length: t }, () => Uint8Array.of(1, 0)),
    trainCorrect: Array.from({ length: t }, () => Uint8Array.of(1, 1)),
    testCorrect: Array.from({ length: t }, () => Uint8Array.of(1)),
  };
  const memo = estimateMemorization(toMatrix(trials));
  assert.equal(memo.mem[0], 1 - 0.5); // P[correct | in] = 1, P[correct | out] has no trial: 1/2
  assert.equal(memo.mem[1], 0.5 - 1); // P[correct | in] has no trial: 1/2
  assert.ok(Number.isNaN(memo.se[0]) && Number.isNaN(memo.se[1]));
  assert.deepEqual([memo.nIn[0], memo.nOut[0], memo.nIn[1], memo.nOut[1]], [t, 0, 0, t]);
  assert.deepEqual(conditionalDifference(0, 0, 0, 0), { value: 0, se: NaN });
});

test('standard error is that of a difference of two Bernoulli means', () => {
  const d = conditionalDifference(3, 4, 1, 5); // p_in = 0.75, p_out = 0.2
  assert.ok(Math.abs(d.value - 0.55) < 1e-12);
  assert.ok(Math.abs(d.se - Math.sqrt((0.75 * 0.25) / 4 + (0.2 * 0.8) / 5)) < 1e-12);
});

test('the influence floor keeps exactly the pairs at or above it', () => {
  const trials = randomTrials(64, 30, 20, 'floor');
  const matrix = toMatrix(trials);
  const labels = new Int32Array(30);
  const testLabels = new Int32Array(20);
  const all = estimateInfluence(matrix, labels, testLabels, 1, { floor: -Infinity });
  const kept = estimateInfluence(matrix, labels, testLabels, 1, { floor: 0.2 });
  assert.equal(kept.infl.length, all.infl.filter((v) => v >= 0.2).length);
  assert.ok(kept.infl.length > 0 && kept.infl.length < all.infl.length);
  assert.ok(kept.infl.every((v) => v >= 0.2));
});
