// The estimator against a brute-force Algorithm 1 on random masks, the 1/2 rule, and the bit matrices.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conditionalDifference, countSameClassPairs, estimateAll, type TrialMatrix } from '../../src/estimate/estimator.js';
import { BitmapTransposer, STRIP_WORDS } from '../../src/estimate/bit-kernels.js';
import type { BitView } from '../../src/store/trial-file.js';
import { TrialBits } from '../../src/estimate/trial-bits.js';
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
  const view = (mask: Uint8Array) => offsetView(mask, bitOffset);
  const matrix: TrialMatrix = {
    trials: t,
    subset: new TrialBits(trials.subset[0]!.length, t),
    trainCorrect: new TrialBits(trials.subset[0]!.length, t),
    testCorrect: new TrialBits(trials.testCorrect[0]!.length, t),
  };
  // Groups of 45 trials straddle word boundaries; production fills 512 trials at a time.
  for (let k = 0; k < t; k += 45) {
    const group = (masks: Uint8Array[]) => masks.slice(k, k + 45).map(view);
    setTrials(matrix.subset, k, group(trials.subset));
    setTrials(matrix.trainCorrect, k, group(trials.trainCorrect));
    setTrials(matrix.testCorrect, k, group(trials.testCorrect));
  }
  return matrix;
}

/** Writes `views` as trials firstSlot.. of `bits`, through a transposer. */
function setTrials(bits: TrialBits, firstSlot: number, views: readonly BitView[]): void {
  const transposer = new BitmapTransposer(bits.rows);
  for (const view of views) transposer.add(view);
  bits.setTrials(firstSlot, transposer);
}

/** A packed view of `mask` shifted by `bitOffset` bits inside its buffer, as Arrow slices may be. */
function offsetView(mask: Uint8Array, bitOffset: number): BitView {
  const padded = new Uint8Array(mask.length + bitOffset);
  padded.set(mask, bitOffset);
  return { bytes: packBits(padded), bitOffset, length: mask.length };
}

test('BitmapTransposer: bit b of word (r, g) of a strip is bit r of bitmap 32 g + b, at any bit offset and row count, reused', () => {
  const random = seeded('transpose');
  for (const [count, rows, bitOffset] of [[32, 64, 0], [7, 45, 3], [1, 33, 0], [100, 1000, 13], [128, 70, 0], [512, 300, 0], [300, 1030, 5]] as const) {
    const transposer = new BitmapTransposer(rows);
    // A full load of other bitmaps first: what the transposer held before must not leak into the next group.
    for (let k = 0; k < 512; k++) transposer.add(offsetView(randomMask(rows, 0.5, random), 0));
    transposer.count = 0;
    const masks = Array.from({ length: count }, () => randomMask(rows, 0.5, random));
    for (const mask of masks) transposer.add(offsetView(mask, bitOffset));
    const pitch = transposer.pitch;
    assert.equal(pitch, Math.ceil(count / 128) * 4);
    for (let w0 = 0; w0 < transposer.words; w0 += STRIP_WORDS) {
      const strip = transposer.strip(w0, Math.min(transposer.words, w0 + STRIP_WORDS)).slice();
      for (let r = 32 * w0; r < Math.min(rows, 32 * (w0 + STRIP_WORDS)); r++) {
        for (let k = 0; k < pitch * 32; k++) assert.equal((strip[(r - 32 * w0) * pitch + (k >>> 5)]! >>> (k & 31)) & 1, k < count ? masks[k]![r] : 0, `rows ${rows}, bitmap ${k}, row ${r}`);
      }
    }
  }
});

test('TrialBits.setTrials: groups across 512-trial boundaries from an unaligned first slot, t not a multiple of 32, 128 or 512, then widened', () => {
  const random = seeded('fill');
  const rows = 77;
  const t = 1237;
  const masks = Array.from({ length: t }, () => randomMask(rows, 0.5, random));
  const bits = new TrialBits(rows, t);
  // Slots 0..36, 37..511 (to the boundary), 512..1023, then 1024..1236, with a bit offset on some.
  for (const [from, to, bitOffset] of [[0, 37, 0], [37, 512, 3], [512, 1024, 0], [1024, t, 6]] as const) setTrials(bits, from, masks.slice(from, to).map((mask) => offsetView(mask, bitOffset)));
  const check = (matrix: TrialBits, trials: number): void => {
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < matrix.stride * 32; k++) assert.equal((matrix.data[r * matrix.stride + (k >>> 5)]! >>> (k & 31)) & 1, k < trials ? masks[k]![r] : 0, `row ${r}, slot ${k}`);
    }
  };
  check(bits, t);
  // Widened for more trials: the same bits in the same slots, then the new slots filled after them.
  const more = Array.from({ length: 600 }, () => randomMask(rows, 0.5, random));
  masks.push(...more);
  const wide = bits.widened(t + more.length);
  setTrials(wide, t, more.slice(0, 512 - (t % 512)).map((mask) => offsetView(mask, 0)));
  setTrials(wide, 1536, more.slice(512 - (t % 512)).map((mask) => offsetView(mask, 1)));
  check(wide, t + more.length);
});

