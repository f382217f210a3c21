// Numerical tests of the wasm composites (Conv2DBackpropFilter: the im2col override and the composite that
// webgpu uses; DepthwiseConv2dNativeBackpropInput, UnsortedSegmentSum) against the cpu backend's own
// kernels, and one SGD step of a small conv net.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerMissingWasmKernels, useWasmOverrides } from '../../src/backend/kernels/index.js';
import { compareWasmToCpu, convData, randn, relErr, type WindowCase } from './helpers.js';

const TOL = 1e-5;
type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
type Shape4 = [number, number, number, number];

before(async () => {
  registerMissingWasmKernels();
  registerMissingWasmKernels(); // idempotent
  assert.ok(await tf.setBackend('wasm'));
});

function convCases(): WindowCase[] {
  const cases: WindowCase[] = [];
  const channels: [number, number][] = [[1, 4], [3, 5], [8, 8]];
  let i = 0;
  for (const k of [1, 3]) {
    for (const s of [1, 2]) {
      for (const pad of ['same', 'valid'] as const) {
        for (const [h, w] of [[7, 7], [8, 6]] as const) {
          for (const [ci, co] of channels) cases.push({ b: 2 + (i++ % 2), h, w, ci, co, k, s, pad });
        }
      }
    }
  }
  cases.push({ b: 2, h: 9, w: 8, ci: 3, co: 4, k: 5, s: 2, pad: 'same' });
  cases.push({ b: 2, h: 8, w: 8, ci: 2, co: 3, k: 2, s: 2, pad: 'same' });
  cases.push({ b: 2, h: 9, w: 7, ci: 2, co: 3, k: 4, s: [1, 2], pad: 'valid' });
  cases.push({ b: 3, h: 7, w: 6, ci: 3, co: 2, k: 3, s: 1, pad: 1 });
  cases.push({ b: 2, h: 8, w: 7, ci: 3, co: 2, k: 3, s: 2, pad: [[0, 0], [1, 2], [0, 3], [0, 0]] });
  cases.push({ b: 2, h: 6, w: 6, ci: 4, co: 3, k: 1, s: 1, pad: [[0, 0], [1, 0], [0, 1], [0, 0]] });
  return cases;
}

for (const [variant, on] of [['im2col matmul (wasm override)', true], ['composite (webgpu)', false]] as const) {
  test(`Conv2DBackpropFilter ${variant} matches the cpu kernel (tf.grad of conv2d)`, async () => {
    let worstConv = 0;
    useWasmOverrides([tf.Conv2DBackpropFilter], on);
    try {
      for (const [n, c] of convCases().entries()) {
        const { xShape, fShape, outShape, xs, fs, dys } = convData(c, 100 + n);
        const err = await compareWasmToCpu(() => {
          const x = tf.tensor4d(xs, xShape);
          const dy = tf.tensor(dys, outShape);
          return tf.grad((f) => tf.conv2d(x, f as tf.Tensor4D, c.s, c.pad))(tf.tensor4d(fs, fShape), dy);
        });
        worstConv = Math.max(worstConv, err);
        assert.ok(err < TOL, `case ${JSON.stringify(c)}: relative error ${err}`);
      }
    } finally {
      useWasmOverrides([tf.Conv2DBackpropFilter], true);
    }
    console.log(`Conv2DBackpropFilter ${variant}: ${convCases().length} cases, worst relative error ${worstConv.toExponential(2)}`);
  });
}

test('Conv2DBackpropFilter rejects dilations and NCHW', async () => {
  await tf.setBackend('wasm');
  const x = tf.zeros([1, 5, 5, 2]);
  const dy = tf.zeros([1, 3, 3, 2]);
  const attrs = { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 2, 2] };
  const run = (extra: object): unknown =>
    tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, ...extra });
  assert.throws(() => run({ dilations: 2 }), /dilations > 1/);
  assert.throws(() => run({ dataFormat: 'NCHW' }), /only NHWC/);
  tf.dispose([x, dy]);
});

interface DwCase { b: number; h: number; w: number; ci: number; cm: number; k: number; s: number; d: number; pad: Pad }

function depthwiseCases(): DwCase[] {
  const cases: DwCase[] = [];
  for (const k of [1, 3]) {
    for (const s of [1, 2]) {
      for (const pad of ['same', 'valid'] as const) {
        for (const [h, w] of [[7, 7], [8, 6]] as const) {
          for (const cm of [1, 2]) cases.push({ b: 2, h, w, ci: 3 + cm, cm, k, s, d: 1, pad });
        }
      }
    }
  }
  cases.push({ b: 2, h: 9, w: 8, ci: 3, cm: 1, k: 3, s: 1, d: 2, pad: 'same' });
  cases.push({ b: 2, h: 9, w: 8, ci: 2, cm: 3, k: 3, s: 1, d: 2, pad: 'valid' });
  cases.push({ b: 3, h: 8, w: 7, ci: 4, cm: 1, k: 5, s: 2, d: 1, pad: 'same' });
  cases.push({ b: 2, h: 7, w: 8, ci: 3, cm: 1, k: 3, s: 2, d: 1, pad: [[0, 0], [2, 1], [0, 4], [0, 0]] });
  return cases;
}

/** The filter [k, k, ci, cm] dilated by d: [(k-1)*d+1, (k-1)*d+1, ci, cm] with zeros in between. */
function dilateFilter(fs: Float32Array, [k, , ci, cm]: Shape4, d: number): [Float32Array, Shape4] {
  const e = (k - 1) * d + 1;
  const inner = ci * cm;
  const out = new Float32Array(e * e * inner);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) out.set(fs.subarray((i * k + j) * inner, (i * k + j + 1) * inner), (i * d * e + j * d) * inner);
  }
  return [out, [e, e, ci, cm]];
}

