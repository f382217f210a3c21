// Numerical test of the wasm Conv2DBackpropInput composite (a forward conv of the stride-dilated dy with
// the flipped filter) against the cpu backend's kernel, through tf.grad of conv2d as training uses it.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerMissingWasmKernels } from '../../src/backend/kernels/index.js';
import { compareWasmToCpu, convData, windowCases } from './helpers.js';

const TOL = 1e-5;

before(async () => {
  registerMissingWasmKernels();
  assert.ok(await tf.setBackend('wasm'));
});

test('Conv2DBackpropInput composite matches the cpu kernel (tf.grad of conv2d with respect to x)', async () => {
  let worst = 0;
  const cases = windowCases();
  for (const [n, c] of cases.entries()) {
    const { xShape, fShape, outShape, xs, fs, dys } = convData(c, 1100 + n);
    const err = await compareWasmToCpu(() => {
      const f = tf.tensor4d(fs, fShape);
      return tf.grad((x) => tf.conv2d(x as tf.Tensor4D, f, c.s, c.pad))(tf.tensor4d(xs, xShape), tf.tensor(dys, outShape));
    });
    worst = Math.max(worst, err);
    assert.ok(err < TOL, `case ${JSON.stringify(c)}: relative error ${err}`);
  }
  console.log(`Conv2DBackpropInput: ${cases.length} cases, worst relative error ${worst.toExponential(2)}`);
});

test('Conv2DBackpropInput composite rejects NCHW', async () => {
  await tf.setBackend('wasm');
  const dy = tf.zeros([1, 3, 3, 2]);
  const filter = tf.zeros([3, 3, 2, 2]);
  const attrs = { strides: 1, pad: 'valid', dataFormat: 'NCHW', inputShape: [1, 5, 5, 2] };
  assert.throws(() => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, attrs), /only NHWC/);
  tf.dispose([dy, filter]);
});
