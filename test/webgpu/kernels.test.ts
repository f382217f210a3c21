// The kernels a training step runs, on webgpu against the cpu backend: the project's webgpu overrides
// (Conv2DBackpropFilter composite, Mean/Sum gradients, the chunked AddN) and the kernels the mlp, cnn and
// ResNets use forward and backward. A handful of shapes only: each new shader shape costs ~1.3 CPU-s to
// compile on lavapipe. Every case also checks that the kernels freed their intermediates.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { checkDeviceErrors } from '../../src/backend/device-errors.js';
import { batchNormalization } from '../../src/models/batch-norm.js';
import { compareToCpu, convData, randn, type WindowCase } from '../backend/helpers.js';
import { startWebgpu } from './setup.js';

const TOL = 1e-5;

before(async () => {
  await startWebgpu();
});

/** Checks each case's worst relative error on webgpu against cpu, and that the GPU reported no error. */
async function expectClose(label: string, cases: [string, () => tf.Tensor | tf.Tensor[]][]): Promise<void> {
  let worst = 0;
  for (const [name, f] of cases) {
    const err = await compareToCpu('webgpu', f);
    worst = Math.max(worst, err);
    assert.ok(err < TOL, `${label} ${name}: relative error ${err}`);
  }
  await checkDeviceErrors(label);
  console.log(`${label}: ${cases.length} cases, worst relative error ${worst.toExponential(2)}`);
}

const CONV_CASES: WindowCase[] = [
  { b: 2, h: 8, w: 8, ci: 3, co: 8, k: 3, s: 1, pad: 'same' },
  { b: 2, h: 8, w: 8, ci: 8, co: 8, k: 3, s: 2, pad: 'same' },
  { b: 2, h: 8, w: 8, ci: 8, co: 16, k: 1, s: 2, pad: 'valid' },
  { b: 3, h: 7, w: 6, ci: 3, co: 4, k: 3, s: 1, pad: 'valid' },
  { b: 2, h: 9, w: 7, ci: 2, co: 3, k: 4, s: [1, 2], pad: 'valid' },
  { b: 2, h: 8, w: 7, ci: 3, co: 2, k: 3, s: 2, pad: [[0, 0], [1, 2], [0, 3], [0, 0]] },
];

test('conv2d forward, input gradient and filter gradient (the project composite) match cpu', async () => {
  const cases = CONV_CASES.flatMap((c, n): [string, () => tf.Tensor | tf.Tensor[]][] => {
    const { xShape, fShape, outShape, xs, fs, dys } = convData(c, 300 + n);
    const conv = (x: tf.Tensor, f: tf.Tensor): tf.Tensor4D => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad);
    return [
      [`forward ${JSON.stringify(c)}`, () => conv(tf.tensor4d(xs, xShape), tf.tensor4d(fs, fShape))],
      [`dx, dW ${JSON.stringify(c)}`, () => tf.grads(conv)([tf.tensor4d(xs, xShape), tf.tensor4d(fs, fShape)], tf.tensor(dys, outShape))],
    ];
  });
  await expectClose('conv2d', cases);
});

