// K networks stacked into one computation compute what each computes alone: logits on shared and on
// per-network inputs, the weight-decay penalty, and the weights after SGD steps (fitNetworks stacked vs one
// by one), for the mlp, the cnn (conv + max-pool) and the linear probe's classifier; which models stack.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { startBackend } from '../../src/backend/select.js';
import { DEFAULT_CONFIG } from '../../src/config/schema.js';
import { buildCnn } from '../../src/models/cnn.js';
import { buildLinear } from '../../src/models/linear.js';
import { buildMlp } from '../../src/models/mlp.js';
import { MODELS } from '../../src/models/registry.js';
import { networksOf, SingleNetwork } from '../../src/train/networks.js';
import { fitNetworks } from '../../src/train/sgd.js';
import { StackedNetworks, whyNotStackable } from '../../src/train/stacked-networks.js';
import { relErr } from '../backend/helpers.js';

const K = 3;
const CLASSES = 4;
const SHAPE: [number, number, number] = [8, 8, 2];
const TOL = 2e-5;

/** The architectures that stack, each a builder from a seed. */
const ARCHITECTURES: [string, (seed: number) => tf.LayersModel, number[]][] = [
  ['mlp', (seed) => buildMlp({ inputShape: SHAPE, numClasses: CLASSES, seed, weightDecay: 5e-4 }, 16), SHAPE],
  ['cnn', (seed) => buildCnn({ inputShape: SHAPE, numClasses: CLASSES, seed, weightDecay: 5e-4 }, 16), SHAPE],
  ['linear', (seed) => buildLinear({ inputDim: 12, numClasses: CLASSES, seed, weightDecay: 5e-4 }), [12]],
];

before(async () => {
  await startBackend('wasm');
});

const values = (t: tf.Tensor): Float32Array => t.dataSync() as Float32Array;

for (const [name, build, inputShape] of ARCHITECTURES) {
  test(`${name}: ${K} stacked networks give each network's own logits and penalty, on shared and on separate inputs`, () => {
    const models = Array.from({ length: K }, (_, k) => build(k + 1));
    const stacked = new StackedNetworks(models);
    tf.tidy(() => {
      const x = tf.randomNormal([5, ...inputShape], 0, 1, 'float32', 7); // shared rows
      const shared = stacked.predictLogits(x); // [K, 5, classes]
      const separate = tf.randomNormal([K * 5, ...inputShape], 0, 1, 'float32', 8); // network k's rows k*5..
      const training = stacked.trainingLogits(separate);
      assert.deepEqual(shared.shape, [K, 5, CLASSES]);
      assert.deepEqual(training.shape, [K * 5, CLASSES]);
      models.forEach((model, k) => {
        const own = model.predict(x) as tf.Tensor;
        assert.ok(relErr(values(shared.slice(k, 1)), values(own)) < TOL, `network ${k}, shared input`);
        const ownRows = model.predict(separate.slice(k * 5, 5)) as tf.Tensor;
        assert.ok(relErr(values(training.slice(k * 5, 5)), values(ownRows)) < TOL, `network ${k}, its own rows`);
      });
      const penalty = stacked.penalty()!.dataSync()[0]!;
      const sum = models.reduce((s, m) => s + tf.addN(m.calculateLosses()).dataSync()[0]!, 0);
      assert.ok(Math.abs(penalty - sum) / sum < 1e-5, `penalty ${penalty} vs ${sum}`);
    });
    for (const model of models) model.dispose();
    stacked.dispose();
  });

  test(`${name}: SGD steps of ${K} stacked networks, each on its own examples and order, equal ${K} networks trained alone`, () => {
    const tensorsBefore = tf.memory().numTensors;
    const n = 48;
    const images = tf.randomNormal([n, ...inputShape], 0, 1, 'float32', 9);
    const labels = tf.tidy(() => tf.randomUniform([n], 0, CLASSES, 'int32', 10).clipByValue(0, CLASSES - 1)) as tf.Tensor1D;
    // Different examples per network (as trial subsets are), the same number of them.
    const runs = Array.from({ length: K }, (_, k) => ({ indices: Int32Array.from({ length: 30 }, (_, i) => (i * (k + 2)) % n), seed: 100 + k }));
    const settings = { epochs: 2, batchSize: 8, momentum: 0.9, learningRate: (step: number) => 0.05 * (1 - step / 10) };
    const gather = (rows: Int32Array): tf.Tensor => tf.gather(images, tf.tensor1d(rows, 'int32'));
    const stacked = networksOf(Array.from({ length: K }, (_, k) => build(k + 1)));
    fitNetworks(stacked, labels, CLASSES, runs, settings, (batch) => gather(batch.all));
    const probe = tf.randomNormal([6, ...inputShape], 0, 1, 'float32', 11);
    const together = tf.tidy(() => values(stacked.predictLogits(probe)));
    runs.forEach((run, k) => {
      const alone = new SingleNetwork(build(k + 1));
      fitNetworks(alone, labels, CLASSES, [run], settings, (batch) => gather(batch.all));
      const own = tf.tidy(() => values(alone.predictLogits(probe)));
      const mine = together.subarray(k * own.length, (k + 1) * own.length);
      assert.ok(relErr(mine, own) < 1e-4, `network ${k}: relative difference ${relErr(mine, own)}`);
      alone.dispose();
    });
    stacked.dispose();
    tf.dispose([images, labels, probe]);
    assert.equal(tf.memory().numTensors, tensorsBefore, 'stacked training and disposal leave no tensors');
  });
}

test('networksOf: one model trains as built; several are stacked and their models released', () => {
  const tensorsBefore = tf.memory().numTensors;
  const one = networksOf([buildMlp({ inputShape: SHAPE, numClasses: CLASSES, seed: 1, weightDecay: 0 }, 8)]);
  assert.ok(one instanceof SingleNetwork);
  one.dispose();
  const models = [1, 2].map((seed) => buildMlp({ inputShape: SHAPE, numClasses: CLASSES, seed, weightDecay: 0 }, 8));
  const many = networksOf(models);
  assert.ok(many instanceof StackedNetworks);
  assert.equal(many.count, 2);
  assert.equal(tf.memory().numTensors - tensorsBefore, many.variables.length, 'only the stacked variables remain: the models are disposed');
  many.dispose();
  assert.equal(tf.memory().numTensors, tensorsBefore);
});

test('the registry says which models stack, and whyNotStackable agrees on the built networks', () => {
  const spec = { inputShape: SHAPE, numClasses: CLASSES, seed: 1, weightDecay: 0 };
  for (const [name, entry] of Object.entries(MODELS)) {
    if (entry.kind !== 'network') continue;
    const model = entry.build(spec, { ...DEFAULT_CONFIG, hiddenUnits: 8 });
    const why = whyNotStackable(model);
    assert.equal(why === undefined, entry.ensemble.stackable, `${name}: registry says stackable=${entry.ensemble.stackable}, whyNotStackable: ${why ?? 'stacks'}`);
    if (!entry.ensemble.stackable) assert.equal(entry.ensemble.auto, 1, `${name}: auto ensemble of a model that does not stack`);
    model.dispose();
  }
  assert.equal(MODELS['linear-probe']?.ensemble.stackable, true);
  const linear = buildLinear({ inputDim: 12, numClasses: CLASSES, seed: 1, weightDecay: 0 });
  assert.equal(whyNotStackable(linear), undefined);
  linear.dispose();
  assert.throws(() => new StackedNetworks([]), /at least one model/);
});
