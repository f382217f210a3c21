// Tests that the device Mean/Sum gradients give exactly tfjs-core's default gradients (reference: the
// defaults on the cpu backend) on cpu and wasm, for every way of giving the axis, with and without keepDims.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerDeviceReduceGradients } from '../../src/backend/gradients/reduce-gradients.js';
import { on, randn, relErr } from './helpers.js';

const defaults = [tf.getGradient(tf.Mean), tf.getGradient(tf.Sum)];
const useDefaults = (): void => defaults.forEach((config) => tf.registerGradient(config));

before(async () => {
  assert.ok(await tf.setBackend('wasm'));
});

type Axis = number | number[] | undefined;
const shapes: number[][] = [[], [5], [3, 4], [2, 3, 4], [2, 1, 3, 2]];
const axesFor = (rank: number): Axis[] => {
  if (rank === 0) return [undefined, []];
  const out: Axis[] = [undefined, 0, -1, [], [0]];
  if (rank >= 2) out.push(1, -2, [0, rank - 1], [-1, 0]);
  if (rank >= 3) out.push([0, 2], [-1, -3], [2, 0, 1]);
  return out;
};

test('Mean and Sum gradients match tfjs-core defaults on cpu and wasm', async () => {
  let worst = 0;
  let count = 0;
  for (const [s, shape] of shapes.entries()) {
    const xs = randn(shape, 10 + s);
    for (const axis of axesFor(shape.length)) {
      for (const keepDims of [false, true]) {
        for (const op of [tf.mean, tf.sum]) {
          const yShape = tf.tidy(() => op(tf.zeros(shape), axis, keepDims).shape);
          const dys = randn(yShape, 1000 + count);
          const f = (): tf.Tensor => tf.grad((x) => op(x, axis, keepDims))(tf.tensor(xs, shape), tf.tensor(dys, yShape));
          useDefaults();
          const ref = await on('cpu', f);
          registerDeviceReduceGradients();
          for (const backend of ['cpu', 'wasm']) {
            const got = await on(backend, f);
            const err = relErr(got[0] ?? [], ref[0] ?? []);
            worst = Math.max(worst, err);
            assert.ok(err < 1e-6, `${op.name} axis=${JSON.stringify(axis)} keepDims=${keepDims} on ${backend}: ${err}`);
          }
          count++;
        }
      }
    }
  }
  console.log(`Mean/Sum gradients: ${count} cases x 2 backends, worst relative error ${worst.toExponential(2)}`);
});

test('the device gradients give float32 and build no ones tensor on the host', async () => {
  registerDeviceReduceGradients();
  await tf.setBackend('wasm');
  const x = tf.tensor(randn([4, 6], 7), [4, 6]);
  const info = await tf.profile(() => tf.grad((v) => tf.mean(v, 1))(x));
  const names = info.kernels.map((k) => k.name);
  assert.ok(!names.includes('Multiply'), `kernels: ${names.join(', ')}`);
  const g = tf.grad((v) => tf.sum(v))(tf.tensor1d([1, 2, 3], 'int32').toFloat());
  assert.equal(g.dtype, 'float32');
  tf.dispose([x, g]);
});
