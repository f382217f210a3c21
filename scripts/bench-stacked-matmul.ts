// What an ensemble's dense layer costs on wasm: K stacked products [K,64,256].[K,256,128] as one BatchMatMul
// against K separate [64,256].[256,128] products, fresh weights every call (as in training), first with
// wasm's own kernels (its stacked path is a scalar loop), then with the project's (XNNPACK per entry).
//   node dist/scripts/bench-stacked-matmul.js [--k 8]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerMissingWasmKernels } from '../src/backend/kernels/index.js';

const { values } = parseArgs({ options: { k: { type: 'string', default: '8' } } });
const K = Number(values.k);
await tf.setBackend('wasm'); // wasm's own kernels: nothing of the project's is registered yet

/** Median milliseconds of `f` over 9 rounds of 20 calls, each inside a tidy. */
function time(f: () => void): number {
  const rounds: number[] = [];
  for (let r = 0; r < 10; r++) {
    const start = performance.now();
    for (let i = 0; i < 20; i++) tf.tidy(f);
    if (r > 0) rounds.push((performance.now() - start) / 20);
  }
  return rounds.sort((a, b) => a - b)[rounds.length >> 1]!;
}

const a = tf.randomNormal([K, 64, 256]);
const b = tf.randomNormal([K, 256, 128]);
const a1 = tf.randomNormal([64, 256]);
const b1 = tf.randomNormal([256, 128]);
const stacked = (): void => void tf.matMul(a, tf.add(b, 0)); // tf.add: new weights, as every step has
const separate = (): void => {
  for (let k = 0; k < K; k++) tf.matMul(a1, tf.add(b1, 0));
};
const own = { stacked: time(stacked), separate: time(separate) };
registerMissingWasmKernels();
const project = { stacked: time(stacked), separate: time(separate) };
console.log(`K = ${K}, ms per call (median)   stacked  ${K} separate`);
console.log(`wasm's own kernels          ${own.stacked.toFixed(2).padStart(8)}  ${own.separate.toFixed(2).padStart(10)}`);
console.log(`the project's kernels       ${project.stacked.toFixed(2).padStart(8)}  ${project.separate.toFixed(2).padStart(10)}`);
