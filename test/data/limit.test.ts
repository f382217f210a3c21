// --limit-train / --limit-test: exact size, class proportions, determinism, per-example columns carried
// along, the fingerprint, and a limit larger than the split refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classQuotas, limitDataset, stratifiedIndices } from '../../src/data/limit.js';
import type { Dataset } from '../../src/data/types.js';
import { UsageError } from '../../src/errors.js';
import { seeded } from '../helpers.js';

/** n examples of 2x2x1 images whose pixels all equal the example index mod 256; uneven classes. */
function dataset(n: number, nTest: number): Dataset {
  const split = (size: number, offset: number) => {
    const labels = Int32Array.from({ length: size }, (_, i) => (i % 10 < 5 ? 0 : i % 10 < 8 ? 1 : i % 10 < 9 ? 2 : 3)); // 50/30/10/10 %
    return {
      images: Uint8Array.from({ length: size * 4 }, (_, p) => (Math.floor(p / 4) + offset) & 0xff),
      labels,
      subpopulations: Int32Array.from({ length: size }, (_, i) => 1000 + i),
      coarseLabels: Int32Array.from(labels, (l) => l % 2),
    };
  };
  return { name: 'toy', imageShape: [2, 2, 1], numClasses: 4, train: split(n, 0), test: split(nTest, 7), fingerprint: 'abc' };
}

const counts = (labels: Int32Array, k: number) => Array.from({ length: k }, (_, c) => labels.filter((l) => l === c).length);

test('quotas: exactly N in all, each class within 1 of its proportional share', () => {
  for (const [classCounts, size] of [
    [[500, 300, 100, 100], 333],
    [[1, 1, 1], 2],
    [[7, 0, 5], 11],
    [[3, 3, 3, 3], 5],
  ] as const) {
    const quotas = classQuotas(classCounts, size);
    assert.equal(quotas.reduce((a, b) => a + b, 0), size);
    const total = classCounts.reduce((a: number, b) => a + b, 0);
    quotas.forEach((q, k) => {
      assert.ok(Math.abs(q - (classCounts[k]! * size) / total) < 1, `class ${k}: ${q}`);
      assert.ok(q <= classCounts[k]!);
    });
  }
  assert.deepEqual(classQuotas([3, 3, 3, 3], 5), [2, 1, 1, 1], 'ties go to the lower class');
});

test('a limited data set has exactly N examples per split in class proportion, and carries every column along', () => {
  const full = dataset(1000, 200);
  const limited = limitDataset(full, { train: 333, test: 50 });
  assert.equal(limited.train.labels.length, 333);
  assert.equal(limited.test.labels.length, 50);
  assert.equal(limited.train.images.length, 333 * 4);
  const share = [0.5, 0.3, 0.1, 0.1];
  counts(limited.train.labels, 4).forEach((c, k) => assert.ok(Math.abs(c - share[k]! * 333) < 1, `class ${k}: ${c}`));
  counts(limited.test.labels, 4).forEach((c, k) => assert.ok(Math.abs(c - share[k]! * 50) < 1, `test class ${k}: ${c}`));
  // Each kept example keeps its own image, label, subpopulation and coarse label: the subpopulation names the source row.
  for (const [which, offset] of [['train', 0], ['test', 7]] as const) {
    const split = limited[which];
    split.labels.forEach((label, r) => {
      const source = split.subpopulations![r]! - 1000;
      assert.equal(label, full[which].labels[source]);
      assert.equal(split.coarseLabels![r], full[which].coarseLabels![source]);
      assert.deepEqual(Array.from(split.images.subarray(r * 4, r * 4 + 4)), Array(4).fill((source + offset) & 0xff));
    });
    const sources = Array.from(split.subpopulations!, (s) => s - 1000);
    assert.deepEqual(sources, [...sources].sort((a, b) => a - b), 'kept in the original order');
    assert.equal(new Set(sources).size, sources.length, 'no example twice');
  }
});

test('the selection is deterministic, and the fingerprint changes with the limits', () => {
  const full = dataset(1000, 200);
  const a = limitDataset(full, { train: 100, test: null });
  assert.deepEqual(limitDataset(full, { train: 100, test: null }), a);
  assert.equal(a.test, full.test, 'no test limit: the test split as it was');
  assert.notEqual(a.fingerprint, full.fingerprint);
  assert.notEqual(limitDataset(full, { train: 101, test: null }).fingerprint, a.fingerprint);
  assert.notEqual(limitDataset(full, { train: 100, test: 100 }).fingerprint, a.fingerprint);
  assert.equal(limitDataset(full, { train: null, test: null }), full, 'no limits: the data set itself');
  assert.notDeepEqual(stratifiedIndices(full.train.labels, 100, seeded('x')), stratifiedIndices(full.train.labels, 100, seeded('y')));
});

test('a limit larger than the split is a usage error naming the sizes', () => {
  const full = dataset(100, 20);
  assert.throws(() => limitDataset(full, { train: 101, test: null }), (e: unknown) => e instanceof UsageError && /--limit-train 101 is more than the 100 train examples of toy; use at most 100/.test(e.message));
  assert.throws(() => limitDataset(full, { train: null, test: 21 }), (e: unknown) => e instanceof UsageError && /--limit-test 21 is more than the 20 test examples/.test(e.message));
  assert.equal(limitDataset(full, { train: 100, test: 20 }).train.labels.length, 100, 'N equal to the split is fine');
});
