// 1-nearest-neighbour against a brute-force scan: ties to the lower index, and the full-scan fallback.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NearestNeighbourIndex } from '../../src/models/knn.js';
import { membershipMask } from '../../src/train/seeds.js';
import { seeded } from '../helpers.js';

function bruteForce(reference: Uint8Array, labels: Int32Array, queries: Uint8Array, d: number, subset: Int32Array): Int32Array {
  const q = queries.length / d;
  return Int32Array.from({ length: q }, (_, query) => {
    let best = -1;
    let bestDistance = Infinity;
    for (const ref of subset) {
      let sum = 0;
      for (let k = 0; k < d; k++) sum += (queries[query * d + k]! - reference[ref * d + k]!) ** 2;
      if (sum < bestDistance) [best, bestDistance] = [ref, sum]; // subset is ascending: ties keep the lower index
    }
    return labels[best]!;
  });
}

test('predictions equal a brute-force 1-NN over the subset, with exact ties to the lower index', () => {
  const random = seeded('knn');
  const n = 120;
  const d = 6;
  // Few distinct pixel values make exact distance ties frequent.
  const reference = Uint8Array.from({ length: n * d }, () => Math.floor(random() * 3));
  const labels = Int32Array.from({ length: n }, () => Math.floor(random() * 5));
  const queries = Uint8Array.from({ length: 40 * d }, () => Math.floor(random() * 3));
  const index = new NearestNeighbourIndex(reference, labels, queries, d);
  for (let trial = 0; trial < 30; trial++) {
    const subset = Int32Array.from({ length: n }, (_, i) => i).filter(() => random() < 0.7);
    assert.deepEqual(index.predict(membershipMask(subset, n), subset), bruteForce(reference, labels, queries, d, subset));
  }
});

test('falls back to a full scan when none of the kept neighbours is in the subset', () => {
  const random = seeded('knn-fallback');
  const n = 60;
  const d = 4;
  const reference = Uint8Array.from({ length: n * d }, () => Math.floor(random() * 256));
  const labels = Int32Array.from({ length: n }, (_, i) => i); // label = index, so the chosen neighbour is visible
  const queries = reference.slice(0, 5 * d); // queries are the first five references
  const index = new NearestNeighbourIndex(reference, labels, queries, d);
  // A subset of only the 10 references farthest from query 0 excludes its 16 kept neighbours.
  const distance = (ref: number) => Array.from({ length: d }, (_, k) => (queries[k]! - reference[ref * d + k]!) ** 2).reduce((a, b) => a + b);
  const far = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => distance(b) - distance(a)).subarray(0, 10).sort();
  const predicted = index.predict(membershipMask(far, n), far);
  assert.deepEqual(predicted, bruteForce(reference, labels, queries, d, far));
});

test('a training example in the subset is its own nearest neighbour', () => {
  const random = seeded('self');
  const d = 8;
  const reference = Uint8Array.from({ length: 50 * d }, () => Math.floor(random() * 256));
  const labels = Int32Array.from({ length: 50 }, () => Math.floor(random() * 3));
  const index = new NearestNeighbourIndex(reference, labels, reference, d);
  const all = Int32Array.from({ length: 50 }, (_, i) => i);
  assert.deepEqual(index.predict(membershipMask(all, 50), all), labels);
});
