// Test of the wasm leading-axes Sum against the cpu backend's kernel: bias-gradient shapes, keepDims,
// negative axes, and the cases that go to wasm's own kernel (inner axes, all axes, int32).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerMissingWasmKernels } from '../../src/backend/kernels/index.js';
import { compareWasmToCpu, randn } from './helpers.js';

const TOL = 1e-5;

before(async () => {
  registerMissingWasmKernels();
  assert.ok(await tf.setBackend('wasm'));
});

test('Sum matches the cpu kernel, leading axes and others', async () => {
  const cases: { shape: number[]; axis: number | number[]; keepDims?: boolean }[] = [
    { shape: [8, 6, 6, 5], axis: [0, 1, 2] }, // a conv bias gradient
    { shape: [8, 6, 6, 5], axis: [2, 0, 1], keepDims: true },
    { shape: [16, 7], axis: 0 }, // a dense bias gradient
    { shape: [16, 7], axis: -2, keepDims: true },
    { shape: [4, 3, 5], axis: [0] },
    { shape: [4, 3, 5], axis: [1, 2] }, // inner axes: wasm's own
    { shape: [4, 3, 5], axis: [0, 2] },
    { shape: [4, 3, 5], axis: [0, 1, 2] }, // all axes: wasm's own
    { shape: [1000, 3], axis: 0 }, // many rows: float64 accumulation stays within tolerance
  ];
  let worst = 0;
  for (const [k, c] of cases.entries()) {
    const xs = randn(c.shape, 3200 + k);
    const err = await compareWasmToCpu(() => tf.sum(tf.tensor(xs, c.shape), c.axis, c.keepDims ?? false));
    worst = Math.max(worst, err);
    assert.ok(err < TOL, `${JSON.stringify(c)}: relative error ${err}`);
    const ints = Int32Array.from(xs, (v) => Math.round(v * 100));
    assert.equal(await compareWasmToCpu(() => tf.sum(tf.tensor(ints, c.shape, 'int32'), c.axis).toFloat()), 0);
  }
  console.log(`Sum: ${cases.length} cases, worst relative error ${worst.toExponential(2)}`);
});
