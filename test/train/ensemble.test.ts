// --ensemble on wasm: trials trained together give what each gives alone (same subset, seed, batch order and
// augmentation draws; logits equal up to float rounding, so every prediction is the same unless it is a
// near-tie), for the mlp, the cnn with and without crop-flip and the linear probe; no tensor growth from group
// to group.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { startBackend } from '../../src/backend/select.js';
import { resolveConfig, subsetSize, type Config, type ConfigOverrides } from '../../src/config/schema.js';
import { generateSyntheticLongtail } from '../../src/data/synthetic-longtail.js';
import { createLearner } from '../../src/train/learner.js';
import { groupTrials } from '../../src/train/runner.js';
import { runTrials } from '../../src/train/trial.js';
import type { TrialRecord } from '../../src/store/trial-file.js';

const SYNTHETIC = { trainSize: 240, testSize: 80, classes: 4, subpopulationsPerClass: 10, imageSize: 8 };
// Stacked sums round differently (1e-7 relative); training mostly keeps it near there (up to 1.1e-6 seen),
// but where a ReLU or a max-pool choice flips on such a difference the two runs drift apart a little (4.6e-3
// of the largest margin seen here). Margins must agree to TIE of the largest; predictions must agree wherever
// the margin is further than that from 0.
const TIE = 1e-2;

before(async () => {
  await startBackend('wasm');
});

/** Example by example: the same correctness unless the margin is a near-tie, and margins equal up to rounding. */
function assertSameTrial(together: TrialRecord, alone: TrialRecord): void {
  assert.equal(together.trial, alone.trial);
  assert.deepEqual(together.subset, alone.subset);
  for (const [correct, aloneCorrect, margin, aloneMargin] of [
    [together.trainCorrect, alone.trainCorrect, together.trainMargin!, alone.trainMargin!],
    [together.testCorrect, alone.testCorrect, together.testMargin!, alone.testMargin!],
  ] as const) {
    const scale = Math.max(1, ...aloneMargin.map(Math.abs));
    aloneMargin.forEach((m, i) => {
      assert.ok(Math.abs(margin[i]! - m) <= TIE * scale, `trial ${alone.trial}, example ${i}: margin ${margin[i]} together, ${m} alone`);
      if (Math.abs(m) > TIE * scale) assert.equal(correct[i], aloneCorrect[i], `trial ${alone.trial}, example ${i}`);
    });
  }
}

const CASES: [string, ConfigOverrides][] = [
  ['mlp', { model: 'mlp', weightDecay: 5e-4 }],
  ['cnn', { model: 'cnn' }],
  ['cnn with crop-flip', { model: 'cnn', augment: 'crop-flip', cropPadding: 1 }],
  ['linear-probe', { model: 'linear-probe', probeNetwork: 'cnn', probeEpochs: 1 }],
];
for (const [label, overrides] of CASES) {
  test(`${label}: 4 trials trained together (--ensemble 4) give each trial's result alone`, async () => {
    const config: Config = resolveConfig({ epochs: 4, batchSize: 16, learningRate: 0.01, hiddenUnits: 32, ensemble: 4, recordMargins: true, synthetic: SYNTHETIC, ...overrides });
    const dataset = generateSyntheticLongtail(config.synthetic);
    const learner = await createLearner(dataset, config);
    const context = { config, dataset, learner, m: subsetSize(dataset.train.labels.length, config.subsetRatio) };
    const together = await runTrials([0, 1, 2, 3], context);
    assert.notDeepEqual(together[0]!.trainMargin, together[1]!.trainMargin, 'each trial trains its own network');
    for (const record of together) assertSameTrial(record, (await runTrials([record.trial], context))[0]!);
    learner.dispose();
  });
}

test('groups: at most the ensemble size, a multiple of the workers, sizes within one of each other, in order', () => {
  const trials = (n: number): number[] => Array.from({ length: n }, (_, k) => k);
  const sizes = (groups: number[][]): number[] => groups.map((g) => g.length);
  assert.deepEqual(sizes(groupTrials(trials(20), 16, 2)), [10, 10]);
  assert.deepEqual(sizes(groupTrials(trials(400), 16, 2)), [...Array<number>(10).fill(16), ...Array<number>(16).fill(15)]);
  assert.deepEqual(sizes(groupTrials(trials(7), 3, 1)), [3, 2, 2]);
  assert.deepEqual(sizes(groupTrials(trials(3), 16, 8)), [1, 1, 1]);
  assert.deepEqual(sizes(groupTrials(trials(5), 1, 2)), [1, 1, 1, 1, 1]);
  assert.deepEqual(groupTrials([4, 9, 2, 7, 1], 2, 1), [[4, 9], [2, 7], [1]]);
  assert.deepEqual(groupTrials([], 16, 2), []);
});

test('ensemble groups leave no tensors behind, and a smaller last group runs', async () => {
  const config: Config = resolveConfig({ model: 'cnn', epochs: 1, hiddenUnits: 16, ensemble: 3, synthetic: SYNTHETIC });
  const dataset = generateSyntheticLongtail(config.synthetic);
  const learner = await createLearner(dataset, config);
  const context = { config, dataset, learner, m: subsetSize(dataset.train.labels.length, config.subsetRatio) };
  const groups = [[0, 1, 2], [3, 4, 5], [6]];
  const first = await runTrials(groups[0]!, context);
  const tensors = tf.memory().numTensors;
  await runTrials(groups[1]!, context);
  assert.equal(tf.memory().numTensors, tensors, 'no tensor growth from group to group');
  const last = await runTrials(groups[2]!, context);
  assert.equal(tf.memory().numTensors, tensors);
  assert.deepEqual(first.map((r) => r.trial), [0, 1, 2]);
  assert.equal(last[0]!.trial, 6);
  assert.ok(first.every((r) => r.seconds > 0 && r.seconds === first[0]!.seconds), 'a group shares its wall time equally');
  learner.dispose();
});