const one = { floor: -Infinity, threads: 1 };

for (const [t, bitOffset, threads] of [[1, 0, 1], [31, 3, 1], [32, 0, 2], [33, 5, 1], [97, 0, 2], [300, 6, 3]] as const) {
  test(`memorization and influence equal brute-force Algorithm 1 (t = ${t}, bit offset ${bitOffset}, ${threads} thread(s))`, async () => {
    const n = 23;
    const nTest = 17;
    const trials = randomTrials(t, n, nTest, `est-${t}`);
    const matrix = toMatrix(trials, bitOffset);
    const trainLabels = Int32Array.from({ length: n }, (_, i) => i % 3);
    const testLabels = Int32Array.from({ length: nTest }, (_, j) => (j * 7) % 3);
    const { memo, influence } = await estimateAll(matrix, trainLabels, testLabels, 3, { floor: -Infinity, threads });
    for (let i = 0; i < n; i++) {
      const expected = bruteForceDifference(trials.subset, trials.trainCorrect, i, i);
      assert.ok(Math.abs(memo.mem[i]! - expected.value) < 1e-12, `mem[${i}]`);
      assert.ok(Object.is(memo.se[i], expected.se) || Math.abs(memo.se[i]! - expected.se) < 1e-12, `se[${i}]`);
      assert.equal(memo.nIn[i]! + memo.nOut[i]!, t);
    }
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

test('a condition that holds in no trial counts as 1/2 (supplement A), with an undefined standard error', async () => {
  // Example 0 is in every subset, example 1 in none; both always predicted right.
  const t = 40;
  const trials = {
    subset: Array.from({ length: t }, () => Uint8Array.of(1, 0)),
    trainCorrect: Array.from({ length: t }, () => Uint8Array.of(1, 1)),
    testCorrect: Array.from({ length: t }, () => Uint8Array.of(1)),
  };
  const { memo } = await estimateAll(toMatrix(trials), Int32Array.of(0, 0), Int32Array.of(0), 1, one);
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

test('the influence floor keeps exactly the pairs at or above it', async () => {
  const trials = randomTrials(64, 30, 20, 'floor');
  const matrix = toMatrix(trials);
  const labels = new Int32Array(30);
  const testLabels = new Int32Array(20);
  const all = (await estimateAll(matrix, labels, testLabels, 1, one)).influence;
  const kept = (await estimateAll(matrix, labels, testLabels, 1, { floor: 0.2, threads: 2 })).influence;
  assert.equal(kept.infl.length, all.infl.filter((v) => v >= 0.2).length);
  assert.ok(kept.infl.length > 0 && kept.infl.length < all.infl.length);
  assert.ok(kept.infl.every((v) => v >= 0.2));
});

test('a pair exactly at the floor (infl = 54/900 - 1/100 = 1/20, 0.049999999999999996 in float64) is kept, one count below is not', async () => {
  // Train example 0 is in 900 of 1000 trials; test 0 is right in 54 of them and in 1 of the 100 others, test 1 in 53 and 1.
  const t = 1000;
  const subset = Array.from({ length: t }, (_, k) => Uint8Array.of(k < 900 ? 1 : 0));
  const testCorrect = Array.from({ length: t }, (_, k) => Uint8Array.of(k < 54 || k === 900 ? 1 : 0, k < 53 || k === 900 ? 1 : 0));
  const matrix = toMatrix({ subset, trainCorrect: subset, testCorrect });
  assert.ok(54 / 900 - 1 / 100 < 0.05, 'float64 rounds this pair below the floor');
  const { influence } = await estimateAll(matrix, Int32Array.of(0), Int32Array.of(0, 0), 1, { floor: 0.05, threads: 1 });
  assert.deepEqual([...influence.testIndex], [0]);
  assert.deepEqual([influence.correctIn[0], influence.correctOut[0]], [54, 1]);
});

test('a trial mask leaves out the other trials exactly as if they were absent', async () => {
  const trials = randomTrials(70, 12, 9, 'mask');
  const labels = new Int32Array(12);
  const testLabels = new Int32Array(9);
  const full = toMatrix(trials);
  const mask = new Uint32Array(full.subset.stride);
  const even = (masks: Uint8Array[]) => masks.filter((_, k) => k % 2 === 0);
  for (let k = 0; k < 70; k += 2) mask[k >>> 5] = (mask[k >>> 5]! | (1 << (k & 31))) >>> 0;
  const masked = await estimateAll({ ...full, trials: 35, mask }, labels, testLabels, 1, { floor: -Infinity, threads: 2 });
  const alone = await estimateAll(toMatrix({ subset: even(trials.subset), trainCorrect: even(trials.trainCorrect), testCorrect: even(trials.testCorrect) }), labels, testLabels, 1, one);
  assert.deepEqual(masked, alone);
});