let worstDw = 0;
test('DepthwiseConv2dNativeBackpropInput composite matches the cpu kernel', async () => {
  for (const [n, c] of depthwiseCases().entries()) {
    const xShape: Shape4 = [c.b, c.h, c.w, c.ci];
    const fShape: Shape4 = [c.k, c.k, c.ci, c.cm];
    const fs = randn(fShape, 400 + n);
    const outShape = tf.tidy(() => tf.depthwiseConv2d(tf.zeros<tf.Rank.R4>(xShape), tf.zeros<tf.Rank.R4>(fShape), c.s, c.pad, 'NHWC', c.d).shape);
    const dys = randn(outShape, 500 + n);
    const direct = (filter: Float32Array, shape: Shape4, d: number) => (): tf.Tensor =>
      tf.engine().runKernel<tf.Tensor>(
        tf.DepthwiseConv2dNativeBackpropInput,
        { dy: tf.tensor(dys, outShape), filter: tf.tensor4d(filter, shape) },
        { strides: c.s, dilations: d, pad: c.pad, inputShape: xShape },
      );
    // The cpu kernel ignores dilations, so its reference uses the filter with the zeros put in.
    const [dilated, dilatedShape] = dilateFilter(fs, fShape, c.d);
    let err = await compareWasmToCpu(direct(fs, fShape, c.d), direct(dilated, dilatedShape, 1));
    if (c.d === 1) {
      // Through the gradient of depthwiseConv2d as training uses it (tfjs allows no dilations there).
      const xs = randn(xShape, 600 + n);
      err = Math.max(err, await compareWasmToCpu(() => {
        const f = tf.tensor4d(fs, fShape);
        return tf.grad((x) => tf.depthwiseConv2d(x as tf.Tensor4D, f, c.s, c.pad))(tf.tensor4d(xs, xShape), tf.tensor(dys, outShape));
      }));
    }
    worstDw = Math.max(worstDw, err);
    assert.ok(err < TOL, `case ${JSON.stringify(c)}: relative error ${err}`);
  }
  console.log(`DepthwiseConv2dNativeBackpropInput: ${depthwiseCases().length} cases, worst relative error ${worstDw.toExponential(2)}`);
});

test('UnsortedSegmentSum matches the cpu kernel, directly and as the gradient of gather', async () => {
  let worst = 0;
  const cases: { x: number[]; ids: [number]; n: number }[] = [
    { x: [10], ids: [10], n: 4 },
    { x: [12, 5], ids: [12], n: 7 },
    { x: [9, 2, 3], ids: [9], n: 3 },
    { x: [20, 3], ids: [20], n: 1 },
  ];
  for (const [k, c] of cases.entries()) {
    const xs = randn(c.x, 700 + k);
    // Ids cycle through -1 .. n (both ends out of range, so dropped).
    const ids = Int32Array.from({ length: c.ids.reduce((p, q) => p * q, 1) }, (_, i) => ((i * 5 + k) % (c.n + 2)) - 1);
    worst = Math.max(worst, await compareWasmToCpu(() => tf.unsortedSegmentSum(tf.tensor(xs, c.x), tf.tensor(ids, c.ids, 'int32'), c.n)));
  }
  // int32 data: exact.
  const ints = Int32Array.from({ length: 24 }, (_, i) => i * 7 - 50);
  const ids = Int32Array.from({ length: 8 }, (_, i) => i % 3);
  assert.equal(await compareWasmToCpu(() => tf.unsortedSegmentSum(tf.tensor(ints, [8, 3], 'int32'), tf.tensor1d(ids, 'int32'), 3)), 0);
  // Gradient of an embedding lookup (gather with repeated indices).
  const params = randn([6, 4], 800);
  const dys = randn([10, 4], 801);
  const idx = Int32Array.from([0, 5, 2, 2, 5, 1, 0, 0, 3, 5]);
  worst = Math.max(worst, await compareWasmToCpu(() =>
    tf.grad((p: tf.Tensor) => tf.gather(p, tf.tensor1d(idx, 'int32')))(tf.tensor2d(params, [6, 4]), tf.tensor2d(dys, [10, 4]))));
  assert.ok(worst < TOL, `relative error ${worst}`);
  console.log(`UnsortedSegmentSum: worst relative error ${worst.toExponential(2)}`);
});

test('a small conv net takes the same SGD step on wasm as on cpu', async () => {
  const batch = 4;
  const xShape: Shape4 = [batch, 9, 9, 3];
  const xs = randn(xShape, 900);
  const labels = Int32Array.from({ length: batch }, (_, i) => i % 5);
  const build = (): tf.Sequential => {
    const model = tf.sequential();
    model.add(tf.layers.conv2d({ inputShape: [9, 9, 3], filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }));
    model.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }));
    model.add(tf.layers.flatten());
    model.add(tf.layers.dense({ units: 5, kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }));
    model.compile({ optimizer: tf.train.sgd(0.5), loss: tf.losses.softmaxCrossEntropy });
    return model;
  };
  const step = async (backend: string): Promise<Float32Array[]> => {
    await tf.setBackend(backend);
    const model = build();
    const x = tf.tensor4d(xs, xShape);
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 5).toFloat();
    await model.trainOnBatch(x, y);
    const weights = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
    tf.dispose([x, y]);
    model.dispose();
    return weights;
  };
  const ref = await step('cpu');
  const got = await step('wasm');
  assert.equal(got.length, ref.length);
  const errs = got.map((g, i) => relErr(g, ref[i] ?? new Float32Array()));
  const worst = Math.max(...errs);
  assert.ok(worst < TOL, `weight relative errors ${errs.join(', ')}`);
  console.log(`conv net SGD step: worst weight relative error ${worst.toExponential(2)}`);
});
