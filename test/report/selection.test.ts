// The report's choices of examples against brute force: supplement D's pair-panel rule as its Python code
// reads (numpy's linspace, astype(int)), the per-class galleries, and each panel's most influenced tests.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { galleryOfClass, mostInfluenced, panelTrainExamples } from '../../src/report/selection.js';
import { seeded } from '../helpers.js';

/** The supplement's code, line by line: argsort(-max infl), base = linspace(0, len - 3, 5).astype(int). */
function supplementRule(pairTrain: number[], pairInfl: number[]): number[][] {
  const trainSelected = [...new Set(pairTrain)].sort((a, b) => a - b); // np.unique
  const maxInfl = trainSelected.map((i) => Math.max(...pairInfl.filter((_, r) => pairTrain[r] === i)));
  const order = trainSelected.map((_, k) => k).sort((a, b) => maxInfl[b]! - maxInfl[a]! || a - b); // ties: lower index
  const stop = trainSelected.length - 3;
  const base = Array.from({ length: 5 }, (_, k) => Math.trunc(0 + k * (stop / 4)));
  return [0, 1, 2].map((copy) => base.map((x) => trainSelected[order[x + copy]!]!));
}

test('pair panels follow supplement D: 3 sets of 5 spread evenly over the training examples sorted by highest influence', () => {
  const random = seeded('panels');
  for (const distinct of [15, 16, 17, 23, 40, 117, 300]) {
    const train: number[] = [];
    const infl: number[] = [];
    const ids = Array.from({ length: distinct }, (_, k) => 1000 + k * 7);
    for (const i of ids) for (let r = 0; r < 1 + Math.floor(random() * 4); r++) {
      train.push(i);
      infl.push(Math.round(random() * 20) / 20); // ties on purpose
    }
    const sets = panelTrainExamples(Int32Array.from(train), Float32Array.from(infl));
    assert.deepEqual(sets, supplementRule(train, infl.map((v) => Math.fround(v))), `${distinct} training examples`);
    assert.equal(new Set(sets.flat()).size, 15, 'no example twice');
  }
});

test('pair panels with fewer than 15 training examples show each once, by highest influence', () => {
  assert.deepEqual(panelTrainExamples(Int32Array.from([5, 3, 5, 9]), Float32Array.from([0.2, 0.5, 0.9, 0.5])), [[5, 3, 9]]);
  assert.deepEqual(panelTrainExamples(new Int32Array(0), new Float32Array(0)), []);
});

test('galleries: the highest and the lowest mem of a class, defined estimates only, no example in both', () => {
  const random = seeded('gallery');
  const n = 200;
  const labels = Int32Array.from({ length: n }, () => Math.floor(random() * 3));
  const mem = Float64Array.from({ length: n }, () => random());
  const se = Float64Array.from({ length: n }, () => (random() < 0.1 ? NaN : 0.05));
  for (const label of [0, 1, 2]) {
    const members = [...labels.keys()].filter((i) => labels[i] === label && Number.isFinite(se[i]!));
    const byMem = [...members].sort((a, b) => mem[b]! - mem[a]!);
    const g = galleryOfClass(mem, se, labels, label, 8);
    assert.deepEqual(g.memorized, byMem.slice(0, 8));
    assert.deepEqual(g.typical, byMem.slice(-8).reverse());
  }
  const small = galleryOfClass(Float64Array.from([0.9, 0.1, 0.5]), Float64Array.from([0.1, 0.1, 0.1]), Int32Array.from([0, 0, 0]), 0, 8);
  assert.deepEqual(small, { memorized: [0, 2, 1], typical: [] });
});

test('most influenced: each training example\'s highest-infl rows of the influence table', () => {
  const random = seeded('influenced');
  const rows = 500;
  const trainIndex = Int32Array.from({ length: rows }, () => Math.floor(random() * 20));
  const infl = Float32Array.from({ length: rows }, () => random());
  const chosen = [3, 7, 19];
  const shown = mostInfluenced(trainIndex, infl, chosen, 4);
  for (const i of chosen) {
    const expected = [...trainIndex.keys()].filter((r) => trainIndex[r] === i).sort((a, b) => infl[b]! - infl[a]!).slice(0, 4);
    assert.deepEqual(shown.get(i), expected);
  }
});
