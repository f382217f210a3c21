// One trial: train on subset I_k and record which train and test examples the model gets right.
// It never touches storage; the runner writes what it returns.
import type { Config } from '../config/schema.js';
import type { Dataset } from '../data/types.js';
import type { TrialRecord } from '../store/trial-file.js';
import type { Learner } from './learner.js';
import { membershipMask, sampleSubset, trialSeed } from './seeds.js';

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

/** Runs trial k: subset and seed come only from (config.seed, k). */
export async function runTrial(k: number, context: TrialContext): Promise<TrialRecord> {
  const started = performance.now();
  const { config, dataset, learner, m } = context;
  const n = dataset.train.labels.length;
  const seed = trialSeed(config.seed, k);
  const subset = sampleSubset(config.seed, k, n, m);
  const inSubset = membershipMask(subset, n);
  const predictions = await learner.fitPredict({ trial: k, seed, subset, inSubset });
  const train = correctness(predictions.train, dataset.train.labels);
  const test = correctness(predictions.test, dataset.test.labels);
  return {
    trial: k,
    seed,
    subset: inSubset,
    trainCorrect: train.correct,
    testCorrect: test.correct,
    ...(predictions.trainMargin && { trainMargin: predictions.trainMargin }),
    ...(predictions.testMargin && { testMargin: predictions.testMargin }),
    trainAccuracy: train.accuracy,
    testAccuracy: test.accuracy,
    seconds: (performance.now() - started) / 1000,
  };
}
