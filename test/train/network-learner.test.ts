// Training a trial on the wasm backend: tensor hygiene for every model with logits (no growth from trial to
// trial), exact repeats (with and without augmentation), training without augmentation unchanged, margins,
// and that the mlp fits its subset (it memorizes).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { startBackend } from '../../src/backend/select.js';
import { resolveConfig, subsetSize, type Config, type ConfigOverrides } from '../../src/config/schema.js';
import { generateSyntheticLongtail } from '../../src/data/synthetic-longtail.js';
import type { Dataset } from '../../src/data/types.js';
import { createLearner } from '../../src/train/learner.js';
import { runTrials, type TrialContext } from '../../src/train/trial.js';
import type { TrialRecord } from '../../src/store/trial-file.js';

const runTrial = async (k: number, context: TrialContext): Promise<TrialRecord> => (await runTrials([k], context))[0]!;

const config = resolveConfig({ epochs: 4, hiddenUnits: 64, synthetic: { trainSize: 200, testSize: 60, classes: 4, subpopulationsPerClass: 10, imageSize: 8 } });
const dataset = generateSyntheticLongtail(config.synthetic);
const m = subsetSize(200, config.subsetRatio);

/** Trials 0, 1 and 0 again: the tensor count after each equals the count after the first, and trial 0 repeats. */
async function checkHygiene(data: Dataset, overrides: ConfigOverrides): Promise<void> {
  await startBackend('wasm');
  const c: Config = { ...config, ...overrides } as Config;
  const learner = await createLearner(data, c);
  const context = { config: c, dataset: data, learner, m: subsetSize(data.train.labels.length, c.subsetRatio) };
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
}

// Every model with logits at the smallest size that exercises it: 8x8x1 images (the ResNets and the
// Inception accept inputs down to 7x7); the big networks see 16 training examples, one step per trial.
const tiny = generateSyntheticLongtail({ ...config.synthetic, trainSize: 16, testSize: 4 });
const MODELS: [string, Dataset, ConfigOverrides][] = [
  ['mlp', dataset, {}],
  ['cnn', dataset, {}],
  ['cnn', dataset, { augment: 'crop-flip', cropPadding: 2 }],
  ['resnet18', tiny, { epochs: 1, batchSize: 16 }],
  ['resnet50', tiny, { epochs: 1, batchSize: 16 }],
  ['inception-small', tiny, { epochs: 1, batchSize: 16 }],
  ['linear-probe', dataset, { probeNetwork: 'cnn', probeEpochs: 2, augment: 'crop-flip', cropPadding: 2 }],
];
for (const [model, data, overrides] of MODELS) {
  test(`${model}${overrides.augment === 'crop-flip' ? ' with crop-flip' : ''} on wasm: no tensor growth from trial to trial, and a trial repeats exactly`, () =>
    checkHygiene(data, { model, ...overrides }));
}

test('without augmentation, training is what it was before augmentation existed', async () => {
  await startBackend('wasm');
  // sha256 (first 16 hex digits) of trial 0's train and test correctness, recorded at commit da639a5.
  for (const [model, digest] of [['mlp', 'cca92cb7a818acc4'], ['cnn', 'e8a735278d8ce093']] as const) {
    const c = { ...config, model, augment: 'none' as const };
    const learner = await createLearner(dataset, c);
    const result = await runTrial(0, { config: c, dataset, learner, m });
    learner.dispose();
    assert.equal(createHash('sha256').update(result.trainCorrect).update(result.testCorrect).digest('hex').slice(0, 16), digest, model);
  }
});

test('crop-flip changes training; margins are recorded when asked, positive exactly where the prediction is right', async () => {
  await startBackend('wasm');
  const run = async (overrides: Partial<Config>) => {
    const c = { ...config, model: 'cnn', ...overrides };
    const learner = await createLearner(dataset, c);
    const result = await runTrial(2, { config: c, dataset, learner, m });
    learner.dispose();
    return result;
  };
  const plain = await run({});
  assert.equal(plain.trainMargin, undefined, 'no margins unless asked');
  const augmented = await run({ augment: 'crop-flip', cropPadding: 2, recordMargins: true });
  assert.notDeepEqual(augmented.trainCorrect, plain.trainCorrect);
  const margins = augmented.trainMargin!;
  assert.equal(margins.length, 200);
  assert.equal(augmented.testMargin!.length, 60);
  margins.forEach((margin, i) => {
    if (margin !== 0) assert.equal(margin > 0, augmented.trainCorrect[i] === 1, `example ${i}: margin ${margin}`);
  });
});

test('the mlp fits its training subset (memorizes) and beats chance on the test set', async () => {
  await startBackend('wasm');
  const fitted = { ...config, epochs: 15, hiddenUnits: 128 };
  const learner = await createLearner(dataset, fitted);
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
