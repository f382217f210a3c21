// Where a training step's time goes: tf.profile kernel times of the trial runner's step (fitNetworks of
// src/train/sgd.ts), summed by kernel name over a few steps after warm-up, and the share of the wall time
// that no kernel accounts for (JS overhead: tape, tidy, dispatch). For JS hot spots add node --cpu-prof.
//   node dist/scripts/profile-train.js [--backend wasm] [--model cnn|mlp|resnet18|resnet50|inception-small]
//        [--input 32x32x3] [--batch 64] [--steps 10] [--weight-decay 5e-4] [--by-name]
//        [--without Conv2DBackpropInput,...] [--ensemble K (K models stacked, each its own batch)] [--epoch-report]
//   --epoch-report: with an epoch report consumer, as in a trial's worker (the per-step loss and accuracy tally).
//   --by-name: one row per kernel name (calls/step across shapes), to count the kernels a step enqueues.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { startBackend } from '../src/backend/select.js';
import type { BackendName } from '../src/config/schema.js';
import { DEFAULT_CONFIG } from '../src/config/schema.js';
import { networkEntry } from '../src/models/registry.js';
import { networksOf } from '../src/train/networks.js';
import { scheduleFor } from '../src/train/schedule.js';
import { fitNetworks } from '../src/train/sgd.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    model: { type: 'string', default: 'cnn' },
    input: { type: 'string', default: '32x32x3' },
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '10' },
    without: { type: 'string' }, // wasm kernel overrides to leave out
    ensemble: { type: 'string', default: '1' },
    'weight-decay': { type: 'string', default: '0' },
    'by-name': { type: 'boolean', default: false },
    'epoch-report': { type: 'boolean', default: false },
  },
});
const input = (values.input ?? '32x32x3').split('x').map(Number) as [number, number, number];
const batch = Number(values.batch);
const steps = Number(values.steps);
const classes = 10;
const ensemble = Number(values.ensemble);

await startBackend((values.backend ?? 'wasm') as BackendName, { skipWasmOverrides: values.without?.split(',') ?? [] });
const entry = networkEntry(values.model ?? 'cnn', '--model');
const build = (seed: number): tf.LayersModel =>
  entry.build({ inputShape: input, numClasses: classes, seed, weightDecay: Number(values['weight-decay']) }, DEFAULT_CONFIG);
const networks = networksOf(Array.from({ length: ensemble }, (_, k) => build(k + 1)));
const images = tf.randomNormal<tf.Rank.R4>([batch * steps, ...input], 0, 1, 'float32', 2);
const labels = tf.randomUniform<tf.Rank.R1>([batch * steps], 0, classes, 'int32', 3);
const train = (count: number): void => {
  const indices = Int32Array.from({ length: count * batch }, (_, i) => i);
  const settings = { epochs: 1, batchSize: batch, momentum: 0.9, learningRate: scheduleFor(DEFAULT_CONFIG, 1, count), ...(values['epoch-report'] && { afterEpoch: () => undefined }) };
  const runs = Array.from({ length: ensemble }, (_, k) => ({ indices, seed: k + 1 }));
  fitNetworks(networks, labels, classes, runs, settings, (b) => tf.gather(images, tf.tensor1d(b.all, 'int32')));
};
train(3); // warm-up

const start = performance.now();
train(steps);
const plainMs = (performance.now() - start) / steps;

const info = await tf.profile(() => train(steps));
const byKernel = new Map<string, { ms: number; calls: number }>();
for (const k of info.kernels) {
  const ms = await k.kernelTimeMs;
  const key = values['by-name'] ? k.name : `${k.name.padEnd(22)} ${k.inputShapes.map((s) => `[${(s ?? []).join(',')}]`).join(' ')}`;
  const entry = byKernel.get(key) ?? { ms: 0, calls: 0 };
  entry.ms += typeof ms === 'number' ? ms : 0;
  entry.calls += 1;
  byKernel.set(key, entry);
}
const kernelMs = [...byKernel.values()].reduce((s, e) => s + e.ms, 0) / steps;
console.log(`${values.model} ${input.join('x')} b${batch} x${ensemble} model(s) on ${tf.getBackend()}: ${plainMs.toFixed(2)} ms/step unprofiled (${((batch * ensemble * 1000) / plainMs).toFixed(0)} img/s); kernels ${kernelMs.toFixed(2)} ms/step; ${info.kernels.length / steps} kernel calls/step`);
console.log('ms/step  calls/step  kernel and input shapes (top-level kernels; a composite includes the kernels it calls)');
for (const [key, e] of [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms)) {
  if (e.ms / steps < 0.01 && !values['by-name']) continue;
  console.log(`${(e.ms / steps).toFixed(3).padStart(8)} ${(e.calls / steps).toFixed(1).padStart(6)}  ${key}`);
}