test('depthwise conv, max and average pooling, forward and backward, match cpu', async () => {
  const x = randn([2, 8, 8, 4], 41);
  const f = randn([3, 3, 4, 1], 42);
  const input = (): tf.Tensor4D => tf.tensor4d(x, [2, 8, 8, 4]);
  await expectClose('windows', [
    ['depthwise', () => tf.grads((a, b) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'))([input(), tf.tensor4d(f, [3, 3, 4, 1])])],
    ['depthwise stride 2', () => tf.grads((a, b) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))([input(), tf.tensor4d(f, [3, 3, 4, 1])])],
    ['max pool 2x2/2', () => tf.grad((a) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'))(input())],
    ['max pool 3x3/2 same', () => tf.grad((a) => tf.maxPool(a as tf.Tensor4D, 3, 2, 'same'))(input())],
    ['average pool 2x2/2', () => tf.grad((a) => tf.avgPool(a as tf.Tensor4D, 2, 2, 'valid'))(input())],
    ['global average pool (mean over h, w)', () => tf.grad((a) => tf.mean(a, [1, 2]))(input())],
  ]);
});

test('batch norm in training mode (the fused layer; moments, normalization) forward and backward match cpu', async () => {
  const x = randn([4, 4, 4, 8], 51);
  const gamma = randn([8], 52);
  const beta = randn([8], 53);
  const dy = randn([4, 4, 4, 8], 54); // not ones: with dy = 1 the true dx is 0, and only rounding is left to compare
  const batchNorm = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor => {
    const { mean, variance } = tf.moments(a, [0, 1, 2]);
    return tf.batchNorm(a, mean, variance, b, g, 1e-5);
  };
  let layers = 0;
  /** The project's fused batch-norm layer (src/models/batch-norm.ts) in training mode: output, dx, dgamma, dbeta. */
  const fused = (): tf.Tensor[] => {
    const layer = batchNormalization({ axis: -1, epsilon: 1e-5, name: `fused_bn_${layers++}` });
    const input = tf.tensor4d(x, [4, 4, 4, 8]);
    layer.apply(input); // builds gamma = 1, beta = 0, the same on every backend
    layer.setWeights([tf.tensor1d(gamma), tf.tensor1d(beta), ...layer.getWeights().slice(2)]);
    const loss = (a: tf.Tensor): tf.Scalar => tf.sum<tf.Scalar>(tf.mul(layer.apply(a, { training: true }) as tf.Tensor, tf.tensor4d(dy, [4, 4, 4, 8])));
    const { grads } = tf.variableGrads(() => loss(input), layer.trainableWeights.map((w) => w.read() as tf.Variable));
    const out = [layer.apply(input, { training: true }) as tf.Tensor, tf.grad(loss)(input), ...Object.values(grads)];
    layer.dispose();
    return out;
  };
  await expectClose('batch norm', [
    ['fused layer (the project\'s): output, dx, dgamma, dbeta', fused],
    ['forward', () => batchNorm(tf.tensor4d(x, [4, 4, 4, 8]), tf.tensor1d(gamma), tf.tensor1d(beta))],
    ['dx, dgamma, dbeta', () => tf.grads(batchNorm)([tf.tensor4d(x, [4, 4, 4, 8]), tf.tensor1d(gamma), tf.tensor1d(beta)], tf.tensor4d(dy, [4, 4, 4, 8]))],
  ]);
});

test('dense layers, cross-entropy and the data movement of a step match cpu', async () => {
  const a = randn([16, 24], 61);
  const w = randn([24, 10], 62);
  const bias = randn([10], 63);
  const labels = tf.tidy(() => Array.from(tf.randomUniform([16], 0, 10, 'int32', 64).dataSync()));
  const images = randn([12, 4, 4, 2], 65);
  const dense = (x: tf.Tensor, k: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, k as tf.Tensor2D), b));
  const loss = (x: tf.Tensor, k: tf.Tensor, b: tf.Tensor): tf.Scalar =>
    tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), 10), tf.matMul(x as tf.Tensor2D, k as tf.Tensor2D).add(b), undefined, undefined, tf.Reduction.SUM);
  await expectClose('dense', [
    ['matmul + bias + relu, forward and backward', () => [dense(tf.tensor2d(a, [16, 24]), tf.tensor2d(w, [24, 10]), tf.tensor1d(bias)), ...tf.grads(dense)([tf.tensor2d(a, [16, 24]), tf.tensor2d(w, [24, 10]), tf.tensor1d(bias)])]],
    ['transposed products', () => [tf.matMul(tf.tensor2d(a, [16, 24]), tf.tensor2d(a, [16, 24]), true, false), tf.matMul(tf.tensor2d(a, [16, 24]), tf.tensor2d(a, [16, 24]), false, true)]],
    ['batched product', () => tf.matMul(tf.tensor3d(a, [2, 8, 24]), tf.tensor3d(a, [2, 24, 8]))],
    ['softmax cross-entropy, loss and gradients', () => [loss(tf.tensor2d(a, [16, 24]), tf.tensor2d(w, [24, 10]), tf.tensor1d(bias)), ...tf.grads(loss)([tf.tensor2d(a, [16, 24]), tf.tensor2d(w, [24, 10]), tf.tensor1d(bias)])]],
    ['gather rows and its gradient', () => tf.grad((x) => tf.gather(x, tf.tensor1d([3, 1, 1, 7, 0], 'int32')).mul(2))(tf.tensor4d(images, [12, 4, 4, 2]))],
    ['concat and slice, and their gradients', () => tf.grads((x, y) => tf.concat([x, y], 3).slice([1, 0, 1, 0], [2, 4, 2, 3]).square())([tf.tensor4d(images, [12, 4, 4, 2]), tf.tensor4d(images, [12, 4, 4, 2]).neg()])],
    ['mean and sum over axes (the device reduce gradients)', () => [tf.grad((x) => tf.mean(x))(tf.tensor2d(a, [16, 24])), tf.grad((x) => tf.sum(x, 0))(tf.tensor2d(a, [16, 24]))]],
  ]);
});

test('AddN of more terms than the device binds (a ResNet weight-decay penalty) is right and raises no GPU error', async () => {
  const terms = Array.from({ length: 23 }, (_, i) => randn([5, 3], 70 + i));
  await expectClose('AddN', [
    ['2 terms', () => tf.addN(terms.slice(0, 2).map((t) => tf.tensor2d(t, [5, 3])))],
    ['7 terms', () => tf.addN(terms.slice(0, 7).map((t) => tf.tensor2d(t, [5, 3])))],
    ['8 terms', () => tf.addN(terms.slice(0, 8).map((t) => tf.tensor2d(t, [5, 3])))],
    ['23 terms', () => tf.addN(terms.map((t) => tf.tensor2d(t, [5, 3])))],
    ['23 scalars', () => tf.addN(terms.map((t) => tf.scalar(t[0]!)))],
  ]);
});
