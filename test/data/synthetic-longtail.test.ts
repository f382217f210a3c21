// The embedded long-tail data set: a pure function of its parameters, Zipf subpopulations, label noise.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CONFIG } from '../../src/config/schema.js';
import { generateSyntheticLongtail } from '../../src/data/synthetic-longtail.js';

const params = { ...DEFAULT_CONFIG.synthetic, trainSize: 3000, testSize: 500 };

test('the same parameters give the same data set and fingerprint; other parameters do not', () => {
  const a = generateSyntheticLongtail(params);
  const b = generateSyntheticLongtail(params);
  assert.deepEqual(a.train.images, b.train.images);
  assert.deepEqual(a.test.labels, b.test.labels);
  assert.equal(a.fingerprint, b.fingerprint);
  const c = generateSyntheticLongtail({ ...params, seed: params.seed + 1 });
  assert.notEqual(c.fingerprint, a.fingerprint);
  assert.notDeepEqual(c.train.images, a.train.images);
});

test('shapes, label ranges and subpopulation ids are consistent', () => {
  const data = generateSyntheticLongtail(params);
  const d = params.imageSize ** 2;
  assert.deepEqual(data.imageShape, [params.imageSize, params.imageSize, 1]);
  assert.equal(data.train.images.length, params.trainSize * d);
  assert.equal(data.test.images.length, params.testSize * d);
  data.train.labels.forEach((label, i) => {
    assert.ok(label >= 0 && label < params.classes);
    // Without label noise, the class is the subpopulation's class.
    assert.equal(label, Math.floor(data.train.subpopulations![i]! / params.subpopulationsPerClass));
  });
});

test('subpopulation frequencies follow the Zipf law: a long tail of rare subpopulations', () => {
  const data = generateSyntheticLongtail({ ...params, trainSize: 20_000 });
  const counts = new Map<number, number>();
  for (const s of data.train.subpopulations!) counts.set(s % params.subpopulationsPerClass, (counts.get(s % params.subpopulationsPerClass) ?? 0) + 1);
  const rank = (r: number) => counts.get(r) ?? 0;
  // Expected ratio of rank 1 to rank 2 (0-based 0 and 1) is 2^exponent.
  const ratio = rank(0) / rank(1);
  assert.ok(Math.abs(ratio - 2 ** params.zipfExponent) < 0.2, `ratio ${ratio}`);
  assert.ok(rank(0) > 10 * rank(params.subpopulationsPerClass - 1));
});

test('label noise flips about the requested fraction of training labels to another class, never test labels', () => {
  const noisy = generateSyntheticLongtail({ ...params, labelNoise: 0.2 });
  const flipped = noisy.train.labels.filter((label, i) => label !== Math.floor(noisy.train.subpopulations![i]! / params.subpopulationsPerClass)).length;
  assert.ok(Math.abs(flipped / params.trainSize - 0.2) < 0.03, `flipped ${flipped}`);
  noisy.test.labels.forEach((label, j) => assert.equal(label, Math.floor(noisy.test.subpopulations![j]! / params.subpopulationsPerClass)));
});
