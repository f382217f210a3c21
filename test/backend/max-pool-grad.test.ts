// Numerical test of the wasm JS MaxPoolGrad against the cpu backend's kernel, through tf.grad of maxPool:
// random values, values with many ties (the first maximum of a window takes the gradient), and windows of
// only negative values (which wasm's own kernel gets wrong).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerMissingWasmKernels } from '../../src/backend/kernels/index.js';
import { compareWasmToCpu, randn, windowCases } from './helpers.js';

const TOL = 1e-5;
type Shape4 = [number, number, number, number];

before(async () => {
  registerMissingWasmKernels();
  assert.ok(await tf.setBackend('wasm'));
});

const variants: [string, (v: number) => number][] = [
  ['random', (v) => v],
  ['ties', (v) => Math.round(v)], // mostly -1, 0, 1: many windows with equal maxima
  ['negative', (v) => -Math.abs(v) - 1],
  ['relu', (v) => Math.max(0, v)], // what a max-pool after relu sees: windows of zeros
];

test('MaxPoolGrad JS kernel matches the cpu kernel (tf.grad of maxPool)', async () => {
  let worst = 0;
  const cases = windowCases();
  for (const [n, c] of cases.entries()) {
    if (typeof c.pad === 'object') continue; // maxPool takes no explicit pads
    const xShape: Shape4 = [c.b, c.h, c.w, c.ci];
    const outShape = tf.tidy(() => tf.maxPool(tf.zeros<tf.Rank.R4>(xShape), c.k, c.s, c.pad).shape);
    const dys = randn(outShape, 1500 + n);
    for (const [name, transform] of variants) {
      const xs = randn(xShape, 1400 + n).map(transform);
      const err = await compareWasmToCpu(() =>
        tf.grad((x) => tf.maxPool(x as tf.Tensor4D, c.k, c.s, c.pad))(tf.tensor4d(xs, xShape), tf.tensor(dys, outShape)));
      worst = Math.max(worst, err);
      assert.ok(err < TOL, `case ${JSON.stringify(c)} ${name}: relative error ${err}`);
    }
  }
  console.log(`MaxPoolGrad: ${cases.length} geometries x ${variants.length} kinds of data, worst relative error ${worst.toExponential(2)}`);
});
