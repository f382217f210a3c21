// The fused batch normalization layer trains exactly as tfjs-layers' BatchNormalization: same output, same
// gradients for x, gamma and beta (the closed form against autodiff through moments and FusedBatchNorm), the
// same moving averages after a step, and the same inference; with fewer kernels per training step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { batchNormalization } from '../../src/models/batch-norm.js';
import { randn, relErr } from '../backend/helpers.js';

const SHAPE = [4, 3, 3, 6];

/** Output, gradients and moving statistics after one training call of `layer` on fixed data and dy. */
function trainOnce(layer: tf.layers.Layer): Float32Array[] {
  const x = tf.tensor4d(randn(SHAPE, 1), SHAPE as [number, number, number, number]);
  const dy = tf.tensor4d(randn(SHAPE, 2), SHAPE as [number, number, number, number]);
  layer.apply(x); // builds the weights
  layer.setWeights([tf.tensor1d(randn([6], 3)), tf.tensor1d(randn([6], 4)), tf.tensor1d(randn([6], 5)), tf.tensor1d(randn([6], 6).map(Math.abs))]);
  const values = tf.tidy(() => {
    const weights = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => tf.sum<tf.Scalar>(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, dy)), weights);
    const dx = tf.grad((input) => tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, dy)))(x);
    const outs = [value, dx, ...weights.map((w) => grads[w.name]!)];
    return [...outs, ...layer.getWeights().slice(2), layer.apply(x, { training: false }) as tf.Tensor].map((t) => t.dataSync() as Float32Array);
  });
  tf.dispose([x, dy]);
  return values;
}

test('fused batch norm: training output, dx, dgamma, dbeta, moving averages and inference equal tfjs-layers\' BatchNormalization', async () => {
  assert.ok(await tf.setBackend('cpu'));
  const args = { axis: -1, momentum: 0.9, epsilon: 1e-5 };
  const fused = trainOnce(batchNormalization({ ...args, name: 'fused' }));
  const reference = trainOnce(tf.layers.batchNormalization({ ...args, name: 'reference' }));
  const names = ['loss', 'dx', 'dgamma', 'dbeta', 'moving mean', 'moving variance', 'inference'];
  assert.equal(fused.length, names.length);
  fused.forEach((v, i) => {
    const err = relErr(v, reference[i]!);
    assert.ok(err < 1e-5, `${names[i]}: relative error ${err}`);
  });
});

test('fused batch norm: a training step runs fewer kernels than tfjs-layers\' BatchNormalization', async () => {
  assert.ok(await tf.setBackend('cpu'));
  const kernelsOfStep = async (layer: tf.layers.Layer): Promise<number> => {
    const x = tf.tensor4d(randn(SHAPE, 1), SHAPE as [number, number, number, number]);
    layer.apply(x);
    const info = await tf.profile(() => tf.tidy(() => tf.variableGrads(() => tf.sum<tf.Scalar>(layer.apply(x, { training: true }) as tf.Tensor)).value));
    x.dispose();
    return info.kernels.length;
  };
  const fused = await kernelsOfStep(batchNormalization({ axis: -1, name: 'fused2' }));
  const reference = await kernelsOfStep(tf.layers.batchNormalization({ axis: -1, name: 'reference2' }));
  console.log(`batch norm training step: ${fused} kernels fused, ${reference} tfjs-layers`);
  assert.ok(fused < reference * 0.7, `${fused} vs ${reference}`);
});
