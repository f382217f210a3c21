// One trial: train on subset I_k and record which train and test examples the model gets right (or a group
// of trials, trained together). It never touches storage; the runner writes what it returns.
import type { Config } from '../config/schema.js';
import type { Dataset } from '../data/types.js';
import type { TrialRecord } from '../store/trial-file.js';
import type { Learner, TrialPlan } from './learner.js';
import { membershipMask, remainingIndices, sampleSubsetOf, trialSeed } from './seeds.js';

export interface TrialContext {
  config: Config;
  dataset: Dataset;
  learner: Learner;
  m: number; // subset size
}

function correctness(predicted: Int32Array, labels: Int32Array): { correct: Uint8Array; accuracy: number } {
  const correct = new Uint8Array(labels.length);
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) hits += correct[i] = 1;
  return { correct, accuracy: hits / labels.length };
}

/** Trial k's plan: subset and seed come only from (config.seed, k); the subset is drawn from S without config.exclude. */
function planTrial(k: number, config: Config, pool: Int32Array, n: number, m: number): TrialPlan {
  const subset = sampleSubsetOf(config.seed, k, pool, m);
  return { trial: k, seed: trialSeed(config.seed, k), subset, inSubset: membershipMask(subset, n) };
}

/** Runs trials `ks` as one group (trained together when the learner stacks them); each trial's result is
 * what it would be alone. `seconds` is the group's wall time shared equally. */
export async function runTrials(ks: readonly number[], context: TrialContext): Promise<TrialRecord[]> {
  const started = performance.now();
  const { config, dataset, learner, m } = context;
  const n = dataset.train.labels.length;
  const pool = remainingIndices(n, config.exclude);
  const plans = ks.map((k) => planTrial(k, config, pool, n, m));
  const predictions = await learner.fitPredict(plans);
  const seconds = (performance.now() - started) / 1000 / ks.length;
  return plans.map((plan, i) => {
    const predicted = predictions[i]!;
    const train = correctness(predicted.train, dataset.train.labels);
    const test = correctness(predicted.test, dataset.test.labels);
    return {
      trial: plan.trial,
      seed: plan.seed,
      subset: plan.inSubset,
      trainCorrect: train.correct,
      testCorrect: test.correct,
      ...(predicted.trainMargin && { trainMargin: predicted.trainMargin }),
      ...(predicted.testMargin && { testMargin: predicted.testMargin }),
      trainAccuracy: train.accuracy,
      testAccuracy: test.accuracy,
      seconds,
    };
  });
}
