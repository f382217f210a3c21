// Training a network trial: tensor hygiene (no growth from trial to trial), determinism of a trial,
// and that the mlp fits its subset (it memorizes) on the wasm backend.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { startBackend } from '../../src/backend/select.js';
import { resolveConfig, subsetSize } from '../../src/config/schema.js';
import { generateSyntheticLongtail } from '../../src/data/synthetic-longtail.js';
import { createLearner } from '../../src/train/learner.js';
import { runTrial } from '../../src/train/trial.js';

const config = resolveConfig({ epochs: 4, hiddenUnits: 64, synthetic: { trainSize: 200, testSize: 60, classes: 4, subpopulationsPerClass: 10, imageSize: 8 } });
const dataset = generateSyntheticLongtail(config.synthetic);
const m = subsetSize(200, config.subsetRatio);

for (const model of ['mlp', 'cnn']) {
  test(`${model} on wasm: the tensor count does not grow from trial to trial, and a trial repeats exactly`, async () => {
    await startBackend('wasm');
    const learner = createLearner(dataset, { ...config, model });
    const context = { config: { ...config, model }, dataset, learner, m };
    const first = await runTrial(0, context);
    const tensorsAfterFirst = tf.memory().numTensors;
    const second = await runTrial(1, context);
    assert.equal(tf.memory().numTensors, tensorsAfterFirst, 'no tensors leak from a trial');
    const again = await runTrial(0, context);
    assert.equal(tf.memory().numTensors, tensorsAfterFirst);
    assert.deepEqual(again.trainCorrect, first.trainCorrect, 'trial 0 repeats exactly');
    assert.deepEqual(again.testCorrect, first.testCorrect);
    assert.notDeepEqual(second.subset, first.subset);
    learner.dispose();
  });
}

test('the mlp fits its training subset (memorizes) and beats chance on the test set', async () => {
  await startBackend('wasm');
  const fitted = { ...config, epochs: 15, hiddenUnits: 128 };
  const learner = createLearner(dataset, fitted);
  const result = await runTrial(3, { config: fitted, dataset, learner, m });
  learner.dispose();
  let inSubset = 0;
  let correctInSubset = 0;
  result.subset.forEach((inside, i) => {
    inSubset += inside;
    correctInSubset += inside & result.trainCorrect[i]!;
  });
  assert.ok(correctInSubset / inSubset > 0.95, `subset accuracy ${correctInSubset / inSubset}`);
  assert.ok(result.testAccuracy > 0.5, `test accuracy ${result.testAccuracy} (chance 0.25)`);
});
