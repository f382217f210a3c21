// Trials of a learner with logits: one fresh network per trial plan (from its builder and the trial seed),
// all of a group trained together by fitNetworks (stacked when there are several), then every train and test
// example scored by each. What a trial computes does not depend on the group it ran in.
import type * as tf from '@tensorflow/tfjs';
import type { Predictions, TrialPlan } from './learner.js';
import { networksOf } from './networks.js';
import { fitNetworks, predictAll, type FitSettings, type StepBatch } from './sgd.js';

export interface NetworkTrialSetup {
  build: (seed: number) => tf.LayersModel; // a fresh network initialized from `seed`
  trainLabels: tf.Tensor1D; // [n] int32
  numClasses: number;
  settings: FitSettings;
  /** Step inputs [K * b, ...]: network k's batch, with draws seeded by seeds[k] (see fitNetworks). */
  inputs: (batch: StepBatch, step: number, seeds: readonly number[]) => tf.Tensor;
  train: { x: tf.Tensor; labels: Int32Array }; // every training example, scored after training
  test: { x: tf.Tensor; labels: Int32Array };
  recordMargins: boolean;
}

/** Trains one network per plan and returns each one's predictions, in the order of `plans`. */
export async function fitPredictNetworks(plans: readonly TrialPlan[], setup: NetworkTrialSetup): Promise<Predictions[]> {
  const seeds = plans.map((p) => p.seed);
  const networks = networksOf(plans.map((p) => setup.build(p.seed)));
  try {
    const runs = plans.map((p) => ({ indices: p.subset, seed: p.seed }));
    fitNetworks(networks, setup.trainLabels, setup.numClasses, runs, setup.settings, (batch, step) => setup.inputs(batch, step, seeds));
    const train = await predictAll(networks, setup.train.x, setup.train.labels);
    const test = await predictAll(networks, setup.test.x, setup.test.labels);
    return plans.map((_, k) => ({
      train: train[k]!.classes,
      test: test[k]!.classes,
      ...(setup.recordMargins && { trainMargin: train[k]!.margins, testMargin: test[k]!.margins }),
    }));
  } finally {
    networks.dispose();
  }
}
