// Trial randomness: subsets depend only on (seed, k), have size m, and are uniform; the lr schedule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { learningRateAt } from '../../src/train/schedule.js';
import { remainingIndices, sampleSubset, sampleSubsetOf, shuffled, trialSeed } from '../../src/train/seeds.js';
import { seeded } from '../helpers.js';

test('trial k\'s subset and seed depend only on (run seed, k)', () => {
  assert.deepEqual(sampleSubset(1, 5, 100, 70), sampleSubset(1, 5, 100, 70));
  assert.notDeepEqual(sampleSubset(1, 5, 100, 70), sampleSubset(1, 6, 100, 70));
  assert.notDeepEqual(sampleSubset(1, 5, 100, 70), sampleSubset(2, 5, 100, 70));
  assert.equal(trialSeed(1, 5), trialSeed(1, 5));
  assert.notEqual(trialSeed(1, 5), trialSeed(1, 6));
  for (let k = 0; k < 200; k++) assert.ok(trialSeed(0, k) > 0 && trialSeed(0, k) < 2 ** 32);
});

test('a subset has m distinct sorted indices in [0, n)', () => {
  const subset = sampleSubset(3, 0, 1000, 700);
  assert.equal(subset.length, 700);
  assert.equal(new Set(subset).size, 700);
  for (let i = 1; i < subset.length; i++) assert.ok(subset[i - 1]! < subset[i]!);
  assert.ok(subset[0]! >= 0 && subset[699]! < 1000);
});

test('every index is included with probability m/n (uniform subsets)', () => {
  const n = 50;
  const m = 35;
  const trials = 4000;
  const counts = new Int32Array(n);
  for (let k = 0; k < trials; k++) for (const i of sampleSubset(9, k, n, m)) counts[i]!++;
  // Binomial(4000, 0.7): sd ~ 29; allow 5 sd.
  for (const c of counts) assert.ok(Math.abs(c - trials * 0.7) < 5 * 29, `count ${c}`);
});

test('shuffled is a permutation', () => {
  const values = Int32Array.from({ length: 100 }, (_, i) => i * 3);
  const out = shuffled(values, seeded('p'));
  assert.notDeepEqual(out, values);
  assert.deepEqual(out.slice().sort(), values);
});

test('learning rate rises linearly over the warm-up, then falls linearly to 0 at the end', () => {
  const total = 100;
  const rates = Array.from({ length: total }, (_, s) => learningRateAt(s, total, 0.4, 0.15));
  assert.ok(Math.abs(rates[14]! - 0.4) < 1e-12); // last warm-up step reaches the peak
  assert.ok(Math.abs(rates[0]! - 0.4 / 15) < 1e-12);
  assert.ok(Math.abs(rates[99]! - 0.4 / 85) < 1e-12); // last step is one decay step above 0
  for (let s = 1; s < 15; s++) assert.ok(rates[s]! > rates[s - 1]!);
  for (let s = 16; s < total; s++) assert.ok(rates[s]! < rates[s - 1]!);
});

test('subsets of S without excluded examples: the same subsets when nothing is excluded, never an excluded one', () => {
  assert.deepEqual(sampleSubsetOf(1, 5, remainingIndices(100, []), 70), sampleSubset(1, 5, 100, 70));
  const pool = remainingIndices(100, [0, 7, 99]);
  assert.equal(pool.length, 97);
  for (let k = 0; k < 50; k++) {
    const subset = sampleSubsetOf(2, k, pool, 68);
    assert.equal(new Set(subset).size, 68);
    assert.ok(!subset.includes(0) && !subset.includes(7) && !subset.includes(99));
    for (let i = 1; i < subset.length; i++) assert.ok(subset[i - 1]! < subset[i]!, 'ascending');
  }
});
