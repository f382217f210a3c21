// Test of the wasm data-sharing Identity and same-dtype Cast: values equal to the cpu backend's, no new data buffer, and the
// shared buffer lives until its last holder is disposed; gradients that save tensors (clone) still match.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerMissingWasmKernels } from '../../src/backend/kernels/index.js';
import { compareWasmToCpu, numDataIds, randn } from './helpers.js';

before(async () => {
  registerMissingWasmKernels();
  assert.ok(await tf.setBackend('wasm'));
});

test('Identity (tf.clone) shares data on wasm and keeps it until both tensors are disposed', async () => {
  await tf.setBackend('wasm');
  const x = tf.tensor([1, 2, 3, 4], [2, 2]);
  const before = numDataIds();
  const y = tf.clone(x);
  assert.equal(numDataIds(), before, 'a new data buffer was made');
  x.dispose();
  assert.deepEqual(Array.from(await y.data()), [1, 2, 3, 4]);
  y.dispose();
  assert.equal(numDataIds(), before - 1);
  const ints = tf.tensor([5, 6], [2], 'int32');
  assert.deepEqual(Array.from(tf.clone(ints).dataSync()), [5, 6]);
  const bools = tf.tensor([1, 0], [2], 'bool');
  assert.deepEqual(Array.from(tf.clone(bools).dataSync()), [1, 0]);
  tf.dispose([ints, bools]);
});

test('Identity matches the cpu kernel, directly and in gradients', async () => {
  const xs = randn([3, 4, 5], 3300);
  assert.equal(await compareWasmToCpu(() => tf.clone(tf.tensor(xs, [3, 4, 5]))), 0);
  const err = await compareWasmToCpu(() => tf.grad((x: tf.Tensor) => tf.relu(x).mul(tf.sigmoid(x)).sum())(tf.tensor(xs, [3, 4, 5])));
  assert.ok(err < 1e-6, `relative error ${err}`);
});

test('Cast to the same dtype shares data on wasm; Cast to another dtype converts as the cpu kernel does', async () => {
  await tf.setBackend('wasm');
  const x = tf.tensor([1.5, -2, 0, 4], [2, 2]);
  const before = numDataIds();
  const y = tf.cast(x, 'float32');
  assert.equal(numDataIds(), before, 'a new data buffer was made');
  x.dispose();
  assert.deepEqual(Array.from(await y.data()), [1.5, -2, 0, 4]);
  y.dispose();
  const xs = randn([3, 4, 5], 3310);
  assert.equal(await compareWasmToCpu(() => tf.tensor(xs, [3, 4, 5]).mul(10).cast('int32').cast('float32')), 0);
  assert.equal(await compareWasmToCpu(() => tf.tensor(xs, [3, 4, 5]).greater(0).cast('float32')), 0);
  // ReLU's gradient casts step(x) to float32, its own dtype.
  const err = await compareWasmToCpu(() => tf.grad((v: tf.Tensor) => tf.relu(v).square().sum())(tf.tensor(xs, [3, 4, 5])));
  assert.ok(err < 1e-6, `relative error ${err}`);
});
