// Numerical test of the wasm BatchMatMul override (explicit transposes, and the transposed product
// C^T = B^T A^T where that packs less) against the cpu backend's kernel, for every transpose combination.
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

test('BatchMatMul override matches the cpu kernel for all transposes, rank 2 and 3', async () => {
  let worst = 0;
  // [batch, m, k, n]: shapes where the direct product wins and where the transposed one does (n >> m).
  const shapes: [number, number, number, number][] = [[1, 64, 128, 4096], [1, 4096, 64, 128], [1, 5, 7, 3], [3, 6, 4, 9], [2, 8, 16, 200], [1, 1, 9, 1]];
  let seed = 2000;
  for (const [batch, m, k, n] of shapes) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const aShape = batch === 1 ? (transposeA ? [k, m] : [m, k]) : (transposeA ? [batch, k, m] : [batch, m, k]);
        const bShape = batch === 1 ? (transposeB ? [n, k] : [k, n]) : (transposeB ? [batch, n, k] : [batch, k, n]);
        const as = randn(aShape, seed++);
        const bs = randn(bShape, seed++);
        const err = await compareWasmToCpu(() => tf.matMul(tf.tensor(as, aShape), tf.tensor(bs, bShape), transposeA, transposeB));
        worst = Math.max(worst, err);
        assert.ok(err < TOL, `${JSON.stringify({ batch, m, k, n, transposeA, transposeB })}: relative error ${err}`);
      }
    }
  }
  console.log(`BatchMatMul: ${shapes.length * 4} cases, worst relative error ${worst.toExponential(2)}`);
});

test('BatchMatMul override multiplies batches entry by entry, with a batch of 1 broadcast, transposed or not', async () => {
  // [a shape, b shape] without transposes; the transposed variants swap the last two axes of each operand.
  const pairs: [number[], number[]][] = [
    [[4, 6, 5], [4, 5, 7]], // stacked models: [K, b, d] x [K, d, u]
    [[2, 3, 6, 5], [2, 3, 5, 7]], // two outer axes
    [[1, 6, 5], [4, 5, 7]], // one input shared by K weight matrices
    [[4, 6, 5], [5, 7]], // K inputs, one matrix
    [[3, 64, 256], [3, 256, 128]], // an mlp layer of 3 stacked models at batch 64
  ];
  const swap = (shape: number[]): number[] => [...shape.slice(0, -2), shape[shape.length - 1]!, shape[shape.length - 2]!];
  let seed = 3000;
  for (const [aShape, bShape] of pairs) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const as = transposeA ? swap(aShape) : aShape;
        const bs = transposeB ? swap(bShape) : bShape;
        const av = randn(as, seed++);
        const bv = randn(bs, seed++);
        const err = await compareWasmToCpu(() => tf.matMul(tf.tensor(av, as), tf.tensor(bv, bs), transposeA, transposeB));
        assert.ok(err < TOL, `${JSON.stringify({ as, bs, transposeA, transposeB })}: relative error ${err}`);
      }
    }
  }
});
