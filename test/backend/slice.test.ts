// Test of the wasm in-place Slice (and SplitV built on it) against the cpu backend: contiguous row blocks (prediction batches),
// inner-axis windows of every rank 1..5, size -1, empty slices, and int32/bool data; exact (it copies).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerMissingWasmKernels } from '../../src/backend/kernels/index.js';
import { compareWasmToCpu, randn } from './helpers.js';

before(async () => {
  registerMissingWasmKernels();
  assert.ok(await tf.setBackend('wasm'));
});

test('Slice matches the cpu kernel exactly', async () => {
  const cases: { shape: number[]; begin: number[]; size: number[] }[] = [
    { shape: [50, 4, 4, 3], begin: [10, 0, 0, 0], size: [32, 4, 4, 3] }, // a batch of rows
    { shape: [50, 4, 4, 3], begin: [49, 0, 0, 0], size: [-1, -1, -1, -1] },
    { shape: [6, 7, 8, 5], begin: [1, 2, 3, 1], size: [3, 4, 2, 3] },
    { shape: [6, 7, 8, 5], begin: [0, 1, 0, 0], size: [6, 5, 8, 5] },
    { shape: [3, 4, 5, 6, 2], begin: [1, 0, 2, 1, 0], size: [2, 4, 2, 5, 1] },
    { shape: [40], begin: [3], size: [30] },
    { shape: [9, 40], begin: [2, 5], size: [4, 20] },
    { shape: [9, 40], begin: [2, 5], size: [0, 20] }, // empty
    { shape: [5, 6, 7], begin: [4, 5, 6], size: [1, 1, 1] },
  ];
  for (const [k, c] of cases.entries()) {
    const xs = randn(c.shape, 3400 + k);
    assert.equal(await compareWasmToCpu(() => tf.slice(tf.tensor(xs, c.shape), c.begin, c.size)), 0, JSON.stringify(c));
    const ints = Int32Array.from(xs, (v) => Math.round(v * 100));
    assert.equal(await compareWasmToCpu(() => tf.slice(tf.tensor(ints, c.shape, 'int32'), c.begin, c.size).toFloat()), 0);
    assert.equal(await compareWasmToCpu(() => tf.slice(tf.tensor(xs, c.shape).greater(0), c.begin, c.size).toFloat()), 0);
  }
});

test('SplitV (tf.split, and the gradient of tf.concat) matches the cpu kernel exactly', async () => {
  const cases: { shape: number[]; splits: number | number[]; axis: number }[] = [
    { shape: [12, 4, 4, 3], splits: 4, axis: 0 }, // an ensemble step's activations, one part per model
    { shape: [12, 4, 4, 3], splits: [5, 7], axis: 0 },
    { shape: [6, 7, 8, 5], splits: [2, -1, 3], axis: 2 },
    { shape: [9, 40], splits: 8, axis: 1 },
  ];
  for (const [k, c] of cases.entries()) {
    const xs = randn(c.shape, 3500 + k);
    assert.equal(await compareWasmToCpu(() => tf.split(tf.tensor(xs, c.shape), c.splits, c.axis)), 0, JSON.stringify(c));
  }
  // The gradient of concat splits dy back into the parts.
  const a = randn([3, 5], 3600);
  const b = randn([2, 5], 3601);
  const grads = () => tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.concat([p, q]).square().sum())([tf.tensor(a, [3, 5]), tf.tensor(b, [2, 5])]);
  assert.ok((await compareWasmToCpu(grads)) < 1e-6);
});
