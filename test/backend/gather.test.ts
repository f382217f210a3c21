// Test of the wasm row-copying GatherV2 against the cpu backend: axes 0 and inner, float32, int32 and bool,
// repeated indices, nd indices, rows of one value, batchDims (wasm's own kernel) and out-of-range indices.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerMissingWasmKernels } from '../../src/backend/kernels/index.js';
import { compareWasmToCpu, randn } from './helpers.js';

before(async () => {
  registerMissingWasmKernels();
  assert.ok(await tf.setBackend('wasm'));
});

test('GatherV2 matches the cpu kernel (exactly: it copies)', async () => {
  const cases: { shape: number[]; axis: number; idx: number[]; idxShape: number[] }[] = [
    { shape: [20, 8, 8, 3], axis: 0, idx: [3, 0, 19, 3, 7], idxShape: [5] }, // a batch of images, a repeat
    { shape: [10, 40], axis: 0, idx: [1, 2, 9, 0, 0, 5], idxShape: [2, 3] },
    { shape: [4, 6, 32], axis: 1, idx: [5, 0, 2], idxShape: [3] },
    { shape: [30], axis: 0, idx: [4, 29, 0], idxShape: [3] }, // rows of one value (the labels)
    { shape: [6, 5], axis: 1, idx: [4, 1], idxShape: [2] },
  ];
  for (const [k, c] of cases.entries()) {
    const xs = randn(c.shape, 3000 + k);
    const idx = (): tf.Tensor => tf.tensor(c.idx, c.idxShape, 'int32');
    assert.equal(await compareWasmToCpu(() => tf.gather(tf.tensor(xs, c.shape), idx(), c.axis)), 0, JSON.stringify(c));
    const ints = Int32Array.from(xs, (v) => Math.round(v * 1000));
    assert.equal(await compareWasmToCpu(() => tf.gather(tf.tensor(ints, c.shape, 'int32'), idx(), c.axis)), 0);
    assert.equal(await compareWasmToCpu(() => tf.gather(tf.tensor(xs, c.shape).greater(0), idx(), c.axis).toFloat()), 0);
  }
  // batchDims 1: wasm's own kernel.
  const bs = randn([2, 5, 3], 3050);
  assert.equal(await compareWasmToCpu(() => tf.gather(tf.tensor(bs, [2, 5, 3]), tf.tensor([[0, 4], [3, 3]], [2, 2], 'int32'), 1, 1)), 0);
  // The gradient of gather (UnsortedSegmentSum) sees the same shapes.
  const xs = randn([12, 20], 3100);
  assert.ok(await compareWasmToCpu(() => tf.grad((x: tf.Tensor) => tf.gather(x, tf.tensor1d([1, 1, 5], 'int32')).square().sum())(tf.tensor(xs, [12, 20]))) < 1e-6);
});

test('GatherV2 rejects an out-of-range index', async () => {
  await tf.setBackend('wasm');
  const x = tf.zeros([5, 20]);
  assert.throws(() => tf.gather(x, tf.tensor1d([0, 5], 'int32')), /index value 5 is not in \[0, 4\]/);
  assert.throws(() => tf.gather(x, tf.tensor1d([-1], 'int32')), /not in \[0, 4\]/);
  x.dispose();
});
